"""Reviewing report.qmd's HTML by keyboard and screen reader, in a real browser (issue 23).

Debian's ``chromium`` runs headless, driven over its DevTools protocol (``tests/_cdp.py``); it
presses keys as a reader does (``Input.dispatchKeyEvent``) and reads where focus is, where boxes
are and what the accessibility tree names things. axe-core (npm, pinned in
``tests/browser/package-lock.json``; ``npm ci --prefix tests/browser``) checks the page against
WCAG 2.1 A/AA and its best practices.

Measured on report.qmd before this work (values-appendix: separate): 972 tab stops on
report.html (808 numbers in tables, 84 in the text, 40 table-of-contents links, 39 other
links, 1 number in a figure caption, no skip link) and 1 098 on report.values.html. The
target is the issue's: at most 400 on report.html, every traced value still reachable.

The page under test is never given script: the probes below are the test's, evaluated by
DevTools (``Runtime.evaluate``), not the page's.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
from pathlib import Path

import pytest

from sbm_stats import render
from tests import _cdp

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _cdp.available(), reason=f"needs Chromium at {_cdp.CHROMIUM} (CI installs it: .ci/run)"),
]

AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
MAX_TAB_STOPS = 400   # the target for report.qmd's HTML
PRESS_LIMIT = 3000    # a bound on any loop of key presses: the page had 2 075 stops when the issue was filed

# Which element has focus: its index among those seen so far (the same element, the same index),
# what it is, and the traced values it stands for (a number's, or those its table's list holds).
_FOCUS = """(() => {
  const w = window, e = document.activeElement;
  w.__seen = w.__seen || new Map();
  if (!e || e === document.body || e === document.documentElement) return null;
  if (!w.__seen.has(e)) w.__seen.set(e, w.__seen.size);
  const list = e.tagName === 'SUMMARY' ? e.parentElement.querySelectorAll('li[data-value-id]') : [];
  return {index: w.__seen.get(e), tag: e.tagName, cls: e.className, id: e.id,
          href: e.getAttribute('href'), in_table: !!e.closest('table'), in_figure: !!e.closest('figure'),
          in_main: !!e.closest('#sbm-main'),
          values: e.matches('button.sbm-value') ? [e.dataset.valueId] : [...list].map(li => li.dataset.valueId)};
})()"""


def _box(browser: _cdp.Browser, selector: str) -> dict[str, float]:
    return browser.evaluate(f"""(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();
        return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom}}; }})()""")


def _intersect(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def _viewport(browser: _cdp.Browser) -> dict[str, float]:
    return browser.evaluate("({left: 0, top: 0, right: document.documentElement.clientWidth, "
                            "bottom: document.documentElement.clientHeight})")


def _within(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (inner["left"] >= outer["left"] and inner["top"] >= outer["top"] and inner["right"] <= outer["right"]
            and inner["bottom"] <= outer["bottom"])


def _tab_walk(browser: _cdp.Browser) -> list[dict]:
    """Every tab stop of the page, in order: Tab from the top until focus comes back to the first."""
    stops: list[dict] = []
    outside = 0
    for _ in range(PRESS_LIMIT):
        browser.press("Tab")
        focus = browser.evaluate(_FOCUS)
        if focus is None:   # past the last stop: the browser's own UI, then the page again
            outside += 1
            assert outside < 5, "focus left the page and did not come back"
            continue
        if stops and focus["index"] < len(stops):
            return stops
        stops.append(focus)
    raise AssertionError(f"focus did not cycle within {PRESS_LIMIT} presses of Tab")


def _accessible_name(browser: _cdp.Browser, selector: str) -> str:
    browser.call("DOM.enable")
    browser.call("Accessibility.enable")
    root = browser.call("DOM.getDocument", depth=0)["root"]["nodeId"]
    node = browser.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
    tree = browser.call("Accessibility.getPartialAXTree", nodeId=node, fetchRelatives=False)["nodes"]
    return tree[0]["name"]["value"]


def _axe(browser: _cdp.Browser) -> list[dict]:
    if not AXE.is_file():
        pytest.skip(f"needs axe-core: npm ci --prefix tests/browser (no {AXE})")
    browser.evaluate(AXE.read_text(encoding="utf-8") + ";0")
    result = browser.evaluate(f"axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS!r}}}, "
                              "resultTypes: ['violations']}).then(r => r.violations.map(v => "
                              "({id: v.id, impact: v.impact, help: v.help, "
                              "nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))})))")
    return result


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def pages(report_render) -> Path:
    """report.qmd's HTML and its companion (report.values.html): the run's shared render
    (tests/_renders.py; read-only)."""
    return report_render


@pytest.fixture(scope="module")
def browser():
    with _cdp.Browser(width=1200, height=900) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def served(pages):
    """The output folder over http on this machine: Chromium keeps a page it leaves in its
    back/forward cache only for http(s), as a reader of a published report gets it."""
    handler = functools.partial(_QuietHandler, directory=str(pages))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _open(browser: _cdp.Browser, url: str) -> None:
    browser.call("Page.setBypassCSP", enabled=True)   # the probes and axe are DevTools', not the page's
    browser.navigate(url)


def _first_number(browser: _cdp.Browser) -> str:
    """Tab from the top of the page to the first number; its id."""
    for presses in range(1, PRESS_LIMIT):
        browser.press("Tab")
        focus = browser.evaluate(_FOCUS)
        if focus and focus["tag"] == "BUTTON" and "sbm-value" in focus["cls"]:
            return focus["id"]
    raise AssertionError("no number reached by Tab")


# ----------------------------------------------------------------------------- tab stops

def test_few_tab_stops_and_every_traced_value_reachable(browser, pages):
    _open(browser, (pages / "report.html").as_uri())
    stops = _tab_walk(browser)
    # the page's first stop skips the title and the table of contents
    assert stops[0]["cls"] == "skip-link" and stops[0]["href"] == "#sbm-main"
    assert len(stops) <= MAX_TAB_STOPS, f"{len(stops)} tab stops"
    # no table cell is a stop (a municipality's code, a number in a table): a table is one stop,
    # its <summary> after it; a figure at most one
    assert [s for s in stops if s["in_table"]] == []
    assert len([s for s in stops if s["in_figure"]]) <= len(re.findall(r"<figure\b", (pages / "report.html")
                                                                         .read_text(encoding="utf-8")))
    # every traced value the page shows is a stop of its own or listed under a stop
    shown = set(browser.evaluate("[...new Set([...document.querySelectorAll('button.sbm-value')]"
                                 ".map(b => b.dataset.valueId))]"))
    reached = {value for stop in stops for value in stop["values"]}
    assert len(shown) > 500 and shown - reached == set()
    print(f"\nreport.html: {len(stops)} tab stops; {len(shown)} traced values, all reachable")


def test_the_skip_link_leads_to_the_text(browser, pages):
    _open(browser, (pages / "report.html").as_uri())
    browser.press("Tab")
    browser.press("Enter")
    assert browser.evaluate("location.hash") == "#sbm-main"
    browser.press("Tab")
    focus = browser.evaluate(_FOCUS)
    assert focus["in_main"]   # past the table of contents: the text's first link or number


def test_the_companion_has_a_skip_link_first(browser, pages):
    _open(browser, (pages / "report.values.html").as_uri())
    browser.press("Tab")
    assert browser.evaluate(_FOCUS)["cls"] == "skip-link"


# ----------------------------------------------------------------------------- the popover

@pytest.mark.parametrize("key", ["Enter", " "])
def test_a_number_opens_its_note_beside_it_and_escape_brings_focus_back(browser, pages, key):
    _open(browser, (pages / "report.html").as_uri())
    number = _first_number(browser)
    button = f"#{_css_id(number)}"
    note_id = browser.evaluate(f"document.querySelector({button!r}).getAttribute('popovertarget')")
    note = f"#{note_id}"
    browser.press(key)
    assert browser.evaluate(f"document.querySelector({note!r}).matches(':popover-open')")
    number_box, note_box = _box(browser, button), _box(browser, note)
    print(f"\nnumber {number_box}\nnote {note_box}\nviewport {_viewport(browser)}")
    assert not _intersect(number_box, note_box)
    assert _within(note_box, _viewport(browser))
    # the first stop inside the note is the link to the value's entry, not the source's website
    browser.press("Tab")
    assert browser.evaluate("document.activeElement.closest('[popover]')?.id") == note_id
    assert browser.evaluate("document.activeElement.getAttribute('href')").startswith("report.values.html#varde-")
    browser.press("Escape")
    assert not browser.evaluate(f"document.querySelector({note!r}).matches(':popover-open')")
    assert browser.evaluate("document.activeElement.id") == number


def test_a_note_near_the_bottom_of_the_window_opens_above_its_number(browser, pages):
    _open(browser, (pages / "report.html").as_uri())
    number = _first_number(browser)
    button = f"#{_css_id(number)}"
    browser.evaluate(f"document.querySelector({button!r}).scrollIntoView({{block: 'end'}})")
    browser.press("Enter")
    note = "#" + browser.evaluate(f"document.querySelector({button!r}).getAttribute('popovertarget')")
    number_box, note_box = _box(browser, button), _box(browser, note)
    assert not _intersect(number_box, note_box) and _within(note_box, _viewport(browser))
    assert note_box["bottom"] <= number_box["top"]
    browser.press("Escape")


def test_a_screen_reader_hears_what_a_number_is_and_meets_its_note_next(browser, pages):
    _open(browser, (pages / "report.html").as_uri())
    number = _first_number(browser)
    button = f"#{_css_id(number)}"
    shown = browser.evaluate(f"document.querySelector({button!r}).textContent.trim()")
    assert _accessible_name(browser, button) == f"{shown}, källa och beräkning"
    # the note is the element right after its number: read next, in the DOM and the reading order
    assert browser.evaluate(f"document.querySelector({button!r}).nextElementSibling.id") == \
        browser.evaluate(f"document.querySelector({button!r}).getAttribute('popovertarget')")


# ----------------------------------------------------------------------------- a way back

def test_following_the_appendix_link_and_back_returns_to_the_number(browser, served):
    """Over http(s) Chromium keeps the page in its back/forward cache: Back shows it as it was left,
    scrolled to the number, the note open and focus on the link followed; Escape gives focus to
    the number. (From a file:// page Chromium loads the page again: the scroll comes back, focus
    does not; each entry of the companion links back to the number, see the next test.)"""
    _open(browser, f"{served}/report.html")
    number = _first_number(browser)
    button = f"#{_css_id(number)}"
    browser.press("Enter")
    browser.press("Tab")
    href = browser.evaluate("document.activeElement.getAttribute('href')")
    scrolled = browser.evaluate("scrollY")
    browser.events.clear()
    browser.press("Enter")
    browser.wait_for("Page.loadEventFired")
    assert browser.evaluate("location.pathname").endswith("/report.values.html")
    target = browser.evaluate("document.querySelector(':target')?.id")
    assert f"#{target}" == href[href.index("#"):]
    assert browser.evaluate("document.activeElement.id") == target   # focus on the entry, not the page
    # the entry links back to this very place in the report
    assert browser.evaluate(f"!!document.querySelector(':target a[href=\"report.html#{number}\"]')")
    history = browser.call("Page.getNavigationHistory")
    browser.call("Page.navigateToHistoryEntry", entryId=history["entries"][history["currentIndex"] - 1]["id"])
    _settle(browser, "location.pathname.endsWith('/report.html')")
    assert browser.evaluate("scrollY") == scrolled
    assert _within(_box(browser, button), _viewport(browser))
    focus = browser.evaluate("document.activeElement.id || document.activeElement.closest('[popover]')?.id")
    if focus != number:   # the page as it was left: the note open, focus on its link
        browser.press("Escape")
    assert browser.evaluate("document.activeElement.id") == number


def test_the_companion_links_back_to_each_place_a_value_is_shown(browser, pages):
    _open(browser, (pages / "report.html").as_uri())
    places = browser.evaluate("[...document.querySelectorAll('button.sbm-value')].map(b => b.id)")
    in_table = browser.evaluate("document.querySelector('table button.sbm-value').id")
    assert len(places) == len(set(places)) > 500 and all(p.startswith("plats-") for p in places)
    _open(browser, (pages / "report.values.html").as_uri())
    back = set(browser.evaluate("[...document.querySelectorAll('a[href^=\"report.html#\"]')]"
                                ".map(a => a.getAttribute('href').slice(12))"))
    assert back == set(places)
    # following one focuses the number (a table's too: out of the tab order, still focusable)
    # and marks it as the place arrived at
    for place in (places[0], in_table):
        browser.evaluate(f"document.querySelector('a[href=\"report.html#{place}\"]').focus()")
        browser.events.clear()
        browser.press("Enter")
        browser.wait_for("Page.loadEventFired")
        _settle(browser, f"document.activeElement.id === {place!r}")
        assert browser.evaluate("document.querySelector(':target').id") == place
        assert _within(_box(browser, f"#{_css_id(place)}"), _viewport(browser))
        _open(browser, (pages / "report.values.html").as_uri())


# ----------------------------------------------------------------------------- axe-core

def test_axe_finds_no_violation(browser, pages):
    _open(browser, (pages / "report.html").as_uri())
    # with a table's list and a note open too
    browser.evaluate("document.querySelector('details.sbm-values-of').open = true")
    browser.evaluate("document.querySelector('button.sbm-value:not([tabindex])').click()")
    assert _axe(browser) == []
    _open(browser, (pages / "report.values.html").as_uri())
    assert _axe(browser) == []


# ----------------------------------------------------------------------------- helpers

def _css_id(value: str) -> str:
    """An id as a CSS selector's: the ids hold ':' and '.'."""
    return re.sub(r"([^\w-])", r"\\\1", value)


def _settle(browser: _cdp.Browser, condition: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if browser.evaluate(condition):
                return
        except _cdp.DevToolsError:   # the page is between two documents
            pass
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {condition}")


# ----------------------------------------------------------------------------- bad input

# A hand-written traced value whose texts hold markup and control characters (BEL, ESC), and whose
# source's address is a script (javascript:) or a page in the address itself (data:).
HOSTILE = ('Talet [42]{.sbm-value data-value-id="x.hostile" data-source="evil" '
           'data-source-text="<img src=x onerror=alert(1)> <b>fet</b>\x07\x1b slut" '
           'data-source-url="javascript:alert(1)" data-computation="<script>alert(2)</script> = 42" '
           'data-table="t<i>x</i>" data-row="r" data-column="c"} och [7]{.sbm-value data-value-id="x.data" '
           'data-source="evil2" data-source-url="data:text/html,<b>x</b>" data-source-text="ok"}.')


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "fientlig.qmd").write_text('---\ntitle: "Fientlig"\nlang: sv\nvalues-appendix: inline\n---\n\n'
                                         f"# Text\n\n{HOSTILE}\n", encoding="utf-8")
    render(folder / "fientlig.qmd", to="html", out_dir=folder / "out", engine="builtin", quiet=True, cache=False)
    return folder / "out" / "fientlig.html"


def test_markup_and_control_characters_in_a_value_are_text(browser, hostile):
    _open(browser, hostile.as_uri())
    browser.evaluate("document.querySelector('button.sbm-value').click()")
    # what the data says is on the page as its characters; none of it became an element
    assert browser.evaluate("document.querySelectorAll('main img, main b, main i, main script').length") == 0
    note = browser.evaluate("document.querySelector('.sbm-value-note:popover-open').textContent")
    assert "<img src=x onerror=alert(1)> <b>fet</b> slut" in note
    assert "<script>alert(2)</script> = 42" in note and "t<i>x</i>" in note
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", browser.evaluate("document.body.textContent"))


def test_a_source_address_that_is_not_http_is_text_not_a_link(browser, hostile):
    _open(browser, hostile.as_uri())
    hrefs = browser.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    assert [h for h in hrefs if not re.match(r"(https?://|#|[\w.-]+\.html#)", h)] == []
    text = browser.evaluate("document.querySelector('main').textContent")
    assert "javascript:alert(1)" in text and "data:text/html,<b>x</b>" in text

"""A new wave is data, not code: the synthetic 2017 package of tests/waves runs through every command.

``build_next_wave`` writes a made-up wave 2017 (see its docstring for every difference
from 2014). The commands run on it with ``--data-dir`` only; each test checks that what
they print and write comes from that package (its wave, its stage sizes, its claim ids,
its published sample) and nothing from the bundled 2014 package.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
import yaml

from sbm_stats import cli
from sbm_stats.data import DataPackage
from sbm_stats.sampling import load_design
from tests.waves import CLAIM_IDS, FIXED, STAGE_SIZES, WAVE, build_next_wave

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CLAIMS = ROOT / "data" / "audit" / "claims_2014.yaml"


@pytest.fixture(scope="module")
def wave(tmp_path_factory) -> Path:
    return build_next_wave(tmp_path_factory.mktemp("next") / "wave_2017")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_builder_is_deterministic(tmp_path, wave):
    assert _tree(build_next_wave(tmp_path / "again")) == _tree(wave)


def test_the_builder_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "x.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="must be empty"):
        build_next_wave(tmp_path)


def test_the_package_says_which_wave_it_is(wave):
    package = DataPackage.open(wave)
    assert package.wave == WAVE
    assert package.synthetic is True
    assert package.compares_with == ("2008", "2011", "2014")  # one more wave than the bundled package
    assert package.design_path == wave / "design" / "2017.yaml"
    assert package.claims_path == wave / "audit" / "claims_2017.yaml"
    assert package.published_sample == "sample_2017"
    assert package.demo_frame_path == wave / "synthetic" / "demo_frame_2016.csv"
    assert "SYNTETISK" in str(package)
    # the figure lookup reads this package's table: the report's statement under its own id,
    # 16 of 29 in 2014 -> round(16 x 23 / 29 = 12.69) = 13 of 23 by the rule of tests/waves
    figure = package.figure("res.forced_moves")
    assert (figure.count, figure.base, figure.verbal, figure.period) == (13, 23, "drygt hälften", "2017")
    with pytest.raises(ValueError, match="res.forced_moves_2018"):
        package.figure("res.forced_moves_2018")
    # and the bundled package does not have the new wave's figures
    with pytest.raises(ValueError):
        DataPackage.open(None).figure("bme.flats_2016")


def test_the_design_is_the_waves_own(wave):
    design = load_design(package=wave)
    assert design.path == str(wave / "design" / "2017.yaml")
    assert design.package.wave == WAVE
    sizes = design.to_frame().set_index("stage")["size"].to_dict()
    assert sizes == STAGE_SIZES
    assert design.stage("kronofogden").already_selected == "skip"  # 2014: next
    assert design.stage("fixed").codes == FIXED
    assert "population_2016" in design.frame_columns and "population_2013" not in design.frame_columns


def test_data_check_on_the_new_wave(wave, capsys):
    assert cli.main(["data", "check", "--data-dir", str(wave)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"data package: {wave} (wave 2017, SYNTETISKA DATA – inte verkliga uppgifter)"
    assert "sample_2017                24 rows" in out  # the 3 fixed and 21 others tests/waves writes
    assert "demo_frame_2016" in out
    assert "2014" not in out and "2013" not in out
    assert "all tables valid" in out


def test_audit_on_the_new_wave(wave, tmp_path, capsys):
    out_csv = tmp_path / "audit.csv"
    assert cli.main(["audit", "--data-dir", str(wave), "--out", str(out_csv)]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith(f"data package: {wave} (wave 2017, SYNTETISKA DATA")
    assert "SYNTETISKA DATA" in printed.splitlines()[-1]
    rows = _rows(out_csv)
    ids = [r["id"] for r in rows]
    assert ids == list(CLAIM_IDS)
    bundled = {c["id"] for c in yaml.safe_load(BUNDLED_CLAIMS.read_text(encoding="utf-8"))["claims"]}
    assert not set(ids) & bundled
    by_id = {r["id"]: r for r in rows}
    # 13 / 23 = 56.5 % (hand computation); 18 025 / 16 386 - 1 = 10.0 %
    assert by_id["w2017.res.forced_moves"]["recomputed"] == "56,5\xa0%"
    assert by_id["w2017.bme.flats_growth"]["recomputed"] == "10,0 %"  # growth: a plain space (audit/_claims.py _growth)
    assert by_id["w2017.sample.asked"]["detail"] == "24 rader i wave_2017/sample_2017.csv"
    assert {r["verdict"] for r in rows} == {"consistent"}


def test_sample_on_the_new_wave(wave, tmp_path, capsys):
    out = tmp_path / "urval"
    assert cli.main(["sample", "--data-dir", str(wave), "--seed", "2017", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"design: {wave / 'design' / '2017.yaml'}" in captured.out
    assert "SYNTETISKA DATA" in captured.out
    assert str(wave / "synthetic" / "demo_frame_2016.csv") in captured.err
    sample = _rows(out / "sample.csv")
    per_stage: dict[str, int] = {}
    for row in sample:
        per_stage[row["stage"]] = per_stage.get(row["stage"], 0) + 1
    for stage in ("fixed", "bme_children", "bme_takeover", "supplement_no_children"):
        assert per_stage[stage] == STAGE_SIZES[stage]
    assert 1 <= per_stage["kronofogden"] <= STAGE_SIZES["kronofogden"]  # skip: picks already taken add no one
    assert set(per_stage) == set(STAGE_SIZES)
    assert [r["municipality_code"] for r in sample if r["stage"] == "fixed"] == list(FIXED)
    assert {r["synthetic"] for r in sample} == {"True"}
    protocol = (out / "protocol.md").read_text(encoding="utf-8")
    assert "2017.yaml" in protocol and "2014.yaml" not in protocol
    assert "demo_frame_2016.csv" in protocol and "demo_frame_2013" not in protocol
    assert "SYNTETISKA DATA" in protocol
    check = _rows(out / "published_check.csv")
    expected = [r["municipality_code"] for r in _rows(wave / "sample_2017.csv")]
    assert [r["municipality_code"] for r in check] == expected


@pytest.mark.parametrize("argv, words", [
    (lambda w: ["sample", "--data-dir", str(w), "--design", str(ROOT / "data" / "design" / "2014.yaml"),
                "--seed", "1", "--out"],
     "the design is for wave 2014 but the data package is wave 2017"),
    (lambda w: ["audit", "--data-dir", str(w), "--claims", str(BUNDLED_CLAIMS), "--out"],
     "value '2014': expected the data package's wave 2017"),
])
def test_the_bundled_waves_files_are_refused_with_the_new_package(wave, tmp_path, capsys, argv, words):
    out = tmp_path / "out"
    code = cli.main([*argv(wave), str(out / "x.csv") if argv(wave)[0] == "audit" else str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and "the waves must not be mixed" in err
    assert "Traceback" not in err
    assert not out.exists()


# ------------------------------------------------------------------------------ report.qmd on the new wave

#: Numbers up to this are written in words in the report (Svenska skrivregler), and words such
#: as "två" stand in any Swedish text: only larger numbers are looked for in digits.
WORDS_UP_TO = 12
#: The inline calls of report.qmd that print a figure's count, base or value, and which column.
_PRINTS = {"count": "count", "count_in_words": "count", "base": "base", "base_in_words": "base",
           "value": "value", "value_in_words": "value"}


@pytest.fixture(scope="module")
def report_2017(wave, tmp_path_factory):
    """report.qmd rendered to HTML with ``data_dir`` the 2017 package, and the progress it printed.

    A render that passes has already shown that no file of the bundled package was read:
    the render engine records every file the kernel reads and fails a render that reads a
    data package other than the one its ``data_dir`` names
    (``sbm_stats/render/_render.py::_check_data_packages``). The tests below check the other
    half: that what the report shows is this package's.
    """
    import contextlib
    import io

    from sbm_stats.render import render

    out = tmp_path_factory.mktemp("report_2017")
    progress = io.StringIO()
    with contextlib.redirect_stderr(progress):
        render(ROOT / "report.qmd", out_dir=out, to=("html",), params={"data_dir": str(wave)},
               cache=False, quiet=False, engine="builtin")
    return (out / "report.html").read_text(encoding="utf-8"), progress.getvalue()


def _text(page: str, *, tables: bool = True) -> str:
    """The visible text of an HTML page, whitespace collapsed; without its tables, the list
    of the package's sources and the values appendix when ``tables`` is False."""
    import html
    import re

    page = _without_value_notes(re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    if not tables:
        page = re.sub(r"<table\b.*?</table>", " ", page, flags=re.S)
        # the sources list: the package's sources.csv, which repeats the bundled sources' titles
        page = re.sub(r"datapaketets\s+källförteckning.*?<h1", "<h1", page, flags=re.S)
        # the values appendix (Sifferförteckning) repeats every traced value, the tables' too
        page = re.sub(r'<(?:h1|div)[^>]*id="sifferforteckning".*?</main>', "</main>", page, flags=re.S)
    raw = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"[\s\u00a0\u202f]+", " ", raw)


def _without_value_notes(page: str) -> str:
    """The page without what a reader opens on demand and what is not the report's running text:
    the provenance notes of traced values (a ``popover`` element after each number, and after each
    table the notes of its values) and each table's list of its values (``details.sbm-values-of``)."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=False)
            self.depth, self.out = 0, []

        def handle_starttag(self, tag, attrs):
            found = dict(attrs)
            if self.depth or "popover" in found or "sbm-values-of" in (found.get("class") or "").split():
                self.depth += tag not in _VOID
            else:
                self.out.append(self.get_starttag_text())

        def handle_startendtag(self, tag, attrs):
            if not self.depth:
                self.out.append(self.get_starttag_text())

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1
            else:
                self.out.append(f"</{tag}>")

        def handle_data(self, data):
            if not self.depth:
                self.out.append(data)

        def handle_entityref(self, name):
            self.handle_data(f"&{name};")

        def handle_charref(self, name):
            self.handle_data(f"&#{name};")

    reader = Reader()
    reader.feed(page)
    reader.close()
    text = "".join(reader.out)
    assert 'class="sbm-value-note"' in page and 'class="sbm-value-note"' not in text
    return text


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _printed_numbers(package: Path) -> dict[tuple[str, str], float]:
    """(figure id, column) -> the number, for every figure number report.qmd prints inline,
    read from the package's published_figures.csv with the csv module (not sbm_stats)."""
    import re

    qmd = (ROOT / "report.qmd").read_text(encoding="utf-8")
    calls = re.findall(r"figures\.([a-z_]+)\(\"([a-z]+\.[a-z0-9_]+)\"", qmd)
    rows = {r["figure_id"]: r for r in _rows(package / "published_figures.csv")}
    out = {}
    for method, figure_id in calls:
        column = _PRINTS.get(method)
        if column and rows[figure_id][column]:
            out[(figure_id, column)] = float(rows[figure_id][column])
    return out


def _digits(n: float) -> str:
    return f"{int(n):,}".replace(",", " ")


def _shown(number: float, text: str) -> bool:
    """Whether the whole number stands in ``text`` in digits: not as part of a larger number
    ('15' is not in '15 290'), a decimal ('45' is not in '45,4') or a file number ('14' is
    not in '18032-14/121')."""
    import re

    whole = r"(?<![\d\w,/-])(?<!\d )\d{1,3}(?: \d{3})*(?![\d\w/-]|,\d| \d{3}(?!\d))"
    return _digits(number) in set(re.findall(whole, text))


#: Numbers of the bundled wave that the 2017 prose shows for a reason of its own, each with why.
_SHARED = {
    45: "the growth of the flats 2008-2013: both numbers are x 1.1 in 2017 (tests/waves), so the growth "
        "the report recomputes is the same, 18 025 / 12 397 - 1 = 45.4 % (2014: 16 386 / 11 270 - 1)",
    10_000: "the design's 'per 10 000 invånare', a parameter of both designs (oj.small_municipality "
            "is 11 000 in 2017)",
}


@pytest.mark.slow
def test_the_report_shows_every_number_of_the_new_wave(wave, report_2017):
    """Every count, base and value above twelve that report.qmd prints inline stands in the
    2017 render in digits, as the 2017 package's published_figures.csv has it (for example
    res.forced_moves: 13 of 23, by the rule of tests/waves: round(16 x 23 / 29 = 12.69))."""
    text = _text(report_2017[0])
    numbers = _printed_numbers(wave)
    assert numbers[("res.forced_moves", "count")] == 13 and numbers[("res.forced_moves", "base")] == 23
    missing = [f"{fid} {col}: {n:g}" for (fid, col), n in numbers.items() if n > WORDS_UP_TO and not _shown(n, text)]
    assert missing == []


@pytest.mark.slow
def test_the_report_shows_no_number_only_the_bundled_wave_has(wave, report_2017):
    """No number above twelve that report.qmd prints from the bundled package, and that the
    2017 package does not also have, stands in the 2017 render's prose (tables and the list of
    sources left out: the wave comparison and the sources legitimately name earlier waves)."""
    import re

    prose = _text(report_2017[0], tables=False)
    # reference numbers ([14], [4–6]) and dates (29 november 2026) are not figures
    prose = re.sub(r"\[[\d,–\s]+\]|\b\d{1,2} (?:januari|februari|mars|april|maj|juni|juli|augusti|september|"
                   r"oktober|november|december) \d{4}\b", " ", prose)
    new = set(_printed_numbers(wave).values())
    new |= {float(c) for r in _rows(wave / "published_figures.csv") for c in (r["count"], r["base"], r["value"]) if c}
    old = {n for n in _printed_numbers(ROOT / "data").values() if n > WORDS_UP_TO and n not in new}
    old = {n for n in old if not 1990 <= n <= 2030 and n not in _SHARED}  # a year is not a figure of the wave
    assert {29, 30, 205, 16_386}.issubset(old)  # the check has something to find: the interviewed, the asked,
    # the municipalities of BME 2013 and the flats of 2013 in 2014 (2017: 23, 24, 226 and 18 025)
    assert sorted(n for n in old if _shown(n, prose)) == []


@pytest.mark.slow
def test_the_report_describes_the_new_waves_design(report_2017):
    text = _text(report_2017[0])
    # the stage sizes of design/2017.yaml: 3 + 4 + 6 + 5 + 1 = 19 (2014: 4 + 8 + 8 + 7 + 1 + 2 = 30)
    assert "med fem steg som tillsammans ger 3 + 4 + 6 + 5 + 1 = 19 kommuner" in text
    assert "4 + 8 + 8 + 7 + 1 + 2" not in text
    # its one different rule (already_selected: skip), and its years
    assert "redan är vald gäller i designen att kommunen hoppas över" in text
    assert "nästa kommun i rangordningen väljs" not in text
    assert "per 10 000 invånare enligt folkmängd 31 december 2016" in text
    assert "projektet antar 2016, det senaste hela året före urvalet" in text
    assert "Två grupper ur BME 2017 gav" in text and "BME 2014" not in text
    assert "De tillfrågade kommunerna 2017 med län och folkmängd 31 december 2014" in text
    assert "Intervjusvaren 2017:" in text and "tillfrågades 2017" in text
    # no supplement of municipalities without an answer in this design: the clause is left out
    assert "andrahandshyresgäster. Utöver de tre stora kommunerna" in text
    assert "obesvarad" not in text and "noll kommuner" not in text


@pytest.mark.slow
def test_the_report_says_it_is_synthetic_and_names_its_package(wave, report_2017):
    page, progress = report_2017
    text = _text(page)
    assert "SYNTETISKA DATA – inte verkliga uppgifter Rapporten är gjord på ett syntetiskt datapaket för vågen 2017" \
        in text
    assert text.count("SYNTETISKA DATA") >= 6  # the callout, and every table and figure of the synthetic frame
    assert f"data package: {wave}" in [line.strip() for line in progress.splitlines()]

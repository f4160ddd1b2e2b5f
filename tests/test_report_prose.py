"""report.qmd holds no hand-typed number: every digit in its prose is a date, a year, a
reference number or a list marker; all figures come inline from sbm_stats."""

from __future__ import annotations

import re

import pytest

# What may stand as digits in the prose, each with why.
ALLOWED = [
    (r"^\s*\d+\.\s", "a numbered list marker"),
    (r"\[\d+(?:[–-]\d+)?(?:,\s*\d+(?:[–-]\d+)?)*\]", "a reference number such as [14] or [4–6]"),
    (r"\(\d{4}:\d+\)", "a statute number such as (2001:453)"),
    (r"\d+ kap\. \d+ §", "a statute chapter and section"),
    (r"S\d{4}/\d+/[A-Z]+", "a government file number"),
    (r"Dnr [\d -/]+\d", "an authority's file number"),
    (r"(?:rapport|Rapport) \d{4}:\d+", "a report number such as 2014:36"),
    (r"\b\d{1,2} (?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december) \d{4}\b",
     "a date"),
    (r"\b(?:19[5-9]\d|20[0-3]\d)(?:–(?:19[5-9]\d|20[0-3]\d))?(?:-talet)?\b", "a year or a span of years"),
    (r"\b[Ss]ituation \d\b", "the name of a situation in the homelessness definition"),
    (r"\bunder 18 år\b", "the age limit that defines a child in BME's question"),
    (r"\b(?:Tabell|Figur) 1\b", "the name of the publication's own table or figure"),
    (r"\(1 − n/N\) p\(1 − p\)/\(n − 1\)", "Cochran's variance formula, whose ones are not quantities"),
]


#: Swedish number words that would state a quantity typed by hand. Left out on purpose:
#: "en"/"ett" (also the articles) and "andra" (also "other").
NUMBER_WORDS = (
    "två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton sjutton "
    "arton nitton tjugo trettio fyrtio femtio hundra tusen miljon miljoner tredje fjärde "
    "femte sjätte sjunde åttonde nionde tionde decennium decenniet dubbelt hälften hälft"
).split()

#: Number words that name something rather than state a quantity, each with why.
ALLOWED_WORDS = [
    (r"\btre års mellanrum\b", "the interval of the joint mapping's waves, a fact of its schedule"),
    (r"\bTvå grupper ur BME\b", "the two lists the design names"),
]

#: Chunk options whose text a reader sees.
READER_OPTIONS = re.compile(r"^#\|\s*(fig-cap|fig-alt|tbl-cap):\s*(.*)$")


def printed_text(chunk: list[str], start: int) -> list[tuple[int, str]]:
    """The literal text of a chunk that prints markdown (``output: asis``), line by line: the
    prose of its ``print(f\"\"\"…\"\"\")``, without the values it inserts (``{x:md}``)."""
    import ast

    tree = ast.parse("\n".join(chunk))
    inserted = {id(n) for v in ast.walk(tree) if isinstance(v, ast.FormattedValue) for n in ast.walk(v)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inserted:
            out += [(start + node.lineno + k, line) for k, line in enumerate(node.value.splitlines())]
    return out


def prose_of(text: str) -> list[tuple[int, str]]:
    """The report's prose lines with their line numbers: no front matter, no code (but the
    captions and alt texts of chunks, and the text a chunk prints as markdown), no inline
    code, no attributes or cross-references."""
    lines = text.splitlines()
    out, in_code, in_yaml, chunk, start = [], False, False, [], 0
    for i, line in enumerate(lines, 1):
        if i == 1 and line.strip() == "---":
            in_yaml = True
            continue
        if in_yaml:
            in_yaml = line.strip() != "---"
            continue
        if line.lstrip().startswith("```"):
            if in_code and any(re.match(r"#\|\s*output:\s*asis", c) for c in chunk):
                out += printed_text(chunk, start)
            in_code, chunk, start = not in_code, [], i
            continue
        if in_code:
            chunk.append(line)
            option = READER_OPTIONS.match(line.strip())
            if option:
                out.append((i, option.group(2)))
            continue
        line = re.sub(r"`\{python\}[^`]*`", "", line)
        line = re.sub(r"`[^`]*`", "", line)
        line = re.sub(r"\{[#.][^}]*\}", "", line)
        line = re.sub(r"@(?:sec|fig|tbl)-[\w-]+", "", line)
        out.append((i, line))
    return out


def stray_digits(text: str) -> list[str]:
    found = []
    for i, line in prose_of(text):
        for pattern, _ in ALLOWED_WORDS + ALLOWED:
            line = re.sub(pattern, " ", line)
        words = set(re.findall(r"[a-zåäöé]+", line.lower()))
        if re.search(r"\d", line) or words & set(NUMBER_WORDS):
            found.append(f"line {i}: {line.strip()}")
    return found


def test_report_prose_has_no_literal_numbers(repo_root):
    text = (repo_root / "report.qmd").read_text(encoding="utf-8")
    assert stray_digits(text) == []


@pytest.mark.parametrize(
    "prose, caught",
    [
        ("Av de 29 kommunerna hade 16 haft flyttningar.", True),
        ("Ökningen var 45 procent.", True),
        ("Sedan 2008 och fram till 2014 [4–6].", False),
        ("Redovisades den 1 september 2007 [3].", False),
        ("Socialtjänstlagen (2001:453), 3 kap. 1 § SoL.", False),
        ("Tal inline: `{python} R.n(\"res.forced_moves\")` kommuner.", False),
        ("Cirka 5 000 barn.", True),
        ("I fyra kommuner hade barnfamiljer fått flytta.", True),
        ("Under det senaste decenniet.", True),
        ("Drygt hälften av kommunerna.", True),
        ("```{python}\n#| fig-alt: \"Trappa med fem steg.\"\nR.plot_ladder()\n```", True),
        ("```{python}\nx = 5  # code is not prose\n```", False),
        ('```{python}\n#| output: asis\nprint(f"""Av de 29 kommunerna {x:md}.""")\n```', True),
        ('```{python}\n#| output: asis\nprint(f"""Av de {n:md} kommunerna, {y!r:>5}.""")\n```', False),
    ],
)
def test_the_scan_itself(prose, caught):
    """The scan catches a typed number and lets dates and references through."""
    assert bool(stray_digits("---\ntitle: x\n---\n" + prose)) is caught


#: What an inline expression of report.qmd may not hold: a decision or arithmetic belongs in
#: sbm_stats (STYLE.md: "report.qmd and the notebooks hold no logic").
LOGIC = {"IfExp": "a conditional", "BoolOp": "and/or", "Compare": "a comparison", "Subscript": "indexing",
         "BinOp": "arithmetic or string building", "ListComp": "a comprehension", "GeneratorExp": "a comprehension",
         "Lambda": "a lambda", "JoinedStr": "an f-string"}


def inline_logic(text: str) -> list[str]:
    """The inline expressions (`` `{python} …` ``) of ``text`` that hold logic, each with what."""
    import ast

    found = []
    for i, line in enumerate(text.splitlines(), 1):
        for expression in re.findall(r"`\{python\}\s*([^`]*)`", line):
            kinds = {LOGIC[type(node).__name__] for node in ast.walk(ast.parse(expression, mode="eval"))
                     if type(node).__name__ in LOGIC}
            if kinds:
                found.append(f"line {i}: {expression} ({', '.join(sorted(kinds))})")
    return found


def test_inline_expressions_hold_no_logic(repo_root):
    """An inline expression names a value of sbm_stats and calls it; it decides nothing."""
    text = (repo_root / "report.qmd").read_text(encoding="utf-8")
    assert inline_logic(text) == []


@pytest.mark.parametrize(
    "inline, caught",
    [
        ('`{python} figures.count("res.forced_moves")`', False),
        ('`{python} figures.count_in_words_unless_zero("x", ", samt {} kommuner")`', False),
        ("`{python} design.text.tag(design.text.joint[0].id) if design.text.joint else design.text.open_tags`", True),
        ("`{python} figures.count('a') + 1`", True),
    ],
)
def test_the_logic_scan_itself(inline, caught):
    assert bool(inline_logic(f"Text {inline} text.")) is caught

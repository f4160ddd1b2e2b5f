"""The Word file as a Swedish agency document.

pandoc's ``docx`` writer takes its page, styles and numbering from a *reference
document*. Ours is made here, by code, from the reference document of the pinned
pandoc (``pandoc --print-default-data-file reference.docx``), so that nothing
binary is kept in the repository and the same pandoc always gives the same file:

- the page is A4 (or the ``papersize`` the front matter asks for) with the PDF's
  margins (``templates/report.typ``: 2.5 cm left, right and top, 2.8 cm at the
  foot) and a page number at the foot;
- the text is in the document's language (``lang``: Swedish) at 11 pt, tables
  at 9 pt; headings, captions and the table of contents have their own styles;
  a heading and a table's caption keep with what follows them; the title stands
  a third down its own page;
- a callout is a box: the filter ``quarto.lua`` writes it as Quarto does, a
  one-column table (title row, then body) of table style ``Callout``; the
  paragraph styles ``Callout <Kind> Title`` and ``Callout <Kind>`` (a bordered,
  shaded box) are there for an author who wants a callout without a table.

An author's own ``reference-doc`` (front matter) replaces ours; it is checked
when the front matter is read (:func:`check_reference_doc`).

After pandoc has written the file, :func:`finish_docx` fills in what pandoc
leaves to Word:

- the table of contents: pandoc writes an empty TOC field that Word fills only
  when the reader updates fields; here the field's result holds one hyperlinked
  paragraph per heading (to its bookmark), so the contents show at once and
  Word can still update them (and add page numbers);
- the contents start a page and the text after them starts another, as in the PDF;
- a callout's title row keeps with its body;
- the tables: every table but a callout gets fixed column widths from its content, each
  column at least as wide as its longest word (the rule of
  :func:`sbm_stats.render._tables.column_widths`, shared with the PDF), so that
  Word wraps between words and never inside one; an identifier in a table may
  wrap after an underscore (a zero-width space there, as the PDF's template
  does), and no row is split over two pages.

Every ZIP entry keeps its name and order and gets the time stamp pandoc gives
the document (from ``SOURCE_DATE_EPOCH``), so the file stays reproducible.
"""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from ._errors import RenderError
from ._tables import PAGE_CHARS, column_widths

__all__ = ["PAPER_TWIPS", "build_reference_doc", "check_reference_doc", "finish_docx"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = "http://www.w3.org/XML/1998/namespace"

#: Page sizes in twentieths of a point (width, height).
PAPER_TWIPS = {"a4": (11906, 16838), "a5": (8391, 11906), "a3": (16838, 23811),
               "letter": (12240, 15840), "us-letter": (12240, 15840), "legal": (12240, 20160),
               "us-legal": (12240, 20160)}
# The PDF's margins (templates/report.typ: x 2.5 cm, top 2.5 cm, bottom 2.8 cm), in twips.
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 1417, 1417, 1587
# Callout colours, as the PDF's (filters/quarto.lua), and a light shade of each.
_CALLOUTS = {"Note": ("0B5CAD", "EEF4FB"), "Tip": ("1A7F37", "EEF7F0"), "Warning": ("B35900", "FBF3EC"),
             "Important": ("B00020", "FBEDEF"), "Caution": ("8A6D00", "F8F4E8")}


_NAMESPACES = {"w": W, "r": R}


def _q(tag: str) -> str:
    """'w:p' -> '{http://...wordprocessingml/2006/main}p', as ElementTree names it."""
    prefix, name = tag.split(":")
    return "{" + _NAMESPACES[prefix] + "}" + name


def _el(tag: str, attrib: dict[str, str] | None = None, *children: ET.Element) -> ET.Element:
    element = ET.Element(_q(tag), {_q(k) if ":" in k else k: v for k, v in (attrib or {}).items()})
    element.extend(children)
    return element


def _register(xml: bytes) -> None:
    """Keep the prefixes a part declares (ElementTree would write ns0, ns1 ...)."""
    for prefix, uri in re.findall(rb'xmlns:([A-Za-z0-9]+)="([^"]+)"', xml):
        ET.register_namespace(prefix.decode(), uri.decode())


def _write_xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _rewrite(source: bytes, changes: dict[str, bytes], added: dict[str, bytes] | None = None) -> bytes:
    """The ZIP ``source`` with the entries in ``changes`` replaced, each entry's name and order
    kept; ``added`` entries follow. Every entry is stamped with the time of ``word/document.xml``
    (pandoc's, from ``SOURCE_DATE_EPOCH``), also a part pandoc copied from the reference document."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        infos = zin.infolist()
        stamp = next((i.date_time for i in infos if i.filename == "word/document.xml"), infos[0].date_time)
        for info in infos:
            data = changes.get(info.filename, zin.read(info.filename))
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.external_attr = info.external_attr
            zout.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (added or {}).items():
            zout.writestr(zipfile.ZipInfo(name, date_time=stamp), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ------------------------------------------------------------------ the reference document

def _style(root: ET.Element, style_id: str) -> ET.Element | None:
    return next((s for s in root.iter(_q("w:style")) if s.get(_q("w:styleId")) == style_id), None)


def _set(parent: ET.Element, tag: str, attrib: dict[str, str] | None = None, *, before: tuple[str, ...] = ()
         ) -> ET.Element:
    """``parent``'s child ``tag`` with ``attrib`` (replacing one that is there)."""
    old = parent.find(_q(tag))
    new = _el(tag, attrib)
    if old is not None:
        parent.insert(list(parent).index(old), new)
        parent.remove(old)
        return new
    position = next((i for i, c in enumerate(parent) if c.tag in {_q(t) for t in before}), len(parent))
    parent.insert(position, new)
    return new


def _props(style: ET.Element, tag: str) -> ET.Element:
    """The style's ``w:pPr`` or ``w:rPr`` (made when missing; ``w:pPr`` before ``w:rPr``)."""
    found = style.find(_q(tag))
    if found is None:
        found = _el(tag)
        if tag == "w:pPr" and style.find(_q("w:rPr")) is not None:
            style.insert(list(style).index(style.find(_q("w:rPr"))), found)
        else:
            style.append(found)
    return found


def _font_size(style: ET.Element, half_points: int, *, bold: bool | None = None, colour: str | None = None) -> None:
    rpr = _props(style, "w:rPr")
    if bold is not None:
        _set(rpr, "w:b", {} if bold else {"w:val": "0"}, before=("w:i", "w:color", "w:sz"))
        _set(rpr, "w:bCs", {} if bold else {"w:val": "0"}, before=("w:i", "w:color", "w:sz"))
    if colour is not None:
        _set(rpr, "w:color", {"w:val": colour}, before=("w:sz",))
    _set(rpr, "w:sz", {"w:val": str(half_points)}, before=("w:szCs",))
    _set(rpr, "w:szCs", {"w:val": str(half_points)})


def _callout_styles(kind: str, colour: str, shade: str) -> list[ET.Element]:
    """The body and title styles of one kind of callout: a box drawn by paragraph borders."""
    def box() -> ET.Element:
        edge = {"w:val": "single", "w:sz": "4", "w:space": "4", "w:color": colour}
        return _el("w:pPr", None,
                   _el("w:pBdr", None, _el("w:top", edge),
                       _el("w:left", {"w:val": "single", "w:sz": "24", "w:space": "6", "w:color": colour}),
                       _el("w:bottom", edge), _el("w:right", edge)),
                   _el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": shade}),
                   _el("w:spacing", {"w:before": "0", "w:after": "100"}),
                   _el("w:ind", {"w:left": "170", "w:right": "113"}))

    body = _el("w:style", {"w:type": "paragraph", "w:customStyle": "1", "w:styleId": f"Callout{kind}"},
               _el("w:name", {"w:val": f"Callout {kind}"}), _el("w:basedOn", {"w:val": "BodyText"}),
               _el("w:qFormat"), box())
    title_ppr = box()
    title_ppr.insert(0, _el("w:keepNext"))
    title = _el("w:style", {"w:type": "paragraph", "w:customStyle": "1", "w:styleId": f"Callout{kind}Title"},
                _el("w:name", {"w:val": f"Callout {kind} Title"}), _el("w:basedOn", {"w:val": f"Callout{kind}"}),
                _el("w:next", {"w:val": f"Callout{kind}"}), _el("w:qFormat"), title_ppr,
                _el("w:rPr", None, _el("w:b"), _el("w:bCs"), _el("w:color", {"w:val": colour})))
    return [body, title]


def _toc_style(level: int) -> ET.Element:
    return _el("w:style", {"w:type": "paragraph", "w:styleId": f"TOC{level}"},
               _el("w:name", {"w:val": f"toc {level}"}), _el("w:basedOn", {"w:val": "Normal"}),
               _el("w:next", {"w:val": "Normal"}), _el("w:uiPriority", {"w:val": "39"}), _el("w:unhideWhenUsed"),
               _el("w:pPr", None, _el("w:spacing", {"w:before": "120" if level == 1 else "0", "w:after": "60"}),
                   _el("w:ind", {"w:left": str(220 * (level - 1))})),
               _el("w:rPr", None, *([_el("w:b"), _el("w:bCs")] if level == 1 else [])))


def _styles(xml: bytes, lang: str) -> bytes:
    _register(xml)
    root = ET.fromstring(xml)
    defaults = root.find(f"{_q('w:docDefaults')}/{_q('w:rPrDefault')}/{_q('w:rPr')}")
    _set(defaults, "w:sz", {"w:val": "22"}, before=("w:szCs",))
    _set(defaults, "w:szCs", {"w:val": "22"}, before=("w:lang",))
    _set(defaults, "w:lang", {"w:val": lang, "w:eastAsia": "zh-CN", "w:bidi": "ar-SA"})
    body = _style(root, "BodyText")
    _set(_props(body, "w:pPr"), "w:spacing", {"w:before": "0", "w:after": "140"})
    for level, size in ((1, 32), (2, 26), (3, 23), (4, 22)):
        heading = _style(root, f"Heading{level}")
        _font_size(heading, size, bold=True, colour="1F2A44")
        _set(_props(heading, "w:pPr"), "w:spacing", {"w:before": "360" if level == 1 else "240", "w:after": "120"},
             before=("w:outlineLvl",))
    title = _style(root, "Title")
    _font_size(title, 48, bold=True)
    # the title a third down its page (the contents start the next one)
    _set(_props(title, "w:pPr"), "w:spacing", {"w:before": "4000", "w:after": "240", "w:line": "240",
                                              "w:lineRule": "auto"})
    # the subtitle, author and date are based on the title: without spacing of their own each took the
    # title's 4000 twips before it, and the title block ran over two pages
    for name, before in (("Subtitle", "120"), ("Author", "480"), ("Date", "120")):
        _set(_props(_style(root, name), "w:pPr"), "w:spacing", {"w:before": before, "w:after": "120"})
    caption = _style(root, "Caption")
    rpr = _props(caption, "w:rPr")
    for italic in rpr.findall(_q("w:i")):
        rpr.remove(italic)
    _font_size(caption, 19)
    _set(_props(caption, "w:pPr"), "w:spacing", {"w:before": "120", "w:after": "80"})
    table = _style(root, "Table")
    table_ppr = _el("w:pPr", None, _el("w:spacing", {"w:before": "0", "w:after": "0"}))
    # table text at 9 pt: the column widths (render/_tables.py) then hold a table's longest words
    # also in a wide font (LibreOffice shows Aptos, when it is missing, in DejaVu Sans)
    table_rpr = _el("w:rPr", None, _el("w:sz", {"w:val": "18"}), _el("w:szCs", {"w:val": "18"}))
    position = list(table).index(table.find(_q("w:tblPr")))
    table.insert(position, table_rpr)
    table.insert(position, table_ppr)
    margins = table.find(f"{_q('w:tblPr')}/{_q('w:tblCellMar')}")
    for side in ("w:left", "w:right"):
        _set(margins, side, {"w:w": "80", "w:type": "dxa"})
    _set(margins, "w:top", {"w:w": "30", "w:type": "dxa"}, before=("w:left",))
    _set(margins, "w:bottom", {"w:w": "30", "w:type": "dxa"}, before=("w:right",))
    tbl_pr = table.find(_q("w:tblPr"))
    line = {"w:val": "single", "w:sz": "6", "w:space": "0", "w:color": "404040"}
    _set(tbl_pr, "w:tblBorders", None, before=("w:tblCellMar",)).extend(
        [_el("w:top", line), _el("w:bottom", line)])
    header = next(p for p in table.iter(_q("w:tblStylePr")) if p.get(_q("w:type")) == "firstRow")
    header.insert(0, _el("w:rPr", None, _el("w:b"), _el("w:bCs")))
    # code, such as an id after the name it has, in a small style (the PDF's: 0.82 em): 8 pt, below
    # both the text's 11 pt and a table's 9 pt (a character style's size holds in a table too)
    verbatim = _style(root, "VerbatimChar")
    if verbatim is not None:
        _font_size(verbatim, 16)
    for kind, (colour, shade) in _CALLOUTS.items():
        root.extend(_callout_styles(kind, colour, shade))
    root.extend(_toc_style(level) for level in (1, 2, 3))
    return _write_xml(root)


_FOOTER = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           b'<w:ftr xmlns:w="' + W.encode() + b'"><w:p><w:pPr><w:jc w:val="center"/></w:pPr>'
           b'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText>'
           b'</w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
           b'<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:ftr>')


def _page(xml: bytes, paper: str) -> bytes:
    """The document's section: the paper, the PDF's margins, a page number at the foot."""
    _register(xml)
    root = ET.fromstring(xml)
    section = root.find(f"{_q('w:body')}/{_q('w:sectPr')}")
    width, height = PAPER_TWIPS[paper]
    section.insert(0, _el("w:footerReference", {"w:type": "default", "r:id": "rIdSbmFooter"}))
    for old in section.findall(_q("w:pgSz")) + section.findall(_q("w:pgMar")):
        section.remove(old)
    position = list(section).index(section.find(_q("w:footnotePr"))) + 1 \
        if section.find(_q("w:footnotePr")) is not None else len(section)
    section.insert(position, _el("w:pgMar", {
        "w:top": str(_MARGIN_TOP), "w:right": str(_MARGIN_X), "w:bottom": str(_MARGIN_BOTTOM),
        "w:left": str(_MARGIN_X), "w:header": "709", "w:footer": "709", "w:gutter": "0"}))
    section.insert(position, _el("w:pgSz", {"w:w": str(width), "w:h": str(height)}))
    return _write_xml(root)


def _relationships(xml: bytes) -> bytes:
    footer = (b'<Relationship Id="rIdSbmFooter" '
              b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" '
              b'Target="sbm-footer.xml"/>')
    return xml.replace(b"</Relationships>", footer + b"</Relationships>")


def _content_types(xml: bytes) -> bytes:
    footer = (b'<Override PartName="/word/sbm-footer.xml" '
              b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>')
    return xml.replace(b"</Types>", footer + b"</Types>")


def build_reference_doc(target: Path, *, pandoc: str, data_dir: Path, paper: str = "a4", lang: str = "sv-SE"
                        ) -> Path:
    """Write the report's reference document to ``target``, made from pandoc's own.

    Parameters
    ----------
    target : Path
        Where to write the ``.docx``.
    pandoc : str
        The pandoc executable (whose default reference document is the start).
    data_dir : Path
        An empty pandoc data folder (so that a user's own ``reference.docx`` is not read).
    paper : str
        A key of :data:`PAPER_TWIPS`.
    lang : str
        The document's language tag, for spelling and hyphenation in Word (pandoc writes
        the front matter's ``lang`` there too).
    """
    if paper not in PAPER_TWIPS:
        raise RenderError(f"papersize ({paper!r}) must be one of " + ", ".join(repr(p) for p in PAPER_TWIPS))
    proc = subprocess.run([pandoc, "--data-dir", str(data_dir), "--print-default-data-file", "reference.docx"],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        raise RenderError("pandoc could not give its reference document: "
                          + proc.stderr.decode("utf-8", "replace").strip())
    source = proc.stdout
    with zipfile.ZipFile(io.BytesIO(source)) as z:
        parts = {name: z.read(name) for name in ("word/styles.xml", "word/document.xml",
                                                 "word/_rels/document.xml.rels", "[Content_Types].xml")}
    changes = {
        "word/styles.xml": _styles(parts["word/styles.xml"], lang),
        "word/document.xml": _page(parts["word/document.xml"], paper),
        "word/_rels/document.xml.rels": _relationships(parts["word/_rels/document.xml.rels"]),
        "[Content_Types].xml": _content_types(parts["[Content_Types].xml"]),
    }
    target.write_bytes(_rewrite(source, changes, {"word/sbm-footer.xml": _FOOTER}))
    return target


def check_reference_doc(value: object, *, document: Path) -> Path:
    """The front matter's ``reference-doc``: a ``.docx`` file, relative to ``document``'s folder.

    Raises
    ------
    RenderError
        When the value is not a path to a Word file (missing, not ``.docx``, or not a
        ZIP holding ``word/document.xml`` and ``word/styles.xml``); the message names the
        option and what is allowed.
    """
    what = (f"{document.name}: front matter: reference-doc ({value!r}) must be a Word file (.docx) "
            "whose styles the Word output takes, relative to the document's folder")
    if not isinstance(value, str) or not value.strip():
        raise RenderError(what)
    path = (document.parent / value).resolve()
    if path.suffix.lower() != ".docx":
        raise RenderError(f"{what}; {value!r} does not end in .docx")
    if not path.is_file():
        raise RenderError(f"{what}; there is no file {path}")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        raise RenderError(f"{what}; {path.name} is not a Word file (not a ZIP archive)") from None
    if not {"word/document.xml", "word/styles.xml"} <= names:
        raise RenderError(f"{what}; {path.name} is not a Word file (it has no word/document.xml and "
                          "word/styles.xml)")
    return path


# ------------------------------------------------------------------ after pandoc

def _text(element: ET.Element) -> str:
    return "".join(t.text or "" for t in element.iter(_q("w:t")))


def _style_of(paragraph: ET.Element) -> str | None:
    style = paragraph.find(f"{_q('w:pPr')}/{_q('w:pStyle')}")
    return None if style is None else style.get(_q("w:val"))


def _run(text: str, *children: ET.Element) -> ET.Element:
    run = _el("w:r", None, *children)
    if text:
        t = _el("w:t")
        t.text = text
        t.set(f"{{{_XML}}}space", "preserve")
        run.append(t)
    return run


def _headings(body: ET.Element, depth: int) -> list[tuple[int, str, str]]:
    """(level, text, bookmark) of each heading down to ``depth``, in order.

    pandoc puts a heading's bookmark just before its paragraph."""
    found, bookmarks = [], []
    for child in body:
        if child.tag == _q("w:bookmarkStart"):
            bookmarks.append(child.get(_q("w:name")))
        elif child.tag == _q("w:p"):
            style = _style_of(child) or ""
            m = re.fullmatch(r"Heading([1-9])", style)
            if m and int(m.group(1)) <= depth and bookmarks:
                found.append((int(m.group(1)), " ".join(_text(child).split()), bookmarks[-1]))
            bookmarks = []
    return found


def _fill_toc(body: ET.Element, depth: int) -> int:
    """Put one hyperlinked paragraph per heading into pandoc's TOC field; return how many."""
    for sdt in body.iter(_q("w:sdt")):
        gallery = sdt.find(f".//{_q('w:docPartGallery')}")
        if gallery is None or gallery.get(_q("w:val")) != "Table of Contents":
            continue
        content = sdt.find(_q("w:sdtContent"))
        field = next((p for p in content if p.find(f".//{_q('w:instrText')}") is not None), None)
        if field is None:
            return 0
        instr = field.find(f".//{_q('w:instrText')}").text or ""
        m = re.search(r'\\o\s+"(\d)-(\d)"', instr)
        depth = int(m.group(2)) if m else depth
        entries = _headings(body, depth)
        if not entries:
            return 0
        position = list(content).index(field)
        content.remove(field)
        paragraphs = []
        for level, text, anchor in entries:
            link = _el("w:hyperlink", {"w:anchor": anchor, "w:history": "1"}, _run(text))
            paragraphs.append(_el("w:p", None, _el("w:pPr", None, _el("w:pStyle", {"w:val": f"TOC{level}"})), link))
        begin = [_run("", _el("w:fldChar", {"w:fldCharType": "begin"})),
                 _run("", ET.Element(_q("w:instrText"), {f"{{{_XML}}}space": "preserve"})),
                 _run("", _el("w:fldChar", {"w:fldCharType": "separate"}))]
        begin[1][0].text = instr
        for k, run in enumerate(begin):
            paragraphs[0].insert(1 + k, run)
        paragraphs[-1].append(_run("", _el("w:fldChar", {"w:fldCharType": "end"})))
        for k, paragraph in enumerate(paragraphs):
            content.insert(position + k, paragraph)
        # the contents on a page of their own, after the title, and the text after them (as in the PDF)
        children = list(body)
        following = next((c for c in children[children.index(sdt) + 1:] if c.tag == _q("w:p")), None)
        for paragraph in (content.find(_q("w:p")), following):
            if paragraph is not None:
                if paragraph.find(_q("w:pPr")) is None:
                    paragraph.insert(0, _el("w:pPr"))
                _set(paragraph.find(_q("w:pPr")), "w:pageBreakBefore", before=(
                    "w:framePr", "w:widowControl", "w:numPr", "w:pBdr", "w:shd", "w:spacing", "w:ind", "w:jc"))
        return len(paragraphs)
    return 0


def _cell_text(cell: ET.Element) -> str:
    return " ".join(_text(p) for p in cell.iter(_q("w:p")))


#: What may follow ``w:keepNext`` in a paragraph's properties (ECMA-376 Part 1, 17.3.1.26: the
#: schema's order; only ``w:pStyle`` comes before it).
_AFTER_KEEP_NEXT = ("w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
                    "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
                    "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                    "w:pPrChange")


def _is_callout(table: ET.Element) -> bool:
    """Whether ``table`` is a callout (``quarto.lua`` writes one as a one-column table of style ``Callout``)."""
    style = table.find(f"{_q('w:tblPr')}/{_q('w:tblStyle')}")
    return style is not None and style.get(_q("w:val")) == "Callout"


def _keep_title_with_body(table: ET.Element) -> None:
    """A callout's title row keeps with its body: a page never ends between them."""
    rows = table.findall(_q("w:tr"))
    if len(rows) < 2:
        return
    for p in rows[0].iter(_q("w:p")):
        ppr = p.find(_q("w:pPr"))
        if ppr is None:
            ppr = _el("w:pPr")
            p.insert(0, ppr)
        _set(ppr, "w:keepNext", before=_AFTER_KEEP_NEXT)


def _fix_table(table: ET.Element, text_width: int) -> None:
    """Fixed column widths from the table's content, no column narrower than its longest word."""
    rows = [[_cell_text(c) for c in row.findall(_q("w:tc"))] for row in table.findall(_q("w:tr"))]
    grid = table.find(_q("w:tblGrid"))
    ncol = len(grid.findall(_q("w:gridCol"))) if grid is not None else 0
    if not rows or not ncol or any(len(r) != ncol for r in rows):
        return  # merged cells (or no grid): pandoc's widths stay
    chars = column_widths(rows[0], rows[1:])
    total = sum(chars)
    # a table that fits is as wide as its content; one that does not, as wide as the page
    scale = text_width / PAGE_CHARS if total <= PAGE_CHARS else text_width / total
    twips = [round(c * scale) for c in chars]
    for t in table.iter(_q("w:t")):  # an identifier may wrap after an underscore, as in the PDF
        if t.text and "_" in t.text:
            t.text = t.text.replace("_", "_\u200b")
    tbl_pr = table.find(_q("w:tblPr"))
    _set(tbl_pr, "w:tblW", {"w:type": "dxa", "w:w": str(sum(twips))}, before=("w:tblLayout", "w:tblLook"))
    _set(tbl_pr, "w:tblLayout", {"w:type": "fixed"}, before=("w:tblLook", "w:tblCaption"))
    for col, width in zip(grid.findall(_q("w:gridCol")), twips):
        col.set(_q("w:w"), str(width))
    for row in table.findall(_q("w:tr")):
        tr_pr = row.find(_q("w:trPr"))
        if tr_pr is None:
            tr_pr = _el("w:trPr")
            row.insert(0, tr_pr)
        _set(tr_pr, "w:cantSplit", before=("w:tblHeader",))  # a row is never split over two pages
        for cell, width in zip(row.findall(_q("w:tc")), twips):
            tc_pr = cell.find(_q("w:tcPr"))
            if tc_pr is None:
                tc_pr = _el("w:tcPr")
                cell.insert(0, tc_pr)
            _set(tc_pr, "w:tcW", {"w:type": "dxa", "w:w": str(width)})


#: Twips per unit of OOXML's ``ST_UniversalMeasure`` (a length with its unit, e.g. ``"1in"``).
_TWIPS_PER = {"in": 1440.0, "cm": 1440 / 2.54, "mm": 144 / 2.54, "pt": 20.0, "pc": 240.0, "pi": 240.0}
_MEASURE_RE = re.compile(r"(-?\d+(?:\.\d+)?)(mm|cm|in|pt|pc|pi)?")


def _twips(value: str | None) -> float | None:
    """A page measure of the Word file (``w:w``, ``w:left`` ...) in twips: a whole number of twips, or
    a length with its unit (ECMA-376 ``ST_TwipsMeasure``); ``None`` when missing or not one."""
    found = _MEASURE_RE.fullmatch((value or "").strip())
    if found is None:
        return None
    return float(found.group(1)) * _TWIPS_PER.get(found.group(2) or "", 1.0)


def _text_width(root: ET.Element) -> int:
    """The width between the margins, in twips, of the body's section (as the reference document
    set it); the report's own (A4, its margins) when the section does not give it in numbers."""
    default = PAPER_TWIPS["a4"][0] - 2 * _MARGIN_X
    section = root.find(f"{_q('w:body')}/{_q('w:sectPr')}")
    size = section.find(_q("w:pgSz")) if section is not None else None
    margins = section.find(_q("w:pgMar")) if section is not None else None
    if size is None or margins is None:
        return default
    measures = [_twips(size.get(_q("w:w"))), _twips(margins.get(_q("w:left"))), _twips(margins.get(_q("w:right")))]
    if None in measures:
        return default
    width, left, right = measures
    text = round(width - left - right)
    return text if text > 0 else default


def finish_docx(path: Path, *, toc_depth: int) -> None:
    """Fill the table of contents and fix the tables' widths of the Word file at ``path`` (in place)."""
    source = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(source)) as z:
        xml = z.read("word/document.xml")
    _register(xml)
    root = ET.fromstring(xml)
    body = root.find(_q("w:body"))
    _fill_toc(body, toc_depth)
    width = _text_width(root)
    for table in body.iter(_q("w:tbl")):
        if _is_callout(table):
            _keep_title_with_body(table)
        else:
            _fix_table(table, width)
    path.write_bytes(_rewrite(source, {"word/document.xml": _write_xml(root)}))

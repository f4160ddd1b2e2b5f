--[[
Traced values: every number the report shows as a ``.sbm-value`` span (made by
``sbm_stats.report.values.TracedValue``) gets its provenance in the output, and
the document gets a values appendix ("Sifferförteckning").

Runs after ``quarto.lua`` (headings are numbered by then), in the same pandoc
run. A span made by ``TracedValue`` names its value by its tag, a class,

  [16 386]{.sbm-value .sbm-v-4f0c21d9ab}

and the value's id and provenance come from the render's registry: a JSON file the
engine wrote from the kernel (``sbm_stats.report.values.shown_values``; its
name is ``sbm-render.values`` in the metadata), per id one record per tag with
its row, source, computation and the ids and tags of its inputs; a tag names one
id's value. So the provenance is read once per value, however often the number is
shown. The number a span shows must be its value's text. A span written by hand
names an id, ``[16 386]{.sbm-value data-value-id="…"}``, with its tag
(``data-value``) or alone (when the registry holds one value under it), or carries
its fields itself (``data-raw``, ``data-table``, ``data-source``, …). Two different
values under one id fail the render when the document shows both.

Where the appendix goes is the front matter's ``values-appendix``
(``sbm-render.values-appendix``; see ``sbm_stats/render/_settings.py``):

- ``separate`` (the default): not in the document. The engine renders it as a
  document of its own, ``<stem>.values.html`` (and ``.pdf``/``.docx`` when
  asked), by a second run of this filter in the mode ``companion``, which reads
  the values, in order and with the sections each appears in, from the
  document's own run (``entry`` of each record of ``sbm-values``);
- ``inline``: at the document's end (below);
- ``none``: nowhere; the notes and the values file stay.

Per format:

- html, for a reader by keyboard and screen reader as much as by mouse (no
  script; the page's first stop is a link past the table of contents, in the
  template):
  - a number in the text becomes a ``<button>`` (a tab stop; mouse, keyboard
    and touch) named for what it opens (``aria-label`` "29, källa och
    beräkning") and followed right away by its note, so that a screen reader
    reading on meets it: a ``<span>`` with the HTML ``popover`` attribute and
    ``role="note"``, one per place the value is shown. Its lines: first the link
    to the value's entry in the appendix (in the companion,
    ``<stem>.values.html#varde-<id>``, under ``separate``; none under ``none``),
    then the source (as text), data row, computation and claim, and last the
    source's web address (so that the first stop inside is not a way out of the
    report). The browser anchors an open note to the button that opened it;
    report.css puts it beside the number (CSS anchor positioning);
  - a table or a figure that shows more than one value is one tab stop: its
    numbers are buttons out of the tab order (``tabindex="-1"``: a pointer still
    opens their note, a link can still focus them), and after it a ``<details>``
    lists each of its values once with its note; the notes its numbers open
    follow the list (outside it: a closed ``<details>`` would not show them);
  - each shown number has the id ``plats-<id>-<k>`` (its k-th place), and each
    entry of the appendix links back to every place its value is shown (in the
    companion, ``<stem>.html#plats-…``); following such a link focuses the
    number, and ``:target`` marks it. Escape closes a note and gives focus back
    to its number (the popover's own behaviour); following a link inside a note
    does not close it (that needs script): to another page (the companion) the
    note is gone on return unless the browser kept the page in its back/forward
    cache, where Escape then closes it; to a place in the page the note stays
    anchored to its number and scrolls away with it;
- pdf, docx: inline, the number links to its entry in the appendix; separate
  and none, the number is plain text (a link to a named place in another file
  is followed by some PDF viewers and word processors and not by others). Then
  the run has the role ``secondary`` (``sbm-render.values-role``) when the
  render's primary run, HTML's, has checked and listed the values of the same
  text: it only makes each number its text (``as_text``); see
  ``_pandoc.write_outputs``.

Inline, the appendix goes into the Div ``#sifferforteckning`` when the document
has one (after what the div holds: the document writes the heading in it), else
at the end; separate and none remove the div, and an empty div's heading written
right above it. It lists first the sources, once each, then per value what it is
(the row's name, the claim's wording) with its id after it in a small code style,
the sections it appears in (number and title), its source and section, data row
(the table's, row's and column's names, each with its id), computation (inputs
linked to their entries) and claim. PDF gets it as one raw
Typst block (there the source and the inputs are named, not linked: every link
to a label costs Typst a second layout of its paragraph; the numbers of the text
link to their entries), Word as one raw WordprocessingML block after the sources. In HTML the appendix, each
table's list and notes, and each number's button and note are HTML text that the
engine puts in after pandoc has written (and embedded the images of) the page, each
at its marked place (``html_part``; ``sbm-values-html`` in the metadata, one JSON
text, handed on by ``report.lua``): they hold no file to embed, and pandoc's
``--embed-resources`` parses every tag of a page, which for report.qmd's ~900
values cost more than the rest of the page (the buttons and notes of the text
alone: 0.26 s). Building them as pandoc elements cost more again.

Every value is also written into the metadata (``sbm-values``, JSON) for the
values file ``<stem>.values.csv``; two different values under one id go to
``sbm-value-problems``, a span whose value has no record to
``sbm-value-unknown`` (``report.lua`` hands them to Python, which fails the
render with their lines).
]]

local fmt = "html"
local mode = "inline"      -- where the appendix goes: inline, separate, none; companion: it is the document
local companion = ""       -- separate: the companion's file name, which the html notes link to
local known = {}           -- id -> tag -> record: the registry
local by_tag = {}          -- tag -> record (see read_registry)
local values = {}          -- id -> record: the values shown and their inputs
local order = {}           -- ids in order of first sight
local problems = {}
local unknown = {}
local section = nil        -- the heading the walk is under: "2.1 Urval"
local html_parts = {}      -- html: the appendix and the tables' lists and notes, put in after the writer
local container = nil      -- html: the table or figure the walk is in (see Container)
local containers = 0
local parts_made = 0       -- html: the parts made by html_part
local nonce = "0"          -- makes the places they go unguessable to the document

local FIELDS = { "raw", "table", "row", "column", "source", "source-citation", "source-section",
                 "source-text", "source-url", "computation", "claim", "verdict" }
-- What a reader calls them (from the data package, where it names them): shown before the ids.
-- Not compared between two values under one id: they follow from the fields above.
local NAMES = { "source-name", "table-name", "row-name", "column-name", "claim-name" }

-- Text without the characters no output may hold, as sbm_stats._markup.drop_unsafe_characters:
-- control characters but tab, LF and CR (not allowed in XML, and never text a reader should
-- get in HTML or Typst either), DEL and C1 controls, lone surrogates (as a UTF-8 encoder that
-- lets them through writes them), U+FFFE and U+FFFF. A Lua pattern is bytes: the UTF-8 forms.
local function clean(text)
  return (text:gsub("[\0-\8\11\12\14-\31\127]", ""):gsub("\194[\128-\159]", "")
              :gsub("\237[\160-\191][\128-\191]", ""):gsub("\239\191[\190\191]", ""))
end

local function meta_string(value)
  if value == nil then return nil end
  if type(value) == "string" or type(value) == "boolean" or type(value) == "number" then
    return tostring(value)
  end
  return pandoc.utils.stringify(value)
end


-- A value's text fields and names, as the kernel's registry or the listing gives them, onto ``record``.
local function copy_text_fields(item, record)
  for _, key in ipairs(FIELDS) do
    if item[key] ~= nil then record[key] = tostring(item[key]) end
  end
  for _, key in ipairs(NAMES) do
    if item[key] ~= nil then record[key] = tostring(item[key]) end
  end
end

-- The tag a span made by TracedValue names its value by: its class ``sbm-v-<tag>``.
local function span_tag(span)
  for _, class in ipairs(span.classes) do
    if class:sub(1, 6) == "sbm-v-" then return class:sub(7) end
  end
  return nil
end

-- A span that names a traced value: by its tag (made by TracedValue) or by id (written by hand).
local function is_value(span)
  return span.classes:includes("sbm-value") and (span.attributes["data-value-id"] ~= nil or span_tag(span) ~= nil)
end

-- Reads the registry into ``known`` (id -> tag -> record) and ``by_tag`` (tag -> record;
-- false for a tag two ids share, which names no value: the kernel's registry keeps tags apart).
local function read_registry(path)
  if path == nil or path == "" then return {} end
  local handle = io.open(path, "r")
  if handle == nil then error("sbm-stats: the registry of traced values " .. path .. " cannot be read") end
  local text = handle:read("a")
  handle:close()
  local registry = {}
  for id, variants in pairs(pandoc.json.decode(text, false)) do
    registry[id] = {}
    for tag, item in pairs(variants) do
      local record = { id = id, formatted = item.formatted or "", inputs = item.inputs or {},
                       input_tags = item["input-tags"] or {} }
      copy_text_fields(item, record)
      registry[id][tag] = record
      if by_tag[tag] == nil then by_tag[tag] = record else by_tag[tag] = false end
    end
  end
  return registry
end

-- The one value an id names when the span gives no tag (a span written by hand).
local function only_variant(variants)
  local found, count = nil, 0
  for _, record in pairs(variants) do
    found, count = record, count + 1
  end
  return count == 1 and found or nil
end

local function anchor(record)
  -- Word bookmarks take letters, digits and _ only, 40 at most, and a Typst label not
  -- every character of an id written by hand: numbered there
  if fmt == "docx" then return "varde_" .. record.n end
  if fmt == "pdf" then return "varde-" .. record.n end
  return "varde-" .. record.id
end

local function same(a, b)
  for _, key in ipairs(FIELDS) do
    if (a[key] or "") ~= (b[key] or "") then return false, key end
  end
  if a.formatted ~= b.formatted then return false, "formatted" end
  return true, nil
end

-- Register a value (shown, or an input) and, first, its inputs; returns its record.
local function register(record)
  local seen = values[record.id]
  if seen ~= nil then
    local ok, key = same(seen, record)
    if not ok then
      table.insert(problems, string.format("%s\t%s\t%s\t%s", record.id, key, seen[key] or seen.formatted or "",
                                           record[key] or record.formatted or ""))
    end
    return seen
  end
  values[record.id] = record   -- before its inputs: a cycle ends here
  for i, id in ipairs(record.inputs) do
    local input = known[id] and known[id][(record.input_tags or {})[i] or ""]
    if input ~= nil then register(input) end
  end
  record.n = #order + 1
  record.sections = {}
  record.seen = {}
  record.occurrences = {}    -- html: { id = "plats-<id>-<k>", section = … } per place it is shown
  table.insert(order, record.id)
  return record
end

local function from_span(span)
  local id = span.attributes["data-value-id"]
  local described = false
  if id ~= nil then
    for _, key in ipairs(FIELDS) do
      if span.attributes["data-" .. key] then described = true end
    end
  end
  local record
  if described then   -- a span written by hand, with its fields
    record = { id = id, formatted = pandoc.utils.stringify(span.content), inputs = {} }
    for _, key in ipairs(FIELDS) do record[key] = span.attributes["data-" .. key] end
  else
    if id == nil then   -- made by TracedValue: its tag names the value
      local tag = span_tag(span)
      record = by_tag[tag] or nil
      id = record and record.id or ("sbm-v-" .. tag)
    else
      local variants = known[id] or {}
      local tag = span.attributes["data-value"]
      record = tag and variants[tag] or (not tag and only_variant(variants)) or nil
    end
    if record == nil then
      table.insert(unknown, id)
      return nil
    end
    -- the number shown must be the value's: a span left from other data must not borrow its provenance
    -- (pandoc makes straight quotes typographic; each replaced as a whole UTF-8 sequence, since a
    -- Lua character class is bytes)
    -- Text is shown with a run of whitespace as one space (sbm_stats._markup.escape_markdown).
    local shown = pandoc.utils.stringify(span.content):gsub("“", '"'):gsub("”", '"'):gsub("‘", "'")
                                                      :gsub("’", "'")
    local squash = function(text) return (text:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")) end
    if squash(shown) ~= squash(clean(record.formatted)) then
      table.insert(problems, string.format("%s\t%s\t%s\t%s", id, "shown text", record.formatted, shown))
    end
  end
  record = register(record)
  local where = section or ""
  if not record.seen[where] then
    record.seen[where] = true
    table.insert(record.sections, where)
  end
  if fmt == "html" then
    local k = #record.occurrences + 1
    table.insert(record.occurrences, { id = "plats-" .. record.id .. "-" .. k, section = where })
  end
  return record
end

-- ------------------------------------------------------------------ text of a value

-- The audit's verdicts, as a reader of the report reads them.
local VERDICTS = { consistent = "stämmer", inconsistent = "stämmer inte", ["not verifiable"] = "kan inte prövas" }

-- Text for a reader as pieces: { text = "…" } or { code = "…" }, an id shown in a small
-- code style after the name it has (each format writes the pieces: html_pieces, …).
local function named(name, id, without)
  if name ~= nil and name ~= "" then return { { text = name .. " " }, { code = id } } end
  return { { text = without or "" }, { code = id } }
end

local function concat(...)
  local out = {}
  for _, list in ipairs({ ... }) do
    for _, piece in ipairs(list) do table.insert(out, piece) end
  end
  return out
end

-- The data row: "Publicerade uppgifter `published_figures`, rad ”…” `bme.flats_2013`, kolumn Antal `count`".
local function row_pieces(r)
  return concat(named(r["table-name"], r.table, "tabell "),
                { { text = ", rad " } }, named(r["row-name"] and ("”" .. r["row-name"] .. "”"), r.row),
                { { text = ", kolumn " } }, named(r["column-name"], r.column))
end

-- The claim: its wording, its id, the audit's verdict.
local function claim_pieces(r)
  local verdict = r.verdict and (VERDICTS[r.verdict] or r.verdict) or "okänt"
  return concat(named(r["claim-name"] and ("”" .. r["claim-name"] .. "”"), r.claim),
                { { text = ", granskningens utfall: " .. verdict } })
end

-- What the value is, for the heading of its entry: its row (and column), else its claim.
local function value_name(r)
  if r["row-name"] then
    return r["row-name"] .. (r["column-name"] and (", " .. pandoc.text.lower(r["column-name"])) or "")
  end
  return r["claim-name"] and ("”" .. r["claim-name"] .. "”") or nil
end

local function citation(record)
  return record["source-citation"] or record["source-text"] or record.source or ""
end

local function source_text(record)
  if record["source-text"] then return record["source-text"] end
  local section_text = record["source-section"]
  return citation(record) .. (section_text and (" Avsnitt: " .. section_text .. ".") or "")
end

local function where_text(record)
  local where = {}
  for _, s in ipairs(record.sections) do table.insert(where, s ~= "" and s or "(före första rubriken)") end
  if #where == 0 then return "visas inte i texten; indata till en beräkning" end
  return table.concat(where, "; ")
end

-- The sources of the listed values, once each, in order of first use.
local function sources()
  local list, index = {}, {}
  for _, id in ipairs(order) do
    local r = values[id]
    if r.source and index[r.source] == nil then
      table.insert(list, r)
      index[r.source] = #list
    end
  end
  return list, index
end

-- ------------------------------------------------------------------ html

-- A URL from data as a link target, or nil (then it is shown as text): only an http or https
-- URL with a host, its scheme in any case, read as a browser reads it (without the spaces and
-- control characters at its ends and the tabs and line breaks inside), as
-- sbm_stats._markup.link_target. Whitespace or an unsafe character left inside: no link.
local function link_target(url)
  if url == nil then return nil end
  local text = url:gsub("[\t\n\r]", ""):gsub("^[\0-\32\127]+", ""):gsub("[\0-\32\127]+$", "")
  if text:find("[%s%c]") or clean(text) ~= text then return nil end
  local scheme, rest = text:match("^(%a[%w+.-]*):(.*)$")
  if scheme == nil then return nil end
  scheme = scheme:lower()
  if (scheme ~= "http" and scheme ~= "https") or not rest:match("^//[^/?#]") then return nil end
  return scheme .. ":" .. rest
end

local HTML_ENTITIES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }

local function html_escape(text)
  -- most texts have nothing to drop or escape (a byte of a character clean drops, or one of &<>")
  if not text:find('[%c\127\194\237\239&<>"]') then return text end
  return (clean(text):gsub('[&<>"]', HTML_ENTITIES))
end

local function html_line(label, html)
  return '<span class="sbm-value-line"><strong>' .. label .. ":</strong> " .. html .. "</span>"
end

local function html_pieces(pieces)
  local out = {}
  for _, piece in ipairs(pieces) do
    table.insert(out, piece.code and ("<code>" .. html_escape(piece.code) .. "</code>") or html_escape(piece.text))
  end
  return table.concat(out)
end

-- The note of a value, as lines: first the link to its entry in the appendix (in this page or
-- the companion), then what it is, its source as text, and the source's web address last, so
-- that a keyboard's first stop inside the note stays in the report.
local function html_note_lines(record)
  if record.note_html then return record.note_html end   -- a value shown twice, or in a table's list and note
  local out = {}
  if mode == "inline" or mode == "separate" then
    local target = (mode == "separate" and companion or "") .. "#" .. anchor(record)
    table.insert(out, '<span class="sbm-value-line"><a href="' .. html_escape(target) .. '">I sifferförteckningen</a> <code>'
                 .. html_escape(record.id) .. "</code></span>")
  end
  if record.source then table.insert(out, html_line("Källa", html_escape(source_text(record)))) end
  if record.table then table.insert(out, html_line("Data", html_pieces(row_pieces(record)))) end
  if record.computation then table.insert(out, html_line("Beräkning", html_escape(record.computation))) end
  if record.claim then
    table.insert(out, html_line("Påstående i publikationen", html_pieces(claim_pieces(record))))
  end
  if record["source-url"] then
    -- an http(s) address is a link; anything else is shown as text (sbm_stats._markup.link_target)
    local target = link_target(record["source-url"])
    local shown = html_escape(record["source-url"])
    table.insert(out, html_line("Källan på webben", target and ('<a class="sbm-value-url" href="'
      .. html_escape(target) .. '">' .. shown .. "</a>") or shown))
  end
  record.note_html = table.concat(out)
  return record.note_html
end

-- A value's note: a popover (no script) that the browser anchors to the button that opened it
-- (report.css places it beside the number). A span: it may stand inside a paragraph.
local function html_note(record, id)
  return '<span popover id="' .. id .. '" class="sbm-value-note" role="note">' .. html_note_lines(record) .. "</span>"
end

local function source_anchor(index, record)
  return (fmt == "docx" and "kalla_" or "kalla-") .. index[record.source]
end

-- Where a value is shown: a link to each place (``plats-<id>-<k>``, the number's button), in
-- this page (inline) or in the report beside the companion; text where the places are unknown.
local function where_html(r)
  local places = r.occurrences or {}
  if #places == 0 then return html_escape(where_text(r)) end
  local page = mode == "companion" and (companion:gsub("%.values%.html$", ".html")) or ""
  local links, count = {}, {}
  for _, place in ipairs(places) do
    local name = place.section ~= "" and place.section or "(före första rubriken)"
    count[name] = (count[name] or 0) + 1
    local text = count[name] > 1 and (name .. " (" .. count[name] .. ")") or name
    table.insert(links, '<a href="' .. html_escape(page .. "#" .. place.id) .. '">' .. html_escape(text) .. "</a>")
  end
  return table.concat(links, "; ")
end

local function html_appendix(index, listed)
  local out = { '<div class="sbm-value-sources"><p><strong>Källor</strong></p><ul>' }
  for _, r in ipairs(listed) do
    local text = html_escape(citation(r))
    local target = link_target(r["source-url"])
    if target then text = '<a href="' .. html_escape(target) .. '">' .. text .. "</a>" end
    table.insert(out, '<li id="' .. source_anchor(index, r) .. '">' .. text .. " <code>" .. html_escape(r.source)
                 .. "</code></li>")
  end
  table.insert(out, "</ul></div>")
  for _, id in ipairs(order) do
    local r = values[id]
    local facts = { html_line("Förekommer i", where_html(r)) }
    if r.source then
      local text = '<a href="#' .. source_anchor(index, r) .. '">' .. html_escape(r["source-name"] or "tabell")
                   .. "</a> <code>" .. html_escape(r.source) .. "</code>"
      if r["source-section"] then text = text .. ", avsnitt " .. html_escape(r["source-section"]) end
      table.insert(facts, html_line("Källa", text))
    end
    if r.table then table.insert(facts, html_line("Data", html_pieces(row_pieces(r)))) end
    if r.computation then
      local text = html_escape(r.computation)
      if #r.inputs > 0 then
        local links = {}
        for _, input in ipairs(r.inputs) do
          table.insert(links, '<a href="#' .. html_escape(anchor(values[input])) .. '"><code>'
                       .. html_escape(input) .. "</code></a>")
        end
        text = text .. "; indata: " .. table.concat(links, ", ")
      end
      table.insert(facts, html_line("Beräkning", text))
    end
    if r.claim then table.insert(facts, html_line("Påstående i publikationen", html_pieces(claim_pieces(r)))) end
    table.insert(out, '<div id="' .. html_escape(anchor(r)) .. '" class="sbm-value-entry" tabindex="-1"><p><strong>'
                 .. html_escape(r.formatted) .. "</strong> — " .. html_pieces(named(value_name(r), r.id))
                 .. "</p><p>" .. table.concat(facts) .. "</p></div>")
  end
  return table.concat(out, "\n")
end

-- A table's or a figure's values (html): one stop for the keyboard after it, a <details>
-- listing each value once with its note; and the notes its numbers open (buttons out of the
-- tab order, for a pointer), outside the <details>, where a closed one would hide them.
local function container_label(kind, block)
  local caption = block.caption and pandoc.utils.stringify(block.caption.long or {}) or ""
  local label = caption:match("^([^:]+):")
  if label ~= nil and #label <= 40 then return label end
  return kind == "figure" and "Figuren" or "Tabellen"
end

local function container_html(c)
  local count = #c.records == 1 and "1 värde" or (#c.records .. " värden")
  local out = { '<details class="sbm-values-of"><summary>' .. html_escape(c.label)
                .. ": källa och beräkning för " .. count .. "</summary><ul>" }
  for _, r in ipairs(c.records) do
    local name = value_name(r)
    table.insert(out, '<li data-value-id="' .. html_escape(r.id) .. '"><strong>' .. html_escape(r.formatted) .. "</strong>"
                 .. (name and (" — " .. html_escape(name)) or "") .. html_note_lines(r) .. "</li>")
  end
  table.insert(out, '</ul></details><div class="sbm-value-notes">')
  for _, r in ipairs(c.records) do table.insert(out, html_note(r, "sbm-vp-" .. r.n .. "-t" .. c.n)) end
  table.insert(out, "</div>")
  return table.concat(out)
end

-- ------------------------------------------------------------------ typst (pdf)

local function typst_string(text)
  return '"' .. clean(text):gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("[\r\n]+", " ") .. '"'
end

local function typst_pieces(pieces)
  local out = {}
  for _, piece in ipairs(pieces) do
    if piece.code then table.insert(out, "#sbm-id(" .. typst_string(piece.code) .. ")")
    elseif piece.text ~= "" then table.insert(out, "#" .. typst_string(piece.text)) end
  end
  return table.concat(out)
end

local function typst_fact(label, body)
  return "[#strong(" .. typst_string(label .. ":") .. ") " .. body .. "]"
end

local function typst_appendix(index, listed)
  local out = {
    "#set par(justify: false)",
    -- ids in the monospace font as text: a raw element costs Typst several times more; an id
    -- longer than a line (a design variant's: 115 characters) may break after its : and _
    "#let sbm-id(id) = text(font: \"DejaVu Sans Mono\", size: 0.82em, if id.len() > 60 {",
    "  id.replace(\":\", \":\u{200B}\").replace(\"_\", \"_\u{200B}\") } else { id })",
    "#let sbm-value-entry(name, shown, ..facts) = block(above: 0.8em, below: 0.8em)[",
    "  #strong(shown) — #name",
    "  #set text(size: 0.88em)",
    "  #for fact in facts.pos() [ \\ #fact]",
    "]",
    "#strong(\"Källor\")",
  }
  for _, r in ipairs(listed) do
    local text = "#" .. typst_string(citation(r))
    local target = link_target(r["source-url"])
    if target then text = "#link(" .. typst_string(target) .. ")[" .. text .. "]" end
    table.insert(out, "#block[" .. text .. " #sbm-id(" .. typst_string(r.source) .. ")] <" .. source_anchor(index, r)
                 .. ">")
  end
  table.insert(out, "")
  for _, id in ipairs(order) do
    local r = values[id]
    local facts = { typst_fact("Förekommer i", "#" .. typst_string(where_text(r))) }
    if r.source then
      local text = typst_pieces(named(r["source-name"], r.source))
      if r["source-section"] then text = text .. "#" .. typst_string(", avsnitt " .. r["source-section"]) end
      table.insert(facts, typst_fact("Källa", text))
    end
    if r.table then table.insert(facts, typst_fact("Data", typst_pieces(row_pieces(r)))) end
    if r.computation then
      -- the text after a #"…" expression goes into the string: Typst's markup would take a
      -- following ";" as the end of the expression. The inputs are named, not linked (a
      -- link to a label costs Typst a second layout of its paragraph: 0.75 s for the
      -- report's 821 inputs); each is an entry of this appendix, found by its id.
      local text = "#" .. typst_string(r.computation .. (#r.inputs > 0 and "; indata: " or ""))
      if #r.inputs > 0 then
        local names = {}
        for _, input in ipairs(r.inputs) do table.insert(names, "#sbm-id(" .. typst_string(input) .. ")") end
        text = text .. table.concat(names, ", ")
      end
      table.insert(facts, typst_fact("Beräkning", text))
    end
    if r.claim then
      table.insert(facts, typst_fact("Påstående i publikationen", typst_pieces(claim_pieces(r))))
    end
    table.insert(out, "#sbm-value-entry([" .. typst_pieces(named(value_name(r), r.id)) .. "], "
                 .. typst_string(r.formatted) .. ", "
                 .. table.concat(facts, ", ") .. ") <" .. anchor(r) .. ">")
  end
  return pandoc.RawBlock("typst", table.concat(out, "\n"))
end

-- ------------------------------------------------------------------ docx

-- Word: the sources as pandoc elements (a few), the entries as one raw block of
-- WordprocessingML (hundreds of pandoc elements cost the writer more than the rest of
-- the document). Styles are those of pandoc's reference document: BodyText,
-- VerbatimChar, Hyperlink. Bookmark ids start at 1 000 000, above pandoc's own.
local function xml_escape(text)
  return (clean(text):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function w_run(text, props)
  return "<w:r>" .. (props and ("<w:rPr>" .. props .. "</w:rPr>") or "")
         .. '<w:t xml:space="preserve">' .. xml_escape(text) .. "</w:t></w:r>"
end

local W_BOLD, W_CODE = "<w:b /><w:bCs />", '<w:rStyle w:val="VerbatimChar" />'

-- A link to a bookmark; its run has one character style (the id's VerbatimChar, as pandoc
-- writes a code span inside a link; a run may have no more than one).
local function w_link(target, text, style)
  return '<w:hyperlink w:anchor="' .. xml_escape(target) .. '">'
         .. w_run(text, style or '<w:rStyle w:val="Hyperlink" />') .. "</w:hyperlink>"
end

local function w_pieces(pieces)
  local out = {}
  for _, piece in ipairs(pieces) do
    if piece.code then table.insert(out, w_run(piece.code, W_CODE))
    elseif piece.text ~= "" then table.insert(out, w_run(piece.text)) end
  end
  return table.concat(out)
end

local function docx_entry(index, r)
  local out = { '<w:p><w:pPr><w:pStyle w:val="BodyText" /></w:pPr><w:bookmarkStart w:id="' .. (1000000 + r.n)
                .. '" w:name="' .. anchor(r) .. '" />', w_run(r.formatted, W_BOLD), w_run(" — "),
                w_pieces(named(value_name(r), r.id)), '<w:bookmarkEnd w:id="' .. (1000000 + r.n) .. '" />' }
  local function add(label, ...)
    table.insert(out, "<w:r><w:br /></w:r>" .. w_run(label .. ": ", W_BOLD))
    for _, part in ipairs({ ... }) do table.insert(out, part) end
  end
  add("Förekommer i", w_run(where_text(r)))
  if r.source then
    add("Källa", r["source-name"] and w_run(r["source-name"] .. " ") or "",
        w_link(source_anchor(index, r), r.source, W_CODE),
        r["source-section"] and w_run(", avsnitt " .. r["source-section"]) or "")
  end
  if r.table then add("Data", w_pieces(row_pieces(r))) end
  if r.computation then
    local parts = { w_run(r.computation .. (#r.inputs > 0 and "; indata: " or "")) }
    for i, input in ipairs(r.inputs) do
      table.insert(parts, w_link(anchor(values[input]), input, W_CODE))
      if i < #r.inputs then table.insert(parts, w_run(", ")) end
    end
    add("Beräkning", table.concat(parts))
  end
  if r.claim then add("Påstående i publikationen", w_pieces(claim_pieces(r))) end
  table.insert(out, "</w:p>")
  return table.concat(out)
end

local function docx_appendix(index, listed)
  local blocks = pandoc.Blocks({ pandoc.Para(pandoc.Strong("Källor")) })
  local items = {}
  for _, r in ipairs(listed) do
    local text = pandoc.Inlines(clean(citation(r)))
    local target = link_target(r["source-url"])
    if target then text = pandoc.Inlines({ pandoc.Link(text, target) }) end
    local line = pandoc.Inlines({})
    line:extend(text)
    line:extend({ pandoc.Space(), pandoc.Code(clean(r.source)) })
    table.insert(items, { pandoc.Div(pandoc.Plain(line), { id = source_anchor(index, r) }) })
  end
  blocks:insert(pandoc.BulletList(items))
  local entries = {}
  for _, id in ipairs(order) do table.insert(entries, docx_entry(index, values[id])) end
  blocks:insert(pandoc.RawBlock("openxml", table.concat(entries, "\n")))
  return blocks
end

-- ------------------------------------------------------------------ the walk

-- A part of the page that the engine puts in after pandoc has written the page: its mark,
-- an HTML comment with the part's name and this render's nonce (see html_parts).
local function html_part(html)
  parts_made = parts_made + 1
  local name = "p" .. parts_made
  html_parts[name] = html
  return pandoc.RawInline("html", "<!--sbm-values:" .. name .. ":" .. nonce .. "-->")
end

local function Span(span)
  if not is_value(span) then return nil end
  local record = from_span(span)
  if record == nil then return nil end
  if fmt == "html" then
    -- The button and its note are parts put in after the writer (as the appendix is): the
    -- number stays pandoc's, between the two marks.
    local place = record.occurrences[#record.occurrences].id
    local out
    if container ~= nil then   -- in a table or figure: out of the tab order; its list is the stop
      if not container.seen[record.id] then
        container.seen[record.id] = true
        table.insert(container.records, record)
      end
      out = pandoc.Inlines({ html_part(string.format(
        '<button type="button" class="sbm-value" tabindex="-1" popovertarget="sbm-vp-%d-t%d" id="%s" '
        .. 'data-value-id="%s">', record.n, container.n, html_escape(place), html_escape(record.id))) })
      out:extend(span.content)
      out:insert(html_part("</button>"))
      return out
    end
    -- in the text: a stop of its own, named for what it opens, its note right after it
    local note = "sbm-vp-" .. record.n .. "-" .. #record.occurrences
    out = pandoc.Inlines({ html_part(string.format(
      '<button type="button" class="sbm-value" popovertarget="%s" id="%s" aria-label="%s" data-value-id="%s">',
      note, html_escape(place), html_escape(record.formatted .. ", källa och beräkning"),
      html_escape(record.id))) })
    out:extend(span.content)
    out:insert(html_part("</button>" .. html_note(record, note)))
    return out
  end
  if mode == "inline" then return pandoc.Link(span.content, "#" .. anchor(record), "", { class = "sbm-value" }) end
  -- separate, none: the number as text; a link to a named place in another file is not
  -- followed alike by PDF viewers and word processors (see values_appendix_options)
  return span.content
end

-- A table or a figure (html): one stop for the keyboard, whatever the number of values it shows
-- (see container_html); one with a single value shows it as the text does, a stop of its own.

local function Container(kind)
  return function(block)
    if fmt ~= "html" or container ~= nil then return nil end
    local count = 0
    block:walk({ Span = function(span) if is_value(span) then count = count + 1 end end })
    if count < 2 then return nil end
    containers = containers + 1
    container = { n = containers, label = container_label(kind, block), records = {}, seen = {} }
    local walked = block:walk({ Span = Span })
    local c = container
    container = nil
    if #c.records == 0 then return walked, false end
    local name = "values-of-" .. c.n
    html_parts[name] = container_html(c)
    return { walked, pandoc.RawBlock("html", "<!--sbm-values:" .. name .. ":" .. nonce .. "-->") }, false
  end
end

local function Header(header)
  local parts = {}
  for _, item in ipairs(header.content) do
    if not (item.t == "Span" and item.classes:includes("header-section-number")) then
      table.insert(parts, item)
    end
  end
  local title = pandoc.utils.stringify(pandoc.Inlines(parts)):gsub("^%s+", "")
  local number = header.attributes["data-number"]
  section = number and (number .. " " .. title) or title
  return nil
end

-- The appendix; with its own heading only when the document gives it no place (a
-- document that places it writes the heading itself, above the div).
local function appendix(level, heading)
  local blocks = pandoc.Blocks({})
  if heading then
    blocks:insert(pandoc.Header(level, "Sifferförteckning", { class = "unnumbered sbm-values-heading" }))
  end
  blocks:insert(pandoc.Para(pandoc.Inlines(
    "Varje siffra i rapporten, med var den förekommer, dess källa och beräkning.")))
  local listed, index = sources()
  if fmt == "html" then
    html_parts.appendix = html_appendix(index, listed)
    blocks:insert(pandoc.RawBlock("html", "<!--sbm-values:appendix:" .. nonce .. "-->"))
  elseif fmt == "pdf" then
    blocks:insert(typst_appendix(index, listed))
  else
    blocks:extend(docx_appendix(index, listed))
  end
  return blocks
end

-- A value as the companion document lists it (see companion_listing).
local function entry_of(r)
  local entry = { id = r.id, formatted = r.formatted, inputs = r.inputs, sections = r.sections,
                  occurrences = r.occurrences }
  for _, key in ipairs(FIELDS) do entry[key] = r[key] end
  for _, key in ipairs(NAMES) do entry[key] = r[key] end
  return entry
end

local function records_json()
  local out = {}
  for _, id in ipairs(order) do
    local r = values[id]
    table.insert(out, {
      id = r.id, section = table.concat(r.sections, "; "), formatted = r.formatted, raw = r.raw or "",
      table = r.table or "", row = r.row or "", column = r.column or "", source = r.source or "",
      source_url = r["source-url"] or "", computation = r.computation or "",
      inputs = table.concat(r.inputs, " "), claim = r.claim or "", verdict = r.verdict or "",
      entry = mode == "separate" and entry_of(r) or nil,
    })
  end
  return pandoc.json.encode(out)
end

local function strings(list)
  local out = pandoc.List({})
  for _, item in ipairs(list) do out:insert(pandoc.MetaString(item)) end
  return out
end

-- The companion document (``<stem>.values.<ext>``): its values, in the order and with
-- the sections the document's own render listed them (``entry`` of the values records).
local function companion_listing(path)
  local handle = io.open(path, "r")
  if handle == nil then error("sbm-stats: the listing of traced values " .. path .. " cannot be read") end
  local entries = pandoc.json.decode(handle:read("a"), false)
  handle:close()
  for n, item in ipairs(entries) do
    local record = { id = item.id, formatted = item.formatted or "", inputs = item.inputs or {},
                     sections = item.sections or {}, occurrences = item.occurrences or {}, n = n }
    copy_text_fields(item, record)
    values[record.id] = record
    table.insert(order, record.id)
  end
end

local function companion_document(doc)
  companion_listing(meta_string(doc.meta["sbm-render"]["values-listing"]))
  doc.blocks = appendix(1, false)
  if fmt == "html" then
    doc.meta["sbm-values-html"] = pandoc.MetaString(pandoc.json.encode({ appendix = html_parts.appendix or "" }))
  end
  return doc
end

-- The document's place for the appendix, when the appendix goes elsewhere (separate) or
-- nowhere (none): the div #sifferforteckning with the heading written in it, and an empty
-- div's heading written right above it (the older way to place it).
local function without_appendix_place(blocks, filter)
  local out = pandoc.Blocks({})
  for _, block in ipairs(blocks) do
    if block.t == "Div" and block.identifier == "sifferforteckning" then
      if #block.content == 0 and #out > 0 and out[#out].t == "Header" then out:remove(#out) end
    else
      out:insert(block)
    end
  end
  local walk = { Div = function(div) if div.identifier == "sifferforteckning" then return {} end end }
  for name, f in pairs(filter or {}) do walk[name] = f end
  return out:walk(walk)
end

-- The role ``secondary``: the render's primary run of this filter (HTML's when the render
-- writes HTML) has checked and listed the values of this very text, and this format shows
-- them as text (the appendix elsewhere or nowhere): each number becomes its text, and the
-- appendix's place goes. Nothing is read or listed again (see _pandoc.write_outputs).
local function as_text(doc)
  doc.blocks = without_appendix_place(doc.blocks, {
    Span = function(span) if is_value(span) then return span.content end end,
  })
  return doc
end

function Pandoc(doc)
  local render = doc.meta["sbm-render"] or {}
  fmt = meta_string(render["format"]) or "html"
  nonce = meta_string(render["nonce"]) or "0"
  mode = meta_string(render["values-appendix"]) or "inline"
  companion = meta_string(render["values-companion"]) or ""
  if mode == "companion" then return companion_document(doc) end
  if meta_string(render["values-role"]) == "secondary" and fmt ~= "html" and mode ~= "inline" then
    return as_text(doc)
  end
  known = read_registry(meta_string(render["values"]))
  local blocks = doc.blocks:walk({ traverse = "topdown", Header = Header, Span = Span, Table = Container("table"),
                                   Figure = Container("figure") })
  doc.meta["sbm-value-problems"] = strings(problems)
  doc.meta["sbm-value-unknown"] = strings(unknown)
  -- the values listed for the values file and the companion; not for a page that has neither
  -- (the live preview: ``sbm-render.values-records`` false)
  if meta_string(render["values-records"]) ~= "false" then
    doc.meta["sbm-values"] = pandoc.MetaString(records_json())
  end
  if mode ~= "inline" then blocks = without_appendix_place(blocks) end
  if #order > 0 and mode == "inline" then
    local top = 6
    blocks:walk({ Header = function(h) if h.level < top then top = h.level end end })
    if top == 6 then top = 1 end
    local placed = false
    blocks = blocks:walk({
      Div = function(div)
        if div.identifier ~= "sifferforteckning" or placed then return nil end
        placed = true
        div.content:extend(appendix(top, false))
        return div
      end,
    })
    if not placed then blocks:extend(appendix(top, true)) end
  end
  if fmt == "html" then
    -- one JSON text (a page has a part for every number it shows; a map of that many
    -- metadata strings cost the filters more than the text)
    if next(html_parts) ~= nil then doc.meta["sbm-values-html"] = pandoc.MetaString(pandoc.json.encode(html_parts)) end
  end
  doc.blocks = blocks
  return doc
end

--[[
Traced values: every number the report shows as a ``.sbm-value`` span (made by
``sbm_stats.report.values.TracedValue``) gets its provenance in the output, and
the document gets a values appendix ("Sifferförteckning").

Runs after ``quarto.lua`` (headings are numbered by then), in the same pandoc
run. A span looks like

  [16 386]{.sbm-value data-value-id="…" data-raw="16386" data-table="…"
           data-row="…" data-column="…" data-source="…" data-source-text="…"
           data-source-url="…" data-computation="…" data-inputs="[…json…]"
           data-claim="…" data-verdict="…"}

``data-inputs`` holds the inputs of a derived value (recursively) as JSON, so
that inputs the text never shows are in the appendix too.

Per format:

- html: the number becomes a ``<button>`` (focusable and activated by mouse,
  keyboard and touch) that opens a popover (the HTML ``popover`` attribute: no
  script) with ``role="note"``, holding the source (linked), the data row, the
  computation and a link to the value's entry in the appendix;
- pdf, docx: the number links to its entry in the appendix.

The appendix goes into the Div ``#sifferforteckning`` when the document has one,
else at the end: per value its id, the sections it appears in (number and
title), its source, data row, computation (inputs linked to their entries) and
claim. Every value is also written into the metadata (``sbm-values``, JSON)
for the values file ``<stem>.values.csv``; two different values under one id
go to ``sbm-value-problems`` (the Python side raises them).
]]

local fmt = "html"
local values = {}          -- id -> record
local order = {}           -- ids in order of first sight
local problems = {}
local section = nil        -- the heading the walk is under: "2.1 Urval"
local n_popover = 0

local FIELDS = { "raw", "table", "row", "column", "source", "source-text", "source-url", "computation",
                 "claim", "verdict" }

local function meta_string(value)
  if value == nil then return nil end
  if type(value) == "string" or type(value) == "boolean" or type(value) == "number" then
    return tostring(value)
  end
  return pandoc.utils.stringify(value)
end

local function anchor(record)
  -- Word bookmarks take letters, digits and _ only, 40 at most: numbered there
  if fmt == "docx" then return "varde_" .. record.n end
  return "varde-" .. record.id
end

local function same(a, b)
  for _, key in ipairs(FIELDS) do
    if (a[key] or "") ~= (b[key] or "") then return false, key end
  end
  if a.formatted ~= b.formatted then return false, "formatted" end
  return true, nil
end

-- Register a value (shown, or an input); returns its record.
local function register(record)
  local known = values[record.id]
  if known == nil then
    record.n = #order + 1
    record.sections = {}
    record.seen = {}
    values[record.id] = record
    table.insert(order, record.id)
    return record
  end
  local ok, key = same(known, record)
  if not ok then
    table.insert(problems, string.format("%s\t%s\t%s\t%s", record.id, key, known[key] or known.formatted or "",
                                         record[key] or record.formatted or ""))
  end
  return known
end

local function from_json(item)
  local record = { id = item.id, formatted = item.formatted or "", inputs = {} }
  for _, key in ipairs(FIELDS) do
    local v = item[key:gsub("-", "_")]
    if v ~= nil then record[key] = tostring(v) end
  end
  local inputs = {}
  if item.inputs then
    for _, input in ipairs(item.inputs) do
      table.insert(inputs, from_json(input).id)
    end
  end
  record = register(record)
  -- a value met again (as the input of several shown values) keeps the inputs it has
  if #record.inputs == 0 then record.inputs = inputs end
  return record
end

local function from_span(span)
  local record = { id = span.attributes["data-value-id"], formatted = pandoc.utils.stringify(span.content),
                   inputs = {} }
  for _, key in ipairs(FIELDS) do
    record[key] = span.attributes["data-" .. key]
  end
  local inputs = {}
  if span.attributes["data-inputs"] then
    for _, item in ipairs(pandoc.json.decode(span.attributes["data-inputs"], false)) do
      table.insert(inputs, from_json(item).id)
    end
  end
  record = register(record)
  if #record.inputs == 0 then record.inputs = inputs end
  local where = section or ""
  if not record.seen[where] then
    record.seen[where] = true
    table.insert(record.sections, where)
  end
  return record
end

-- ------------------------------------------------------------------ per format

local function text_line(label, inlines)
  local line = pandoc.Inlines({ pandoc.Strong(label .. ":"), pandoc.Space() })
  line:extend(inlines)
  return line
end

local function source_inlines(record)
  local text = pandoc.Inlines(record["source-text"] or record.source or "")
  if record["source-url"] then
    return pandoc.Inlines({ pandoc.Link(text, record["source-url"]) })
  end
  return text
end

-- The audit's verdicts, as a reader of the report reads them.
local VERDICTS = { consistent = "stämmer", inconsistent = "stämmer inte", ["not verifiable"] = "kan inte prövas" }

local function claim_text(record)
  local verdict = record.verdict and (VERDICTS[record.verdict] or record.verdict) or "okänt"
  return record.claim .. ", granskningens utfall: " .. verdict
end

local function row_text(record)
  return string.format("tabell %s, rad %s, kolumn %s", record.table, record.row, record.column)
end

local function html_value(span, record)
  n_popover = n_popover + 1
  local note = "sbm-vp-" .. n_popover
  local out = pandoc.Inlines({
    pandoc.RawInline("html", string.format(
      '<button type="button" class="sbm-value" popovertarget="%s" data-value-id="%s">', note,
      record.id:gsub("&", "&amp;"):gsub('"', "&quot;"))),
  })
  out:extend(span.content)
  out:insert(pandoc.RawInline("html", string.format(
    '</button><span popover id="%s" class="sbm-value-note" role="note">', note)))
  local lines = {}
  if record.source then table.insert(lines, text_line("Källa", source_inlines(record))) end
  if record.table then table.insert(lines, text_line("Data", pandoc.Inlines(row_text(record)))) end
  if record.computation then table.insert(lines, text_line("Beräkning", pandoc.Inlines(record.computation))) end
  if record.claim then
    table.insert(lines, text_line("Påstående i publikationen", pandoc.Inlines(claim_text(record))))
  end
  table.insert(lines, pandoc.Inlines({ pandoc.Link(pandoc.Inlines("I sifferförteckningen: " .. record.id),
                                                   "#" .. anchor(record)) }))
  for _, line in ipairs(lines) do
    out:insert(pandoc.RawInline("html", '<span class="sbm-value-line">'))
    out:extend(line)
    out:insert(pandoc.RawInline("html", "</span>"))
  end
  out:insert(pandoc.RawInline("html", "</span>"))
  return out
end

local function Span(span)
  if not span.classes:includes("sbm-value") or span.attributes["data-value-id"] == nil then return nil end
  local record = from_span(span)
  if fmt == "html" then return html_value(span, record) end
  return pandoc.Link(span.content, "#" .. anchor(record), "", { class = "sbm-value" })
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

-- ------------------------------------------------------------------ the appendix

local function entry(record)
  local head = pandoc.Inlines({ pandoc.Strong(record.formatted), pandoc.Space(), pandoc.Str("—"), pandoc.Space(),
                                pandoc.Code(record.id) })
  local items = {}
  local where = {}
  for _, s in ipairs(record.sections) do table.insert(where, s ~= "" and s or "(före första rubriken)") end
  if #where > 0 then
    table.insert(items, text_line("Förekommer i", pandoc.Inlines(table.concat(where, "; "))))
  else
    table.insert(items, text_line("Förekommer i", pandoc.Inlines("visas inte i texten; indata till en beräkning")))
  end
  if record.source then table.insert(items, text_line("Källa", source_inlines(record))) end
  if record.table then table.insert(items, text_line("Data", pandoc.Inlines(row_text(record)))) end
  if record.computation then
    local line = pandoc.Inlines(record.computation)
    if #record.inputs > 0 then
      line:insert(pandoc.Str(";"))
      line:insert(pandoc.Space())
      line:insert(pandoc.Str("indata:"))
      for i, id in ipairs(record.inputs) do
        line:insert(pandoc.Space())
        line:insert(pandoc.Link(pandoc.Inlines({ pandoc.Code(id) }), "#" .. anchor(values[id])))
        if i < #record.inputs then line:insert(pandoc.Str(",")) end
      end
    end
    table.insert(items, text_line("Beräkning", line))
  end
  if record.claim then
    table.insert(items, text_line("Påstående i publikationen", pandoc.Inlines(claim_text(record))))
  end
  local list = {}
  for _, item in ipairs(items) do table.insert(list, { pandoc.Plain(item) }) end
  return pandoc.Div({ pandoc.Para(head), pandoc.BulletList(list) },
                    { id = anchor(record), class = "sbm-value-entry" })
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
  for _, id in ipairs(order) do blocks:insert(entry(values[id])) end
  return blocks
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
    })
  end
  return pandoc.json.encode(out)
end

function Pandoc(doc)
  fmt = meta_string((doc.meta["sbm-render"] or {})["format"]) or "html"
  local blocks = doc.blocks:walk({ traverse = "topdown", Header = Header, Span = Span })
  local problem_list = pandoc.List({})
  for _, p in ipairs(problems) do problem_list:insert(pandoc.MetaString(p)) end
  doc.meta["sbm-value-problems"] = problem_list
  doc.meta["sbm-values"] = pandoc.MetaString(records_json())
  if #order == 0 then
    doc.blocks = blocks
    return doc
  end
  local top = 6
  blocks:walk({ Header = function(h) if h.level < top then top = h.level end end })
  if top == 6 then top = 1 end
  local placed = false
  blocks = blocks:walk({
    Div = function(div)
      if div.identifier ~= "sifferforteckning" or placed then return nil end
      placed = true
      div.content = appendix(top, false)
      return div
    end,
  })
  if not placed then blocks:extend(appendix(top, true)) end
  doc.blocks = blocks
  return doc
end

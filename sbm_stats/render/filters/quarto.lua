--[[
The builtin engine's Quarto transformations, done on pandoc's document tree.

Run by the bundled pandoc (``--lua-filter``) on the markdown that
``sbm_stats/render/_markdown.py`` assembles. What the filter needs to know comes
in the document metadata under ``sbm-render`` (written by ``_pandoc.py``):

  format          html, pdf or docx (the output being written)
  number-sections true to number headings
  number-depth    the deepest heading level numbered
  labels          fig-title, tbl-title, fig-prefix, tbl-prefix, sec-prefix,
                  title-delim (Quarto's ``crossref:`` keys) and callout-<kind>

In reading order, the passes are:

1. conditional content (``.content-visible`` / ``.content-hidden`` with
   ``when-format`` / ``unless-format``), the ``{{< pagebreak >}}`` shortcode,
   ``fig-alt``, and figures and tables written as divs (``::: {#fig-x}``, see
   section 2a below);
2. numbering: headings (``number-sections``), figures and tables (a figure is a
   pandoc Figure with a ``fig-`` id, or a Div ``.sbm-figure-group`` whose parts
   are numbered 1a, 1b, ...; a table is a Table with a ``tbl-`` id), with
   captions "Figur 1: ..." (title, non-breaking space, number, title-delim);
3. callouts (``.callout-note`` ...), with Quarto's screen-reader label in HTML
   when the author gives the callout its own title;
4. cross-references: a Cite whose keys are all ``fig-``/``tbl-``/``sec-`` labels
   becomes links "Figur 1" (``@Fig-`` capitalises the prefix, ``-@fig-`` gives
   the number alone, ``[@fig-a; @tbl-b]`` a list).

Code spans and code blocks are never touched: they are not Cite, Div or Para
elements. Problems are not raised here: labels used twice, references to
labels that do not exist and unsupported shortcodes are written into the
metadata (``sbm-problems``) and the Python side reports them with line numbers.
]]

local cfg = {}
local fmt = "html"
local labels = {}
local targets = {}        -- label -> {kind=, number=, anchor=, title=}
local problems = { duplicate = {}, missing = {}, shortcode = {}, float = {} }
local NBSP = "\u{00A0}"

local function meta_string(value)
  if value == nil then return nil end
  if type(value) == "boolean" or type(value) == "string" or type(value) == "number" then
    return tostring(value)
  end
  return pandoc.utils.stringify(value)
end

local function read_config(meta)
  local render = meta["sbm-render"] or {}
  fmt = meta_string(render["format"]) or "html"
  cfg.number_sections = meta_string(render["number-sections"]) == "true"
  cfg.number_depth = tonumber(meta_string(render["number-depth"]) or "6") or 6
  local given = render["labels"] or {}
  for key, value in pairs(given) do
    labels[key] = meta_string(value)
  end
end

local function add_target(label, target)
  if targets[label] ~= nil then
    table.insert(problems.duplicate, label)
  end
  targets[label] = target
end

-- ------------------------------------------------------------------ 1. conditional content, shortcodes

local FORMAT_NAMES = {
  pdf = { pdf = true, typst = true, latex = true },
  html = { html = true, html5 = true, ["html:js"] = true },
  docx = { docx = true },
}

local function format_matches(names)
  for name in names:gmatch("[^%s,]+") do
    if FORMAT_NAMES[fmt][name] then return true end
  end
  return false
end

local function conditional(div)
  local visible_class = div.classes:includes("content-visible")
  local hidden_class = div.classes:includes("content-hidden")
  if not visible_class and not hidden_class then return nil end
  local match = true
  if div.attributes["when-format"] then
    match = format_matches(div.attributes["when-format"])
  elseif div.attributes["unless-format"] then
    match = not format_matches(div.attributes["unless-format"])
  end
  local visible = (visible_class and match) or (hidden_class and not match)
  if visible then return div.content end
  return {}
end

local function pagebreak()
  if fmt == "pdf" then
    return pandoc.RawBlock("typst", "#pagebreak()")
  elseif fmt == "docx" then
    return pandoc.RawBlock("openxml", '<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
  end
  return pandoc.RawBlock("html", '<div class="page-break" style="page-break-after: always;"></div>')
end

local function shortcode(para)
  local text = pandoc.utils.stringify(para)
  local name = text:match("^{{<%s*([%w_-]+).->}}$")
  if name == nil then return nil end
  if name == "pagebreak" then return pagebreak() end
  table.insert(problems.shortcode, text)
  return nil
end

-- Quarto's fig-alt: the image's alt text (HTML alt, Word description).
local function fig_alt(image)
  local alt = image.attributes["fig-alt"]
  if alt == nil then return nil end
  image.attributes["fig-alt"] = nil
  image.caption = pandoc.Inlines(alt)
  return image
end

-- ------------------------------------------------------------------ 2a. figures and tables written as divs

-- Quarto's figure and table divs (``::: {#fig-x}`` ... ``:::``): the div's last
-- paragraph is its caption when the div holds more than that paragraph, else the
-- div's ``fig-cap`` / ``tbl-cap`` attribute is (Quarto, ``refCaptionFromDiv`` and
-- ``parse_floats`` in ``src/resources/filters/``). A figure div becomes a pandoc
-- Figure with the div's id, so that it is numbered, captioned and written like a
-- chunk's figure in every format; an image in it without alt text gets the
-- caption's text (this engine's rule for every figure, see ``differences.yaml``).
-- A table div gives its id and caption to the one table it holds and is unwrapped;
-- a table div without exactly one table is a problem (as a ``tbl-`` chunk that
-- shows no table is).

local function div_caption(div, kind)
  local content = pandoc.Blocks(div.content)
  local last = content[#content]
  if last ~= nil and last.t == "Para" and #content > 1 then
    content:remove(#content)
    return content, pandoc.Blocks({ pandoc.Plain(last.content) })
  end
  local given = div.attributes[kind .. "-cap"]
  if given ~= nil then
    return content, pandoc.Blocks({ pandoc.Plain(pandoc.utils.blocks_to_inlines(pandoc.read(given, "markdown").blocks)) })
  end
  return content, pandoc.Blocks({})
end

local function strip_cap_attributes(attributes)
  local kept = {}
  for key, value in pairs(attributes) do
    if key ~= "fig-cap" and key ~= "tbl-cap" then kept[key] = value end
  end
  return kept
end

local function figure_div(div, content, caption)
  local alt = pandoc.utils.stringify(caption)
  content = content:walk({
    Image = function(image)
      local own = image.attributes["alt"]  -- a chunk's fig-alt
      if own ~= nil then
        image.attributes["alt"] = nil
        image.caption = pandoc.Inlines(own)
        return image
      end
      if #image.caption == 0 and alt ~= "" then
        image.caption = pandoc.Inlines(alt)
        return image
      end
    end,
  })
  -- An image on its own (a chunk's one plot) is the figure's content as it is for a chunk
  -- figure: Plain, not a paragraph around the image.
  if #content == 1 and content[1].t == "Para" and #content[1].content == 1
      and content[1].content[1].t == "Image" then
    content = pandoc.Blocks({ pandoc.Plain(content[1].content) })
  end
  return pandoc.Figure(content, { long = caption }, pandoc.Attr(div.identifier, div.classes,
    strip_cap_attributes(div.attributes)))
end

local function table_div(div, content, caption)
  local count = 0
  content:walk({ Table = function() count = count + 1 end })
  if count ~= 1 then
    table.insert(problems.float, div.identifier .. "\t" .. tostring(count))
    return content
  end
  return content:walk({
    Table = function(tbl)
      tbl.identifier = div.identifier
      if #caption > 0 then tbl.caption.long = caption end
      return tbl
    end,
  })
end

local function float_div(div)
  if div.classes:includes("sbm-figure-group") then return nil end
  local kind = div.identifier:match("^(%a+)%-")
  if kind ~= "fig" and kind ~= "tbl" then return nil end
  local content, caption = div_caption(div, kind)
  if kind == "fig" then return figure_div(div, content, caption) end
  return table_div(div, content, caption)
end

-- ------------------------------------------------------------------ 2. numbering

local n_fig, n_tbl = 0, 0
local counters = { 0, 0, 0, 0, 0, 0 }
local top_level = nil

local function caption_head(kind, number)
  local title = kind == "fig" and labels["fig-title"] or labels["tbl-title"]
  return title .. NBSP .. number
end

-- The caption "Figur 1: text": the head, title-delim and the author's caption.
local function numbered_caption(kind, number, caption_blocks)
  local head = pandoc.Inlines(caption_head(kind, number))
  local body = pandoc.utils.blocks_to_inlines(caption_blocks or {})
  if #body > 0 then
    head:insert(pandoc.Str(labels["title-delim"]))
    head:insert(pandoc.Space())
    head:extend(body)
  end
  return { pandoc.Plain(head) }
end

local function is_unnumbered(header)
  return header.classes:includes("unnumbered") or header.classes:includes("-")
end

local function number_header(header)
  local number = nil
  if cfg.number_sections and not is_unnumbered(header) then
    local rel = header.level - top_level + 1
    if rel >= 1 and rel <= cfg.number_depth then
      counters[rel] = counters[rel] + 1
      for k = rel + 1, #counters do counters[k] = 0 end
      local parts = {}
      for k = 1, rel do parts[k] = tostring(counters[k]) end
      number = table.concat(parts, ".")
    end
  end
  if header.identifier:match("^sec%-") then
    add_target(header.identifier, {
      kind = "sec", number = number, anchor = header.identifier,
      title = pandoc.utils.stringify(header.content),
    })
  end
  if number ~= nil then
    -- Word shows a one-part number with a full stop, as Quarto writes it there.
    local shown = (fmt == "docx" and not number:find("%.")) and (number .. ".") or number
    local content = pandoc.Inlines({ pandoc.Span(shown, { class = "header-section-number" }), pandoc.Space() })
    content:extend(header.content)
    header.content = content
    header.attributes["data-number"] = number
  end
  return header
end

local function number_figure(figure, number)
  figure.caption.long = numbered_caption("fig", number, figure.caption.long)
  return figure
end

local function number_table(tbl)
  n_tbl = n_tbl + 1
  local number = tostring(n_tbl)
  add_target(tbl.identifier, { kind = "tbl", number = number, anchor = tbl.identifier })
  tbl.caption.long = numbered_caption("tbl", number, tbl.caption.long)
  return tbl
end

local function letter(k)
  return string.char(string.byte("a") + k - 1)
end

-- The figures inside a figure group (every one, or with ``labelled_only`` those
-- with a ``fig-`` id), numbered 1a, 1b, ... in reading order.
local function number_parts(blocks, number, labelled_only)
  local k = 0
  return blocks:walk({
    Figure = function(figure)
      local labelled = figure.identifier:match("^fig%-") ~= nil
      if labelled_only and not labelled then return nil end
      k = k + 1
      local part = number .. letter(k)
      if figure.identifier ~= "" then
        add_target(figure.identifier, { kind = "fig", number = part, anchor = figure.identifier })
      end
      return number_figure(figure, part)
    end,
  })
end

local function number_blocks(blocks)
  -- Headings, figures and tables in reading order, at any depth.
  return blocks:walk({
    traverse = "topdown",
    Header = function(header) return number_header(header) end,
    Div = function(div)
      if not div.classes:includes("sbm-figure-group") then return nil end
      n_fig = n_fig + 1
      local number = tostring(n_fig)
      add_target(div.identifier, { kind = "fig", number = number, anchor = div.identifier })
      div.content = number_parts(div.content, number, false)
      return div, false
    end,
    Figure = function(figure)
      if not figure.identifier:match("^fig%-") then return nil end
      n_fig = n_fig + 1
      local number = tostring(n_fig)
      add_target(figure.identifier, { kind = "fig", number = number, anchor = figure.identifier })
      -- figure divs inside a figure div are its parts 1a, 1b, ... (Quarto's subfigures)
      figure.content = number_parts(figure.content, number, true)
      return number_figure(figure, number), false
    end,
    Table = function(tbl)
      if not tbl.identifier:match("^tbl%-") then return nil end
      return number_table(tbl), false
    end,
  })
end

-- The highest heading level, among the top-level blocks and those in divs and block
-- quotes (a loop over the blocks, not a walk: a walk visits every inline of the document).
local function scan_top_level(blocks)
  for _, block in ipairs(blocks) do
    if block.t == "Header" then
      if not is_unnumbered(block) and (top_level == nil or block.level < top_level) then
        top_level = block.level
      end
    elseif block.t == "Div" or block.t == "BlockQuote" then
      scan_top_level(block.content)
    end
  end
end

local function find_top_level(blocks)
  scan_top_level(blocks)
  top_level = top_level or 1
end

-- ------------------------------------------------------------------ 3. callouts

local CALLOUT_KINDS = { note = true, tip = true, warning = true, important = true, caution = true }
local CALLOUT_COLOURS = {
  note = "#0b5cad", tip = "#1a7f37", warning = "#b35900", important = "#b00020", caution = "#8a6d00",
}

local function callout(div)
  local kind = nil
  for _, class in ipairs(div.classes) do
    local k = class:match("^callout%-(%a+)$")
    if k and CALLOUT_KINDS[k] then kind = k end
  end
  if kind == nil then return nil end
  local default_title = labels["callout-" .. kind]
  local content = div.content
  local title = nil
  if div.attributes["title"] then
    title = pandoc.Inlines(pandoc.read(div.attributes["title"], "markdown").blocks[1].content)
  elseif #content > 0 and content[1].t == "Header" then
    -- a heading first inside the callout is its title (Quarto)
    title = content[1].content
    content = pandoc.Blocks({ table.unpack(content, 2) })
  end
  local custom = title ~= nil
  title = title or pandoc.Inlines(default_title)
  if fmt == "pdf" then
    local colour = CALLOUT_COLOURS[kind]
    local out = pandoc.Blocks({
      pandoc.RawBlock("typst", string.format(
        '#block(width: 100%%, inset: 9pt, radius: 2pt, breakable: true, fill: rgb("%s").lighten(92%%), '
        .. 'stroke: (left: 3pt + rgb("%s")))[', colour, colour)),
      -- the title sticks to the callout's body: a page never ends between them
      pandoc.RawBlock("typst", "#block(sticky: true)["),
      pandoc.Para({ pandoc.Strong(title) }),
      pandoc.RawBlock("typst", "]"),
    })
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  if fmt == "docx" then
    -- paragraph styles of the reference document (render/_docx.py): a bordered, shaded box
    -- round the title and the body, the title kept with the body
    local style = "Callout " .. kind:sub(1, 1):upper() .. kind:sub(2)
    return pandoc.Blocks({
      pandoc.Div(pandoc.Para({ pandoc.Strong(title) }), { ["custom-style"] = style .. " Title" }),
      pandoc.Div(content, { ["custom-style"] = style }),
    })
  end
  local head = pandoc.Inlines({})
  if custom and fmt == "html" then
    -- what a screen reader announces before the author's own title (Quarto)
    head:insert(pandoc.Span(default_title, { class = "screen-reader-only" }))
  end
  head:insert(pandoc.Strong(title))
  local body = pandoc.Blocks({ pandoc.Div(pandoc.Plain(head), { class = "callout-title" }) })
  body:extend(content)
  return pandoc.Div(body, { class = "callout callout-" .. kind })
end

-- ------------------------------------------------------------------ 4. cross-references

local function is_crossref(id)
  local key = id:sub(1, 1):lower() .. id:sub(2)
  return key:match("^fig%-") ~= nil or key:match("^tbl%-") ~= nil or key:match("^sec%-") ~= nil
end

local function ref_inlines(citation)
  local id = citation.id
  local key = id:sub(1, 1):lower() .. id:sub(2)
  local target = targets[key]
  if target == nil then
    table.insert(problems.missing, id)
    return pandoc.Inlines({ pandoc.Strong(pandoc.Str("?@" .. id)) })
  end
  local text
  if target.kind == "sec" and target.number == nil then
    text = pandoc.Inlines(target.title)
  elseif citation.mode == "SuppressAuthor" then
    text = pandoc.Inlines(target.number)
  else
    local prefix = labels[target.kind .. "-prefix"]
    if id:sub(1, 1):match("%u") then
      prefix = pandoc.text.upper(pandoc.text.sub(prefix, 1, 1)) .. pandoc.text.sub(prefix, 2)
    end
    text = pandoc.Inlines(prefix .. NBSP .. target.number)
  end
  return pandoc.Inlines({ pandoc.Link(text, "#" .. target.anchor) })
end

local function crossref(cite)
  for _, citation in ipairs(cite.citations) do
    if not is_crossref(citation.id) then return nil end
  end
  local out = pandoc.Inlines({})
  for i, citation in ipairs(cite.citations) do
    if i > 1 then
      out:insert(pandoc.Str(","))
      out:insert(pandoc.Space())
    end
    out:extend(ref_inlines(citation))
  end
  return out
end

-- ------------------------------------------------------------------ driver

local function as_meta_list(items)
  local list = pandoc.List({})
  for _, item in ipairs(items) do list:insert(pandoc.MetaString(item)) end
  return list
end

-- Front-matter strings are markdown (emphasis is fine) but never raw HTML, Typst
-- or OpenXML: a raw part is shown as the text it is.
local FRONT_MATTER = { "title", "subtitle", "author", "date", "abstract", "pagetitle" }

local function literal_raw(value)
  local filter = {
    RawInline = function(raw) return pandoc.Str(raw.text) end,
    RawBlock = function(raw) return pandoc.Para({ pandoc.Str(raw.text) }) end,
  }
  if pandoc.utils.type(value) == "Inlines" or pandoc.utils.type(value) == "Blocks" then
    return value:walk(filter)
  elseif pandoc.utils.type(value) == "List" then
    return value:map(literal_raw)
  end
  return value
end

local function known_labels()
  local names = {}
  for label, _ in pairs(targets) do table.insert(names, label) end
  table.sort(names)
  return names
end

function Pandoc(doc)
  read_config(doc.meta)
  for _, key in ipairs(FRONT_MATTER) do
    if doc.meta[key] ~= nil then doc.meta[key] = literal_raw(doc.meta[key]) end
  end
  -- one walk: pandoc visits every Image before any block, and blocks from the inside out,
  -- so fig-alt is read before a figure div takes its images, and a figure div inside
  -- conditional content is built before that content is kept or dropped
  local blocks = doc.blocks:walk({
    Image = fig_alt,
    Para = shortcode,
    Div = function(div)
      local kept = conditional(div)
      if kept ~= nil then return kept end
      return float_div(div)
    end,
  })
  find_top_level(blocks)
  blocks = number_blocks(blocks)
  blocks = blocks:walk({ Cite = crossref })
  blocks = blocks:walk({ traverse = "topdown", Div = callout })
  doc.blocks = blocks
  doc.meta["sbm-problems"] = pandoc.MetaMap({
    duplicate = as_meta_list(problems.duplicate),
    missing = as_meta_list(problems.missing),
    shortcode = as_meta_list(problems.shortcode),
    float = as_meta_list(problems.float),
    known = as_meta_list(known_labels()),
  })
  return doc
end

--[[
The builtin engine's Quarto transformations, done on pandoc's document tree.

Run by the bundled pandoc (``--lua-filter``) on the markdown that
``sbm_stats/render/_markdown.py`` assembles. What the filter needs to know comes
in the document metadata under ``sbm-render`` (written by ``_pandoc.py``):

  format          html, pdf or docx (the output being written)
  number-sections true to show section numbers
  number-depth    the deepest heading level that shows its number
  number-offset   numbers added to the section numbers, by level
  shift-heading-level-by  moves headings up or down after numbering
  front-matter    the front matter's values as text (``{{< meta >}}``, ``when-meta``)
  labels          fig-title, tbl-title, fig-prefix, tbl-prefix, sec-prefix, eq-prefix,
                  title-delim (Quarto's ``crossref:`` keys) and callout-<kind>

In reading order, the passes are:

1. conditional content (``.content-visible`` / ``.content-hidden`` on divs and
   spans, with ``when-format`` / ``unless-format`` / ``when-meta`` /
   ``unless-meta``), the ``{{< pagebreak >}}`` and ``{{< meta >}}`` shortcodes
   (any other is a problem; ``include`` is done in Python before), ``fig-alt``,
   figures and tables written as divs (``::: {#fig-x}``, see section 2a below),
   and the headings that open a callout (its title: no number, see below);
2. numbering: headings (section numbers as Quarto writes them, then
   ``shift-heading-level-by``), figures and tables (a figure is a pandoc Figure
   with a ``fig-`` id, or a Div ``.sbm-figure-group`` whose parts are numbered
   1a, 1b, ..., or ``(a)``, ``(b)`` for ``fig-subcap``; a table is a Table with a
   ``tbl-`` id), with captions "Figur 1: ..." (title, non-breaking space, number,
   title-delim), equations ``$$ ... $$ {#eq-x}`` and callouts with an id (``#nte-x``);
3. callouts (``.callout-note`` ...), with Quarto's screen-reader label in HTML
   when the author gives the callout its own title; a one-column table in Word;
4. cross-references: a Cite whose keys are all ``fig-``/``tbl-``/``sec-``/``eq-``
   or callout labels becomes links "Figur 1" (``@Fig-`` capitalises the prefix,
   ``-@fig-`` gives the number alone, ``[@fig-a; @tbl-b]`` a list).

Code spans and code blocks are never touched: they are not Cite, Div or Para
elements. Problems are not raised here: labels used twice, references to
labels that do not exist and unsupported shortcodes are written into the
metadata (``sbm-problems``) and the Python side reports them with line numbers
(a reference to an unnumbered heading is only warned about: Quarto leaves it unresolved).
]]

local cfg = {}
local fmt = "html"
local labels = {}
local targets = {}        -- label -> {kind=, number=, anchor=, title=}
local problems = { duplicate = {}, missing = {}, shortcode = {}, float = {}, unnumbered = {} }
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
  cfg.number_offset = {}
  for k, value in ipairs(render["number-offset"] or {}) do
    cfg.number_offset[k] = tonumber(meta_string(value)) or 0
  end
  cfg.shift = tonumber(meta_string(render["shift-heading-level-by"]) or "0") or 0
  cfg.front = {}
  for key, value in pairs(render["front-matter"] or {}) do cfg.front[key] = meta_string(value) end
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

-- ``when-meta`` / ``unless-meta``: a front-matter key that is true (Quarto reads the
-- value as a boolean; a key that is missing or false is not true).
local function meta_true(key)
  local value = cfg.front[key]
  return value ~= nil and value ~= "false" and value ~= ""
end

-- ``.content-visible`` / ``.content-hidden`` on a div or a span: every condition given
-- must hold (Quarto combines them with "and").
local function conditional(el)
  local visible_class = el.classes:includes("content-visible")
  local hidden_class = el.classes:includes("content-hidden")
  if not visible_class and not hidden_class then return nil end
  local match = true
  local a = el.attributes
  if a["when-format"] then match = match and format_matches(a["when-format"]) end
  if a["unless-format"] then match = match and not format_matches(a["unless-format"]) end
  if a["when-meta"] then match = match and meta_true(a["when-meta"]) end
  if a["unless-meta"] then match = match and not meta_true(a["unless-meta"]) end
  local visible = (visible_class and match) or (hidden_class and not match)
  if visible then return el.content end
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


-- Shortcodes inside a paragraph (``{{< meta key >}}``): pandoc reads one as words
-- between a Str starting "{{<" and one holding ">}}". ``meta`` gives the front-matter
-- value as text (a nested key with dots, ``true``/``false`` as written); every other
-- shortcode, and ``meta`` with a key the front matter does not have, is a problem
-- that fails the render with its line (``pagebreak`` is a paragraph of its own, above).
local function expand_shortcode(text)
  local name, args = text:match("^{{<%s*([%w_-]+)%s*(.-)%s*>}}$")
  if name == "meta" and cfg.front[args] ~= nil then
    return pandoc.Inlines(cfg.front[args])
  end
  if name ~= "pagebreak" then table.insert(problems.shortcode, text) end
  return nil
end

local function shortcode_end(inlines, i)
  local parts = {}
  for j = i, #inlines do
    local el = inlines[j]
    if el.t == "Str" then
      local before, after = el.text:match("^(.-)>}}(.*)$")
      if before ~= nil then
        table.insert(parts, before .. ">}}")
        return j, table.concat(parts), after
      end
      table.insert(parts, el.text)
    elseif el.t == "Space" or el.t == "SoftBreak" then
      table.insert(parts, " ")
    else
      table.insert(parts, pandoc.utils.stringify(el))
    end
  end
  return nil
end

local function inline_shortcodes(inlines)
  local out = pandoc.Inlines({})
  local changed = false
  local i = 1
  while i <= #inlines do
    local el = inlines[i]
    local j, text, rest = nil, nil, nil
    if el.t == "Str" and el.text:match("^{{<") then j, text, rest = shortcode_end(inlines, i) end
    local replacement = text and expand_shortcode(text)
    if replacement ~= nil then
      out:extend(replacement)
      if rest ~= "" then out:insert(pandoc.Str(rest)) end
      changed = true
      i = j + 1
    else
      out:insert(el)
      i = i + 1
    end
  end
  if changed then return out end
end

-- A block that holds inlines: ``{{< pagebreak >}}`` as a paragraph of its own is a page
-- break; other shortcodes are expanded or reported. Only a block whose text holds "{{<"
-- is walked (a walk over every inline of the document costs a second on a long report).
local function shortcode(block)
  local text = pandoc.utils.stringify(block)
  if not text:find("{{<", 1, true) then return nil end
  if block.t == "Para" and text:match("^{{<%s*pagebreak%s*>}}$") then return pagebreak() end
  return block:walk({ Inlines = inline_shortcodes })
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

-- The div's other attributes, in their order: a list of pairs (a Lua table's keys come in an
-- order that differs from run to run, and a render's page is the same bytes every time).
local function strip_cap_attributes(attributes)
  local kept = {}
  for key, value in pairs(attributes) do
    if key ~= "fig-cap" and key ~= "tbl-cap" then table.insert(kept, { key, value }) end
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

-- ------------------------------------------------------------------ 2b. equations

-- A display formula followed by ``{#eq-x}`` (``$$ ... $$ {#eq-x}``) is numbered in
-- reading order and can be referred to as "Ekvation 1"; unlabelled formulas are not
-- counted (the corpus' ekvationer.qmd). The number is written after the formula,
-- "(1)", inside it (TeX ``\qquad(1)``, as Quarto's CommonMark and Word outputs show it).
local n_eq = 0

local function number_equations(para)
  local content = para.content
  local changed = false
  local out = pandoc.Inlines({})
  local i = 1
  while i <= #content do
    local el = content[i]
    local label_at = nil
    if el.t == "Math" and el.mathtype == "DisplayMath" then
      local k = i + 1
      if content[k] ~= nil and (content[k].t == "Space" or content[k].t == "SoftBreak") then k = k + 1 end
      if content[k] ~= nil and content[k].t == "Str" and content[k].text:match("^{#eq%-[%w_-]+}$") then
        label_at = k
      end
    end
    if label_at ~= nil then
      local label = content[label_at].text:match("^{#(eq%-[%w_-]+)}$")
      n_eq = n_eq + 1
      local number = tostring(n_eq)
      add_target(label, { kind = "eq", number = number, anchor = label })
      local math = pandoc.Math("DisplayMath", el.text:gsub("%s+$", "") .. " \\qquad(" .. number .. ")")
      out:insert(pandoc.Span({ math }, pandoc.Attr(label)))
      changed = true
      i = label_at + 1
    else
      out:insert(el)
      i = i + 1
    end
  end
  if changed then
    para.content = out
    return para
  end
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

-- ------------------------------------------------------------------ callout titles

local CALLOUT_KINDS = { note = true, tip = true, warning = true, important = true, caution = true }

local function callout_kind(div)
  local kind = nil
  for _, class in ipairs(div.classes) do
    local k = class:match("^callout%-(%a+)$")
    if k and CALLOUT_KINDS[k] then kind = k end
  end
  return kind
end

-- A heading that opens a callout without a ``title=`` is the callout's title, not a
-- section: Quarto 1.11 gives it no number, no id and no place in the section
-- counters (the corpus' rutor.qmd: ``# Resultat`` is 2, the callout's ``## Rubrik``
-- is its title, and the next ``##`` is 2.1). Such a heading is marked here, before
-- numbering, and taken out of the callout by ``callout`` below.
local TITLE_MARK = "sbm-callout-title"

-- The callout's ``title=`` as inlines (markdown, as Quarto reads it: every block's inlines), or
-- nil when there is none or it is empty (``title=""``: then the callout is titled as without one).
local function given_title(div)
  local text = div.attributes["title"]
  if text == nil or not text:find("%S") then return nil end
  local inlines = pandoc.utils.blocks_to_inlines(pandoc.read(text, "markdown").blocks)
  if #inlines == 0 then return nil end
  return inlines
end

local function mark_callout_titles(div)
  if callout_kind(div) == nil or given_title(div) ~= nil then return nil end
  local content = div.content
  local first = content[1]
  if first ~= nil and first.t == "Header" then
    first.attributes[TITLE_MARK] = "1"
    content[1] = first
    div.content = content
    return div
  end
end

local function is_callout_title(header)
  return header.attributes[TITLE_MARK] ~= nil
end

-- A callout with an id ``#nte-x`` (``tip-``, ``wrn-``, ``imp-``, ``cau-``) is numbered
-- per kind and can be referred to: its title is "Notera 1: ..." and ``@nte-x`` gives
-- "Note 1" -- in English in every language, as Quarto 1.11 writes it (its language files
-- have no callout reference prefixes; the corpus' rutor.qmd).
local CALLOUT_REFS = { nte = "note", tip = "tip", wrn = "warning", imp = "important", cau = "caution" }
local CALLOUT_REF_PREFIX = { nte = "Note", tip = "Tip", wrn = "Warning", imp = "Important", cau = "Caution" }
local CALLOUT_NUMBER = "sbm-callout-number"
local callout_counters = {}

-- Section numbers as Quarto 1.11 writes them (the corpus' avsnitt*.qmd; without
-- ``number-sections`` no heading shows one, but @sec- still gives it, inline.qmd): each level
-- counts its headings, plus ``number-offset`` for that level; a heading shows the parts
-- down to its own level, and none below ``number-depth``, but a reference always gets
-- the number, with at least as many parts as the offset has (``number-offset: [3, 1]``:
-- the first chapter shows "4", @sec- to it gives "4.1"). Levels are those as written:
-- ``shift-heading-level-by`` moves headings after they are numbered.
local function section_number(rel, parts_wanted)
  local parts = {}
  for k = 1, parts_wanted do parts[k] = tostring(counters[k] + (cfg.number_offset[k] or 0)) end
  return table.concat(parts, ".")
end

local function number_header(header)
  if is_callout_title(header) then return header end
  local number, shown = nil, nil
  if not is_unnumbered(header) then
    local rel = header.level - top_level + 1
    if rel >= 1 and rel <= #counters then
      counters[rel] = counters[rel] + 1
      for k = rel + 1, #counters do counters[k] = 0 end
      number = section_number(rel, math.max(rel, #cfg.number_offset))
      if cfg.number_sections and rel <= cfg.number_depth then shown = section_number(rel, rel) end
    end
  end
  if header.identifier:match("^sec%-") then
    add_target(header.identifier, {
      kind = "sec", number = number, anchor = header.identifier,
      title = pandoc.utils.stringify(header.content),
    })
  end
  if shown ~= nil then
    -- Word shows a one-part number with a full stop, as Quarto writes it there.
    local text = (fmt == "docx" and not shown:find("%.")) and (shown .. ".") or shown
    local content = pandoc.Inlines({ pandoc.Span(text, { class = "header-section-number" }), pandoc.Space() })
    content:extend(header.content)
    header.content = content
    header.attributes["data-number"] = shown
  end
  return header
end

-- ``shift-heading-level-by``, after numbering (as Quarto and pandoc do): a heading
-- shifted above level 1 is the document's title when it is the first block and the
-- document has no title, else a paragraph that keeps its number.
local function shift_headings(doc, blocks)
  if cfg.shift == 0 then return blocks end
  if cfg.shift < 0 and doc.meta.title == nil and blocks[1] ~= nil and blocks[1].t == "Header"
      and blocks[1].level + cfg.shift < 1 then
    doc.meta.title = blocks[1].content
    blocks = pandoc.Blocks({ table.unpack(blocks, 2) })
  end
  return blocks:walk({
    Header = function(header)
      local level = header.level + cfg.shift
      if level < 1 then
        return pandoc.Para(pandoc.Inlines({ pandoc.Span(header.content, pandoc.Attr(header.identifier)) }))
      end
      header.level = math.min(level, 6)
      return header
    end,
  })
end

local function number_figure(figure, number)
  figure.caption.long = numbered_caption("fig", number, figure.caption.long)
  return figure
end

-- ``tbl-colwidths="[20,80]"`` on a table: its columns' widths in per cent of the text's width,
-- as Quarto sets them in every format (the corpus' tabeller.qmd: HTML ``<col style="width:
-- 20%">``, Word grid columns 1584 and 6336 twips). A list with another count of numbers than
-- the table has columns is left unused (the table keeps its own widths).
local function column_widths(tbl)
  local given = tbl.attributes["tbl-colwidths"]
  if given == nil or not given:match("^%s*%[[%d%s.,]*%]%s*$") then return tbl end
  local widths = {}
  for number in given:gmatch("[%d.]+") do table.insert(widths, tonumber(number)) end
  if #widths ~= #tbl.colspecs then return tbl end
  for k, spec in ipairs(tbl.colspecs) do
    if widths[k] == nil then return tbl end
    tbl.colspecs[k] = { spec[1], widths[k] / 100 }
  end
  return tbl
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

-- A chunk's plots with ``fig-subcap``, as Quarto's subfigures (the corpus' figurer.qmd): one
-- figure "Figur 2: caption" (the div's ``sbm-figure-caption`` part) around its parts
-- captioned "(a) Vänster panel", "(b) ..."; @fig-two-1 gives "Figur 2 (a)".
local function number_subfigures(div)
  n_fig = n_fig + 1
  local number = tostring(n_fig)
  add_target(div.identifier, { kind = "fig", number = number, anchor = div.identifier })
  local caption = pandoc.Blocks({})
  local content = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if block.t == "Div" and block.classes:includes("sbm-figure-caption") then
      caption = block.content
    else
      content:insert(block)
    end
  end
  local k = 0
  content = content:walk({
    Figure = function(figure)
      k = k + 1
      local part = "(" .. letter(k) .. ")"
      if figure.identifier ~= "" then
        add_target(figure.identifier, { kind = "fig", number = number .. " " .. part, anchor = figure.identifier })
      end
      local head = pandoc.Inlines({ pandoc.Str(part), pandoc.Space() })
      head:extend(pandoc.utils.blocks_to_inlines(figure.caption.long or {}))
      figure.caption.long = { pandoc.Plain(head) }
      return figure
    end,
  })
  return pandoc.Figure(content, { long = numbered_caption("fig", number, caption) },
    pandoc.Attr(div.identifier, { "sbm-subfigures" }))
end

local function number_blocks(blocks)
  -- Headings, figures and tables in reading order, at any depth.
  return blocks:walk({
    traverse = "topdown",
    Header = function(header) return number_header(header) end,
    Div = function(div)
      if div.classes:includes("sbm-subfigures") then return number_subfigures(div), false end
      local ref = div.identifier:match("^(%a+)%-")
      if ref ~= nil and CALLOUT_REFS[ref] ~= nil and callout_kind(div) == CALLOUT_REFS[ref] then
        callout_counters[ref] = (callout_counters[ref] or 0) + 1
        local number = tostring(callout_counters[ref])
        add_target(div.identifier, { kind = ref, number = number, anchor = div.identifier })
        div.attributes[CALLOUT_NUMBER] = number
        return div
      end
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
      tbl = column_widths(tbl)
      if not tbl.identifier:match("^tbl%-") then return tbl, false end
      return number_table(tbl), false
    end,
    Para = function(para) return number_equations(para), false end,
  })
end

-- The highest heading level, among the top-level blocks and those in divs and block
-- quotes (a loop over the blocks, not a walk: a walk visits every inline of the document).
local function scan_top_level(blocks)
  for _, block in ipairs(blocks) do
    if block.t == "Header" then
      if not is_unnumbered(block) and not is_callout_title(block) and (top_level == nil or block.level < top_level) then
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

local CALLOUT_COLOURS = {
  note = "#0b5cad", tip = "#1a7f37", warning = "#b35900", important = "#b00020", caution = "#8a6d00",
}

-- The callout's title row: the author's title (``title=`` or an opening heading), else
-- the kind's word; a numbered callout (``#nte-x``) is "Notera 1: title". None for
-- ``appearance="simple"`` without a title of its own (Quarto shows no title row then).
local function callout_title(div, kind, content)
  local default_title = labels["callout-" .. kind]
  local title = given_title(div)
  if title ~= nil then
    title = pandoc.Inlines(title)
  elseif #content > 0 and content[1].t == "Header" and is_callout_title(content[1]) then
    -- a heading first inside the callout is its title (Quarto), marked before numbering
    title = content[1].content
    content = pandoc.Blocks({ table.unpack(content, 2) })
  end
  local number = div.attributes[CALLOUT_NUMBER]
  if number ~= nil then
    local head = pandoc.Inlines(default_title .. NBSP .. number)
    if title ~= nil then
      head:insert(pandoc.Str(":"))
      head:insert(pandoc.Space())
      head:extend(title)
    end
    return head, false, content
  end
  if title == nil and div.attributes["appearance"] == "simple" then return nil, false, content end
  return title or pandoc.Inlines(default_title), title ~= nil, content
end

-- Word: a one-column table (title row, then the body), as Quarto writes a callout there. Its
-- table style names it a callout, so that the Word pass after pandoc (render/_docx.py) keeps
-- the title row with the body and leaves the table as wide as the text.
local DOCX_CALLOUT_STYLE = "Callout"

local function docx_callout(kind, title, content)
  local colour = CALLOUT_COLOURS[kind]:sub(2)
  local border = string.format('w:val="single" w:space="0" w:color="%s"', colour)
  local out = pandoc.Blocks({ pandoc.RawBlock("openxml", string.format(
    '<w:tbl><w:tblPr><w:tblStyle w:val="' .. DOCX_CALLOUT_STYLE .. '"/><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>'
    .. '<w:top %s w:sz="4"/><w:left %s w:sz="24"/><w:bottom %s w:sz="4"/><w:right %s w:sz="4"/>'
    .. '</w:tblBorders><w:tblCellMar><w:left w:w="144" w:type="dxa"/><w:right w:w="144" w:type="dxa"/>'
    .. '</w:tblCellMar></w:tblPr><w:tblGrid><w:gridCol/></w:tblGrid>', border, border, border, border)) })
  local row = '<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc>'
  if title ~= nil then
    out:insert(pandoc.RawBlock("openxml", row .. '<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="EEEEEE"/></w:tcPr>'))
    out:insert(pandoc.Para({ pandoc.Strong(title) }))
    out:insert(pandoc.RawBlock("openxml", "</w:tc></w:tr>"))
  end
  out:insert(pandoc.RawBlock("openxml", row))
  out:extend(content)
  -- a cell must end with a paragraph (an empty one when the text ends otherwise); the empty
  -- paragraph after the table keeps a table that follows apart from it
  local last = content[#content]
  local ends_in_paragraph = last ~= nil and (last.t == "Para" or last.t == "Plain")
  out:insert(pandoc.RawBlock("openxml", (ends_in_paragraph and "" or "<w:p/>") .. "</w:tc></w:tr></w:tbl><w:p/>"))
  return out
end

-- A label in Typst markup, as pandoc's Typst writer writes one: ``<id>`` when the id is
-- letters, digits, "_", "-", ":" and "." only (what Typst's ``<...>`` reads as a label),
-- else ``#label("…")``: an id from raw HTML (``<div id="…">``) may hold any character.
local function typst_label(id)
  if id:match("^[%w_:.-]+$") then return "<" .. id .. ">" end
  return '#label("' .. id:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("[\r\n]", " ") .. '")'
end

local function callout(div)
  local kind = callout_kind(div)
  if kind == nil then return nil end
  local default_title = labels["callout-" .. kind]
  local title, custom, content = callout_title(div, kind, div.content)
  if fmt == "pdf" then
    local colour = CALLOUT_COLOURS[kind]
    local out = pandoc.Blocks({
      pandoc.RawBlock("typst", string.format(
        '#block(width: 100%%, inset: 9pt, radius: 2pt, breakable: true, fill: rgb("%s").lighten(92%%), '
        .. 'stroke: (left: 3pt + rgb("%s")))[', colour, colour)),
    })
    if div.identifier ~= "" then
      -- the place @nte-x links to (a label needs an element to sit on)
      out:insert(pandoc.RawBlock("typst", "#metadata(none)" .. typst_label(div.identifier)))
    end
    if title ~= nil then
      -- the title sticks to the callout's body: a page never ends between them
      out:insert(pandoc.RawBlock("typst", "#block(sticky: true)["))
      out:insert(pandoc.Para({ pandoc.Strong(title) }))
      out:insert(pandoc.RawBlock("typst", "]"))
    end
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  elseif fmt == "docx" then
    local out = docx_callout(kind, title, content)
    if div.identifier ~= "" then return pandoc.Div(out, pandoc.Attr(div.identifier)) end
    return out
  end
  local body = pandoc.Blocks({})
  if title ~= nil then
    local head = pandoc.Inlines({})
    if custom then
      -- what a screen reader announces before the author's own title (Quarto)
      head:insert(pandoc.Span(default_title, { class = "screen-reader-only" }))
    end
    head:insert(pandoc.Strong(title))
    body:insert(pandoc.Div(pandoc.Plain(head), { class = "callout-title" }))
  end
  body:extend(content)
  return pandoc.Div(body, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }))
end

-- ------------------------------------------------------------------ 4. cross-references

local function is_crossref(id)
  local key = id:sub(1, 1):lower() .. id:sub(2)
  local ref = key:match("^(%a+)%-")
  return ref == "fig" or ref == "tbl" or ref == "sec" or ref == "eq" or CALLOUT_REFS[ref] ~= nil
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
    -- Quarto cannot resolve a reference to an unnumbered heading (it prints a bold
    -- "?@sec-x" and warns); here it links with the heading's text, and Python warns
    table.insert(problems.unnumbered, id)
    text = pandoc.Inlines(target.title)
  elseif citation.mode == "SuppressAuthor" then
    text = pandoc.Inlines(target.number)
  else
    local prefix = labels[target.kind .. "-prefix"] or CALLOUT_REF_PREFIX[target.kind]
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

-- ------------------------------------------------------------------ 5. appendix (HTML)

-- Quarto's HTML moves every section whose heading has the class ``appendix`` to the end
-- of the page, into ``<div id="quarto-appendix">``, its heading made a level-2
-- "quarto-appendix-heading" that keeps its number (the corpus' avsnitt.qmd: "3 Bilaga
-- med data" at the end, "4 Avslutning" before it). Word and PDF keep the source order,
-- as Quarto's Word output does. Only top-level sections move.
local function move_appendix(blocks)
  local kept, moved = pandoc.Blocks({}), pandoc.Blocks({})
  local level = nil  -- the level of the appendix section being moved
  for _, block in ipairs(blocks) do
    if block.t == "Header" and level ~= nil and block.level <= level then level = nil end
    if block.t == "Header" and level == nil and block.classes:includes("appendix") then
      level = block.level
      block.level = 2
      block.classes:insert("quarto-appendix-heading")
    elseif block.t == "Header" and level ~= nil then
      block.level = math.min(2 + block.level - level, 6)  -- its subsections under it
    end
    if level ~= nil then moved:insert(block) else kept:insert(block) end
  end
  if #moved == 0 then return blocks end
  kept:insert(pandoc.Div(moved, pandoc.Attr("quarto-appendix", { "default" })))
  return kept
end

-- ------------------------------------------------------------------ driver

local function as_meta_list(items)
  local list = pandoc.List({})
  for _, item in ipairs(items) do list:insert(pandoc.MetaString(item)) end
  return list
end

-- Front-matter strings are markdown (emphasis is fine) but never raw HTML, Typst
-- or OpenXML: a raw part is shown as the text it is.
local FRONT_MATTER = { "title", "subtitle", "author", "date", "abstract", "pagetitle", "sbm-authors",
  "sbm-keywords" }

local function literal_raw(value)
  local filter = {
    RawInline = function(raw) return pandoc.Str(raw.text) end,
    RawBlock = function(raw) return pandoc.Para({ pandoc.Str(raw.text) }) end,
  }
  if pandoc.utils.type(value) == "Inlines" or pandoc.utils.type(value) == "Blocks" then
    return value:walk(filter)
  elseif pandoc.utils.type(value) == "List" then
    return value:map(literal_raw)
  elseif type(value) == "table" then  -- a map (an author with affiliations)
    for key, item in pairs(value) do value[key] = literal_raw(item) end
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
    Span = conditional,
    Para = shortcode,
    Plain = shortcode,
    Header = shortcode,
    Div = function(div)
      local kept = conditional(div)
      if kept ~= nil then return kept end
      return float_div(div) or mark_callout_titles(div)
    end,
  })
  find_top_level(blocks)
  blocks = number_blocks(blocks)
  blocks = shift_headings(doc, blocks)
  blocks = blocks:walk({ Cite = crossref })
  blocks = blocks:walk({ traverse = "topdown", Div = callout })
  if fmt == "html" then blocks = move_appendix(blocks) end
  doc.blocks = blocks
  doc.meta["sbm-problems"] = pandoc.MetaMap({
    duplicate = as_meta_list(problems.duplicate),
    missing = as_meta_list(problems.missing),
    shortcode = as_meta_list(problems.shortcode),
    float = as_meta_list(problems.float),
    unnumbered = as_meta_list(problems.unnumbered),
    known = as_meta_list(known_labels()),
  })
  return doc
end

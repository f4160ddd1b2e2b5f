--[[
What the HTML page's layout needs from the document: a long identifier in a table cell
("fastighetstidningen_2014", "population_2013") may wrap after an underscore, as it does
in the PDF (templates/report.typ) and in Word (_docx.py). Without a place to wrap, one
such word sets the column's least width, and a table with a few of them ran past the
text column (the audit table, Tabell 13, by a quarter of its width at 1200 px).

Run for HTML only, after ``quarto.lua`` and ``values.lua``: each ``Str`` with an
underscore in a table cell becomes its parts with ``<wbr>`` after each underscore. The
text is unchanged (``<wbr>`` is no character); code spans are left as they are. Each
table is put in a box that scrolls sideways when the table is wider than the window
(see ``Table``).
]]

local function breakable(str)
  if not str.text:find("_", 1, true) then return nil end
  local out = pandoc.Inlines({})
  for part, underscore in str.text:gmatch("([^_]*)(_?)") do
    if part ~= "" then out:insert(pandoc.Str(part)) end
    if underscore ~= "" then
      out:insert(pandoc.Str("_"))
      out:insert(pandoc.RawInline("html", "<wbr>"))
    end
  end
  return out
end

-- A table wider than a narrow window (a phone's 420 px) scrolls in a box of its own, never
-- the page sideways: a region the keyboard can reach (to scroll it with the arrow keys),
-- named by the table's caption, as tables in accessible publications do. No script: the
-- box is a stop for the keyboard also where its table fits (the price of a page without
-- script; templates/report.css shows its focus).
local function caption_text(table)
  local text = pandoc.utils.stringify(table.caption.long or {})
  if text == "" then return nil end
  return text
end

function Table(table)
  table = table:walk({ Str = breakable })
  -- attributes as a list of pairs: a Lua table's keys come in an order that differs from
  -- run to run, and a render's page is the same bytes every time
  local attributes = { { "tabindex", "0" }, { "role", "region" }, { "aria-label", caption_text(table) or "Tabell" } }
  return pandoc.Div({ table }, pandoc.Attr("", { "sbm-table-scroll" }, attributes))
end

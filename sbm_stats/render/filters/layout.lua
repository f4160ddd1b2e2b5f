--[[
What the HTML page's layout needs from the document: a long identifier in a table cell
("fastighetstidningen_2014", "population_2013") may wrap after an underscore, as it does
in the PDF (templates/report.typ) and in Word (_docx.py). Without a place to wrap, one
such word sets the column's least width, and a table with a few of them ran past the
text column (the audit table, Tabell 13, by a quarter of its width at 1200 px).

Run for HTML only, after ``quarto.lua`` and ``values.lua``: each ``Str`` with an
underscore in a table cell becomes its parts with ``<wbr>`` after each underscore. The
text is unchanged (``<wbr>`` is no character); code spans are left as they are.
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

function Table(table)
  return table:walk({ Str = breakable })
end

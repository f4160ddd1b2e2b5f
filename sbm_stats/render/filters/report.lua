--[[
The last filter of a render: hands what the other filters found to Python.

Run after ``quarto.lua`` and ``values.lua``, in the same pandoc process as the
writer. It writes one JSON file (the path is ``sbm-render.report`` in the
metadata; see ``sbm_stats/render/_pandoc.py``) holding

  problems        quarto.lua's ``sbm-problems`` (duplicate, missing, float,
                  shortcode, known: lists of strings)
  value-problems  values.lua's ``sbm-value-problems`` (list of strings)
  value-unknown   values.lua's ``sbm-value-unknown``: ids of spans whose value has no record
  values          values.lua's ``sbm-values`` (the traced values, a JSON string)
  values-html     values.lua's ``sbm-values-html`` (html: the appendix, each table's and
                  figure's list of values and notes, and each number's button and note, by
                  name, as one JSON text; put into the page by Python at their marked
                  places; absent when there is none)
  images          for the PDF, each image as {target, alt}, alt being the image's
                  description as pandoc JSON inlines (the alt texts are added from it)

and removes those keys from the metadata, so that no output carries them.
When there is a problem that fails the render (a label used twice, a reference
to a label that does not exist, a table div without one table, two values under
one id, a span naming a value with no record) it stops pandoc before the writer runs: Python reads the file and
reports the problems with their lines.
]]

local function strings(value)
  local out = {}
  if type(value) == "table" then
    for _, item in ipairs(value) do table.insert(out, pandoc.utils.stringify(item)) end
  end
  return out
end

function Pandoc(doc)
  local render = doc.meta["sbm-render"] or {}
  local path = pandoc.utils.stringify(render["report"] or "")
  local given = doc.meta["sbm-problems"] or {}
  local problems = {}
  for _, key in ipairs({ "duplicate", "missing", "float", "shortcode", "unnumbered", "known" }) do
    problems[key] = strings(given[key])
  end
  local images = {}
  -- only the PDF needs them (pandoc's Typst writer drops alt texts); a walk costs time
  local fmt = pandoc.utils.stringify(render["format"] or "")
  if fmt == "pdf" then doc.blocks:walk({
    Image = function(image)
      table.insert(images, { target = image.src, alt = pandoc.json.encode(image.caption) })
    end,
  }) end
  local report = {
    problems = problems,
    ["value-problems"] = strings(doc.meta["sbm-value-problems"]),
    ["value-unknown"] = strings(doc.meta["sbm-value-unknown"]),
    values = doc.meta["sbm-values"] and pandoc.utils.stringify(doc.meta["sbm-values"]) or "",
    ["values-html"] = doc.meta["sbm-values-html"] and pandoc.utils.stringify(doc.meta["sbm-values-html"]) or nil,
    images = images,
  }
  for _, key in ipairs({ "sbm-render", "sbm-problems", "sbm-values", "sbm-value-problems", "sbm-value-unknown",
                        "sbm-values-html" }) do
    doc.meta[key] = nil
  end
  if path ~= "" then
    local handle = assert(io.open(path, "w"))
    handle:write(pandoc.json.encode(report))
    handle:close()
  end
  local fails = #problems.duplicate + #problems.missing + #problems.float + #problems.shortcode
    + #report["value-problems"]
    + #report["value-unknown"]
  if fails > 0 then
    error("sbm-stats: the document has problems (see " .. path .. ")")
  end
  return doc
end

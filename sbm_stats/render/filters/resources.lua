--[[
The files a document names, for a render that writes its page straight from the markdown
(the live preview: one pandoc run, no JSON tree in between; see
``sbm_stats/render/_pandoc.py``, ``write_page``): every image's target, and the text of
every raw HTML element, as pandoc read them, before any other filter. Python checks
them as it checks those of the tree a render reads first (``_resources.py``).

The first filter of such a run. It writes one JSON file, ``{images = [...], html = [...]}``,
at the path ``sbm-render.resources`` in the metadata, and changes nothing.
]]

function Pandoc(doc)
  local render = doc.meta["sbm-render"] or {}
  local path = pandoc.utils.stringify(render["resources"] or "")
  if path == "" then return nil end
  local images, html = {}, {}
  local function raw(element)
    if element.format == "html" then table.insert(html, element.text) end
  end
  doc:walk({
    Image = function(image) table.insert(images, image.src) end,
    RawInline = raw,
    RawBlock = raw,
  })
  local handle = assert(io.open(path, "w"))
  handle:write(pandoc.json.encode({ images = images, html = html }))
  handle:close()
  return nil
end

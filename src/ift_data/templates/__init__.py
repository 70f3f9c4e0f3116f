"""Template packs: loading, sandboxed span-tracked rendering, linting."""

from ift_data.templates.pack import Template, TemplatePack, load_pack, load_packs
from ift_data.templates.render import Renderer, RenderError, SegmentedValue

__all__ = ["Template", "TemplatePack", "load_pack", "load_packs", "Renderer", "RenderError", "SegmentedValue"]

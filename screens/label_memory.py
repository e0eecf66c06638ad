"""Kivy 2.3's SDL2 text keeps every label's pixels twice; this keeps them once.

`LabelSDL2._render_begin` makes an SDL surface the size of the label,
`_render_end` copies its pixels out for the texture, and the surface then
stays on the label (`self._surface`) for as long as the label lives. Under
the kiosk's software OpenGL the texture is also in this process's memory,
so each label was paid for twice: a heaptrack record of ten field-trial
visits (bench/memory_soak.py --heaptrack) held 87.5 MB in these surfaces,
allocated by SDL_CreateRGBSurfaceWithFormat from `_SurfaceContainer`. The
surface is needed only between `_render_begin` and `_render_end`, so it is
let go as soon as its pixels are copied.
"""

from __future__ import annotations

from typing import Any

from kivy.core.text.text_sdl2 import LabelSDL2


def _render_end_and_let_go(self: Any) -> Any:
    data = self._surface.get_data()
    self._surface = None  # frees the SDL surface; the texture has its own copy
    return data


def release_label_surfaces() -> None:
    """Make SDL2 labels drop their drawing surface once rendered (idempotent)."""
    LabelSDL2._render_end = _render_end_and_let_go

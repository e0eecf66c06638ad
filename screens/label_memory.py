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

The same for a label whose text is emptied, as every field and line is when
a visit is wiped: Kivy's `Label.texture_update` drops the widget's texture
but leaves the last one on its core label, so the pixels of the previous
citizen's name stayed in memory until that label showed something else
(and a field-trial soak saw such textures pile up, 4 to 29 in six visits).
"""

from __future__ import annotations

from typing import Any

from kivy.core.text.text_sdl2 import LabelSDL2
from kivy.uix.label import Label

_kivy_texture_update = Label.texture_update


def _render_end_and_let_go(self: Any) -> Any:
    data = self._surface.get_data()
    self._surface = None  # frees the SDL surface; the texture has its own copy
    return data


def _texture_update_and_let_go(self: Any, *largs: Any) -> None:
    _kivy_texture_update(self, *largs)
    if self.texture is None and getattr(self._label, "texture", None) is not None:
        self._label.texture = None  # the text is gone: so are its pixels


# Kivy's Clock keeps methods weakly by name (kivy.weakmethod looks `__name__` up on the
# instance again), so the replacements carry the names of what they replace.
_render_end_and_let_go.__name__ = "_render_end"
_texture_update_and_let_go.__name__ = "texture_update"


def release_label_surfaces() -> None:
    """Make SDL2 labels drop their drawing surface once rendered, and an emptied label its texture.

    Idempotent: installs the two replacements over Kivy's own methods.
    """
    LabelSDL2._render_end = _render_end_and_let_go
    Label.texture_update = _texture_update_and_let_go

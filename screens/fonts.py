"""One font for Georgian, English and Russian, and a check that it really covers a text.

Kivy's default Roboto has no Georgian letters and its SDL2 text has no
font fallback, so a Georgian string would show as boxes. DejaVu Sans
(shipped inside the Kivy wheel; the bold cut from Debian's fonts-dejavu-core)
covers all three scripts, so it is registered under Kivy's default name and
every widget uses it without saying so.
"""

from __future__ import annotations

import logging
from pathlib import Path

import kivy
from kivy.core.text import Label as CoreLabel
from kivy.core.text import LabelBase

log = logging.getLogger("screens.fonts")

REGULAR = Path(kivy.__file__).parent / "data" / "fonts" / "DejaVuSans.ttf"
BOLD_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path(kivy.__file__).parent / "data" / "fonts" / "DejaVuSans-Bold.ttf",
)
# A private-use code point no font draws: what a missing glyph looks like.
SURELY_MISSING = "\U000F0000"


def register_fonts() -> str:
    """Make DejaVu Sans Kivy's default ("Roboto"); returns the bold file used."""
    bold = next((p for p in BOLD_CANDIDATES if p.exists()), REGULAR)
    if bold == REGULAR:
        # Bold text then looks regular; still readable, so warn and go on.
        log.warning("DejaVuSans-Bold.ttf not found (install fonts-dejavu-core); bold text uses regular")
    LabelBase.register("Roboto", fn_regular=str(REGULAR), fn_bold=str(bold),
                       fn_italic=str(REGULAR), fn_bolditalic=str(bold))
    return str(bold)


def _glyph_pixels(char: str, bold: bool) -> bytes:
    label = CoreLabel(text=char, font_size=32, bold=bold)
    label.refresh()
    texture = label.texture
    return bytes(texture.pixels) if texture is not None else b""


def missing_glyphs(text: str, bold: bool = False) -> list[str]:
    """The characters of ``text`` that the default font would draw as a box.

    Renders each distinct character and compares its pixels with those of
    a surely-missing code point; whitespace is skipped (it draws nothing
    either way). Needs a running Kivy window (textures are GL objects).
    """
    box = _glyph_pixels(SURELY_MISSING, bold)
    missing = []
    for char in sorted(set(text)):
        if char.isspace():
            continue
        if _glyph_pixels(char, bold) == box:
            missing.append(char)
    return missing

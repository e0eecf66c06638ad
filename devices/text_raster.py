"""Drawing mixed Georgian, Latin and Cyrillic text onto a receipt raster.

No ESC/POS code page holds Georgian, so receipts are pictures. No single
font on a Debian kiosk holds everything a receipt needs either:
NotoSansGeorgian has Georgian and the lari sign but no Latin letters or
digits; NotoSans has Latin, Cyrillic and digits but no Georgian; DejaVuSans
has Georgian Mkhedruli but not Mtavruli. So each line is split into script
runs, each run is drawn with the first font of its chain that really has
the glyph, and all runs share ONE baseline so the line does not wobble.

Whether a font has a glyph is decided by drawing it and comparing with the
font's missing-glyph box (drawn for a code point no font has), the same test
the suite uses to prove that no box reaches paper.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageFont

# Georgian letters (Asomtavruli/Nuskhuri/Mkhedruli, Mtavruli, Nuskhuri
# supplement) and the lari sign are drawn from the Georgian font first.
GEORGIAN_RANGES: tuple[tuple[int, int], ...] = ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F))
LARI_SIGN = "\u20be"
# A supplementary private-use code point: no font has it, so what a font
# draws for it is its missing-glyph box.
SURELY_MISSING = "\U000f0000"

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype"),
)


def _kivy_font_dir() -> Path | None:
    """Kivy ships DejaVuSans; find it without importing kivy (devices never do)."""
    spec = importlib.util.find_spec("kivy")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "fonts"


def find_font(names: Iterable[str]) -> list[Path]:
    """Every existing file among ``names`` in Debian's font folders, then Kivy's."""
    dirs = list(_FONT_DIRS)
    kivy_dir = _kivy_font_dir()
    if kivy_dir is not None:
        dirs.append(kivy_dir)
    found: list[Path] = []
    for name in names:
        for folder in dirs:
            path = folder / name
            if path.is_file() and path not in found:
                found.append(path)
                break
    return found


def font_files(bold: bool = False) -> tuple[list[Path], list[Path]]:
    """(Georgian chain, everything-else chain) of font files, best first."""
    weight = "Bold" if bold else "Regular"
    dejavu = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    georgian = find_font([f"NotoSansGeorgian-{weight}.ttf", dejavu, "DejaVuSans.ttf"])
    other = find_font([f"NotoSans-{weight}.ttf", dejavu, "DejaVuSans.ttf"])
    if not other:
        raise FileNotFoundError(
            "no font for receipts: install fonts-noto-core or fonts-dejavu-core"
        )
    return georgian, other


def is_georgian(char: str) -> bool:
    code = ord(char)
    return char == LARI_SIGN or any(low <= code <= high for low, high in GEORGIAN_RANGES)


@lru_cache(maxsize=64)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: Georgian, Latin and Cyrillic need no shaping, and raqm
    # (HarfBuzz) layout made a receipt take three times as long to draw.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _glyph_signature(font: ImageFont.FreeTypeFont, char: str) -> tuple[object, bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


@lru_cache(maxsize=8192)
def has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """True when ``font`` draws ``char`` as something other than its missing-glyph box.

    Whitespace draws nothing in every font, so it counts as present.
    """
    if char.isspace():
        return True
    return _glyph_signature(font, char) != _glyph_signature(font, SURELY_MISSING)


class FontChain:
    """Fonts of one size and weight; each character is drawn from the first that has it."""

    def __init__(self, size: int, bold: bool = False) -> None:
        georgian_files, other_files = font_files(bold)
        self.size = size
        self.georgian = [load_font(p, size) for p in georgian_files]
        self.other = [load_font(p, size) for p in other_files]
        everything = self.georgian + self.other
        self.ascent = max(f.getmetrics()[0] for f in everything)
        self.descent = max(f.getmetrics()[1] for f in everything)
        self._choice: dict[str, ImageFont.FreeTypeFont] = {}

    @property
    def line_height(self) -> int:
        return self.ascent + self.descent

    def font_for(self, char: str) -> ImageFont.FreeTypeFont:
        """The font that draws ``char``: the script's chain first, then the other chain."""
        chosen = self._choice.get(char)
        if chosen is None:
            first, second = (self.georgian, self.other) if is_georgian(char) else (self.other, self.georgian)
            candidates = first + second
            chosen = next((f for f in candidates if has_glyph(f, char)), candidates[0])
            self._choice[char] = chosen
        return chosen

    def width(self, text: str) -> int:
        return round(sum(_glyph(self.font_for(char), char)[3] for char in text))

    def draw(self, canvas: Image.Image, x: float, baseline: float, text: str) -> None:
        """Draw ``text`` in black on an "L" ``canvas`` from ``x``, every glyph on ``baseline``.

        Glyphs are drawn once per font and size and then pasted: a receipt
        repeats few distinct letters, and FreeType rendering each line anew
        took most of the render time.
        """
        for char in text:
            mask, left, top, advance = _glyph(self.font_for(char), char)
            if mask is not None:
                canvas.paste(0, (round(x) + left, round(baseline) + top), mask)
            x += advance


@lru_cache(maxsize=16384)
def _glyph(font: ImageFont.FreeTypeFont, char: str) -> tuple[Image.Image | None, int, int, float]:
    """(mask, left, top relative to the pen on the baseline, advance) of one glyph."""
    core_mask, (left, top) = font.getmask2(char, mode="L", anchor="ls")
    advance = font.getlength(char)
    width, height = core_mask.size
    if width == 0 or height == 0:
        return None, 0, 0, advance
    return Image.frombytes("L", (width, height), bytes(core_mask)), left, top, advance


def wrap(text: str, chain: FontChain, max_width: int) -> list[str]:
    """Greedy word wrap; a word wider than the line (a URL, a long reference) is cut by letters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if chain.width(candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            *full_lines, current = _split_long_word(word, chain, max_width)
            lines.extend(full_lines)
        lines.append(current)
    return lines


def _split_long_word(word: str, chain: FontChain, max_width: int) -> list[str]:
    if chain.width(word) <= max_width:
        return [word]
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and chain.width(current + char) > max_width:
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces

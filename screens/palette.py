"""Large text and high contrast: the text multiplier and the colours every .kv rule reads.

A citizen with low vision must be able to make the whole kiosk bigger and
starker with one tap, on any screen, without the layouts knowing about it.
So there is one multiplier, read by ``ShellModel.text_mm`` (every font size
goes through it), and one set of colour properties, read by the .kv rules
instead of hard-coded constants. Switching either changes every visible
widget in one pass; `reset_accessibility` puts both back at the end of each
visit, so the next citizen finds the kiosk as it normally is.

The high-contrast palette follows common practice for low vision (ADA
§707.8, EN 301 549 §5.1.4 "high contrast"): black ground, white text,
yellow for what can be pressed, and borders twice as thick.
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty

LARGE_TEXT_SCALE = 1.35

# name -> (normal, high contrast). Normal values are the kiosk's own colours
# (widgets.kv, services.kv...): WCAG AAA body text on the light page.
PALETTE: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "ink": ((0.067, 0.094, 0.153, 1), (1, 1, 1, 1)),  # body text
    "paper": ((0.957, 0.965, 0.973, 1), (0, 0, 0, 1)),  # the page
    "surface": ((1, 1, 1, 1), (0, 0, 0, 1)),  # cards, rows, secondary buttons
    "blue": ((0.043, 0.310, 0.612, 1), (1, 0.867, 0, 1)),  # accent: primary fill, borders
    "blue_ink": ((1, 1, 1, 1), (0, 0, 0, 1)),  # text on the accent fill
    "header": ((0.043, 0.310, 0.612, 1), (0, 0, 0, 1)),
    "header_ink": ((1, 1, 1, 1), (1, 0.867, 0, 1)),
    "lit": ((1.0, 0.761, 0.055, 1), (1, 1, 1, 1)),  # touch feedback
    "lit_ink": ((0.067, 0.094, 0.153, 1), (0, 0, 0, 1)),
    "grey": ((0.788, 0.808, 0.839, 1), (0.2, 0.2, 0.2, 1)),  # disabled fill
    "darkgrey": ((0.294, 0.333, 0.388, 1), (0.8, 0.8, 0.8, 1)),  # disabled text, key borders
    "muted": ((0.294, 0.333, 0.388, 1), (0.9, 0.9, 0.9, 1)),  # help lines under fields
    "red": ((0.7, 0.05, 0.05, 1), (1, 0.55, 0.55, 1)),  # errors, the stop sign
    "notice": ((0.55, 0.25, 0, 1), (1, 0.72, 0.3, 1)),  # offline / pending marks
    "good": ((0.0, 0.42, 0.2, 1), (0.45, 1, 0.55, 1)),  # delivered, paid
}


class AccessibilityModel(EventDispatcher):
    """The two display aids and the colours they drive; ShellModel inherits them."""

    large_text = BooleanProperty(False)
    contrast = BooleanProperty(False)
    # Read by ShellModel.text_mm: every font size is multiplied by it.
    text_scale = NumericProperty(1.0)
    # Border lines of buttons and fields: thicker in high contrast.
    line_w = NumericProperty(2)
    ink = ColorProperty(PALETTE["ink"][0])
    paper = ColorProperty(PALETTE["paper"][0])
    surface = ColorProperty(PALETTE["surface"][0])
    blue = ColorProperty(PALETTE["blue"][0])
    blue_ink = ColorProperty(PALETTE["blue_ink"][0])
    header = ColorProperty(PALETTE["header"][0])
    header_ink = ColorProperty(PALETTE["header_ink"][0])
    lit = ColorProperty(PALETTE["lit"][0])
    lit_ink = ColorProperty(PALETTE["lit_ink"][0])
    grey = ColorProperty(PALETTE["grey"][0])
    darkgrey = ColorProperty(PALETTE["darkgrey"][0])
    muted = ColorProperty(PALETTE["muted"][0])
    red = ColorProperty(PALETTE["red"][0])
    notice = ColorProperty(PALETTE["notice"][0])
    good = ColorProperty(PALETTE["good"][0])

    def on_contrast(self, _instance: object, on: bool) -> None:
        for name, (normal, high) in PALETTE.items():
            setattr(self, name, high if on else normal)
        self.line_w = 4 if on else 2

    def on_large_text(self, _instance: object, on: bool) -> None:
        self.text_scale = LARGE_TEXT_SCALE if on else 1.0

    def on_text_scale(self, _instance: object, _scale: float) -> None:
        # The .kv rules call text_mm(size, app.ui.dpi): they are re-evaluated
        # when `dpi` dispatches, so no rule has to name the multiplier itself.
        self.property("dpi").dispatch(self)

    def reset_accessibility(self) -> None:
        """The end of a visit: normal text and colours for the next citizen."""
        self.large_text = False
        self.contrast = False

"""What the voice guide says about a control, and the order a citizen without sight walks them.

Split from the guide itself (kiosk/speech.py), which speaks: this part only
decides, from the automation ``state`` entries a screen reports, what a
control is called aloud and which control the next/previous keys reach.
PIN digit keys are never read out or reached (digits come from the tactile
keypad, heard as tones), and the PIN field is told by its length only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kiosk.i18n import N_, translate

INTERACTIVE = ("button", "input")
# PIN digit keys: their labels are digits, so they are never read out and never
# reached by the focus ring; digits come from the tactile keypad, heard as tones.
PIN_DIGIT = re.compile(r"^pin-\d$")

BUTTON = N_("Button: {text}")
TEXT_FIELD = N_("Text field: {text}")
PICTURE = N_("Picture: {text}")
NOT_AVAILABLE = N_("{control}, not available now")
PIN_FIELD = N_("PIN field: {n} of 4 digits entered")
NUMBER_KEY = N_("Number key")


def describe_control(widget: dict[str, Any], language: str = "en") -> str:
    """What the guide says when ``widget`` (an automation ``state`` entry) gets focus.

    E.g. "Button: English". The PIN field is told by its length, a PIN key
    without its digit.
    """
    widget_id = str(widget.get("id", ""))
    kind = widget.get("kind", "label")
    text = str(widget.get("text", "")).strip()
    if widget_id == "pin-input":
        spoken = translate(language, PIN_FIELD, n=int(widget.get("length", 0)))
    elif PIN_DIGIT.match(widget_id):
        spoken = translate(language, NUMBER_KEY)
    elif kind == "button":
        spoken = translate(language, BUTTON, text=text)
    elif kind == "input":
        spoken = translate(language, TEXT_FIELD, text=text)
    elif kind == "image":
        spoken = translate(language, PICTURE, text=text) if text else ""
    else:
        spoken = text
    if spoken and widget.get("enabled") is False:
        spoken = translate(language, NOT_AVAILABLE, control=spoken)
    return spoken


def reading_order(widgets: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Widgets top to bottom, and left to right within a row (rect = [x, y, w, h], top-left origin).

    Widgets whose vertical centres are closer than half the smaller height
    form one row, so a row of buttons of slightly different heights is read
    left to right rather than by a pixel's difference in y.
    """
    items = sorted(widgets, key=lambda w: (w["rect"][1] + w["rect"][3] / 2, w["rect"][0]))
    rows: list[list[dict[str, Any]]] = []
    for widget in items:
        centre, height = widget["rect"][1] + widget["rect"][3] / 2, widget["rect"][3]
        if rows:
            first = rows[-1][0]
            first_centre = first["rect"][1] + first["rect"][3] / 2
            if abs(centre - first_centre) < min(height, first["rect"][3]) / 2:
                rows[-1].append(widget)
                continue
        rows.append([widget])
    return [w for row in rows for w in sorted(row, key=lambda w: w["rect"][0])]


class FocusRing:
    """Navigation without sight: next/previous over the controls, wrapping, and activate.

    Holds the visible, enabled buttons and inputs (not PIN digit keys) in
    reading order. ``update`` takes a fresh widget list after a redraw and
    keeps the focus on the same control when it is still there.
    """

    def __init__(self, widgets: Iterable[dict[str, Any]] = ()) -> None:
        self.controls: list[dict[str, Any]] = []
        self._index: int | None = None
        self.update(widgets)

    def update(self, widgets: Iterable[dict[str, Any]]) -> None:
        focused = self.current["id"] if self.current else None
        self.controls = reading_order(
            w for w in widgets
            if w.get("kind") in INTERACTIVE and w.get("enabled", True) and not PIN_DIGIT.match(str(w["id"]))
        )
        ids = [w["id"] for w in self.controls]
        self._index = ids.index(focused) if focused in ids else None

    @property
    def current(self) -> dict[str, Any] | None:
        return None if self._index is None else self.controls[self._index]

    def next(self) -> dict[str, Any] | None:
        """Focus the following control (the first one at the start; wraps at the end)."""
        if not self.controls:
            return None
        self._index = 0 if self._index is None else (self._index + 1) % len(self.controls)
        return self.controls[self._index]

    def previous(self) -> dict[str, Any] | None:
        """Focus the control before (the last one at the start; wraps at the beginning)."""
        if not self.controls:
            return None
        last = len(self.controls) - 1
        self._index = last if self._index is None else (self._index - 1) % len(self.controls)
        return self.controls[self._index]

    def activate(self) -> str | None:
        """The automation id of the focused control, for the UI to press; None if nothing is focused."""
        return None if self.current is None else str(self.current["id"])

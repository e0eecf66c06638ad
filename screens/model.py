"""What the screens show, as Kivy properties: the one place the UI reads the visit from.

Screens never pull from the controller; they bind to this model in their
.kv layout, so a language change or a wipe updates every visible string in
one pass. The controller's listeners arrive on any thread; `ShellModel`
only changes on Kivy's main thread (the app hops there first).
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.i18n import NATIVE_NAMES, translate
from screens.palette import AccessibilityModel

MM_PER_INCH = 25.4
# Font sizes are chosen by the height of the letters a citizen reads, not the
# em box. Georgian (mkhedruli) has no capitals and its letters are mostly
# x-height: in DejaVu Sans "ა" and "ო" are 0.55-0.61 em, like Latin "x"
# (0.55), while Latin and Cyrillic capitals are 0.73 em. Sizing by 0.55 em
# makes Georgian body letters, the smallest, reach the size asked for.
LETTER_HEIGHT_EM = 0.55


class ShellModel(AccessibilityModel):
    """The visible state of the kiosk, free of Kivy widgets (large text and contrast: screens/palette.py)."""

    language = StringProperty("ka")
    state = StringProperty("attract")
    reason = StringProperty("")
    site_name = StringProperty("")
    dpi = NumericProperty(96)
    # A visit's details; `clear_personal` empties them at every way out.
    tries_left = NumericProperty(-1)
    citizen_name = StringProperty("")
    personal_number = StringProperty("")
    offline_visit = BooleanProperty(False)
    # The idle / whole-visit warning.
    warning_open = BooleanProperty(False)
    warning_seconds = NumericProperty(0)
    warning_can_extend = BooleanProperty(True)
    warning_cause = StringProperty("idle")
    # Device statuses a citizen should know about before starting.
    network_online = BooleanProperty(True)
    reader_missing = BooleanProperty(False)  # the attract screen says so (screens/app.py: after a grace)
    printer_ready = BooleanProperty(True)

    def tr(self, message: str, _language: str = "", **values: Any) -> str:
        """``message`` in the current language.

        The ``_language`` argument is ignored; .kv rules pass
        ``app.ui.language`` so that Kivy re-evaluates the text when it changes.
        """
        return translate(self.language, message, **values)

    def mm(self, millimetres: float, _dpi: float = 0) -> float:
        """Pixels for a physical length on this screen (px = mm / 25.4 * dpi)."""
        return millimetres / MM_PER_INCH * self.dpi

    def text_mm(self, letter_height_mm: float, _dpi: float = 0) -> float:
        """A font size (px) whose small and Georgian letters are ``letter_height_mm`` tall.

        Times ``text_scale`` (large text, screens/palette.py), so every rule grows at once.
        """
        return self.mm(letter_height_mm) / LETTER_HEIGHT_EM * self.text_scale

    @staticmethod
    def native_name(language: str) -> str:
        return NATIVE_NAMES[language]

    def clear_personal(self) -> None:
        """Forget everything about the citizen the screens may show."""
        self.citizen_name = ""
        self.personal_number = ""
        self.tries_left = -1
        self.offline_visit = False
        self.reason = ""

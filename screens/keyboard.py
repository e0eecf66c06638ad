"""The on-screen keyboard and the text input it types into.

A kiosk has no physical keyboard, and a citizen typing a phone number
should not hunt for digits among letters: each field asks for the layout
it needs (`kiosk.forms.keyboard_for`): digits only for numbers and
personal numbers, a phone pad, a date pad with the dot, an amount pad,
an e-mail layout with "@", and text in Georgian (Mkhedruli), English or
Russian, switchable with one tap. Keys are big KioskButtons and light up
the moment they are touched. Every key has the automation id
``keyboard-<key>`` (the character itself, or backspace, space, shift,
done, layout-ka/en/ru).

Keys are built in Python because the set of keys is data (a layout per
field type and language); their looks are the ``KeyboardKey`` rule in
keyboard.kv.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.textinput import TextInput

from kiosk.i18n import N_
from screens.widgets import Automatable, KioskButton

DIGIT_ROWS = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]
# The last row of each number pad: its extra key (or none), 0, backspace.
NUMBER_PADS: dict[str, list[str]] = {
    "digits": ["", "0", "backspace"],
    "phone": ["+", "0", "backspace"],
    "date": [".", "0", "backspace"],
    "amount": [".", "0", "backspace"],
}
# Georgian follows the Georgian QWERTY layout most Georgians know; the seven
# letters that need Shift there get a row of their own (no hidden shift).
TEXT_ROWS: dict[str, list[str]] = {
    "ka": ["1234567890", "ქწერტყუიოპ", "ასდფგჰჯკლ", "ზხცვბნმ", "ჭღთშჟძჩ"],
    "en": ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"],
    "ru": ["1234567890", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбюё"],
}
EMAIL_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "@.-_"]
PUNCTUATION = [",", ".", "-", "/"]
LAYOUT_NAMES = {"ka": "ქართ", "en": "ENG", "ru": "РУС"}


class KioskInput(Automatable, TextInput):
    """A text field typed on the on-screen keyboard; ``field_type`` picks its layout.

    ``max_chars`` stops input at the field's limit instead of letting a
    citizen type a paragraph that is then refused. Date fields get their
    dots by themselves (14031985 -> 14.03.1985): one thing less to find.
    """

    automation_kind = "input"
    field_type = StringProperty("text")
    max_chars = NumericProperty(0)  # 0: no limit
    error = BooleanProperty(False)

    def insert_text(self, substring: str, from_undo: bool = False) -> Any:
        if self.field_type == "date" and len(substring) > 1 and not from_undo:
            for char in substring:  # typed at once (automation): the same dots as key by key
                self.insert_text(char)
            return None
        if self.field_type == "date" and substring.isdigit() and len(substring) == 1:
            if len(self.text) in (2, 5) and self.cursor_index() == len(self.text):
                substring = "." + substring
        if self.max_chars:
            room = int(self.max_chars) - len(self.text)
            if room <= 0:
                return None
            substring = substring[:room]
        return super().insert_text(substring, from_undo=from_undo)


class KeyboardKey(KioskButton):
    """One key; ``key`` is what it types or the name of its action."""

    key = StringProperty("")
    wide = NumericProperty(1.0)


class OnScreenKeyboard(BoxLayout):
    """The keyboard docked at the bottom of a screen, typing into ``target``.

    ``mode`` is a `keyboard_for` answer (digits, phone, date, amount, email,
    text) or "" when hidden; ``language`` is the text layout.
    """

    target = ObjectProperty(None, allownone=True)
    mode = StringProperty("")
    language = StringProperty("ka")
    shift = BooleanProperty(False)
    key_height = NumericProperty(60)
    # The layouts this keyboard's fields ask for, built ahead while nobody is
    # looking (`warm`), and the text layout's language if it is not the citizen's.
    warm_modes = ListProperty([])
    warm_language = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self._layouts: dict[tuple[Any, ...], list[BoxLayout]] = {}
        super().__init__(**kwargs)

    def warm_jobs(self, draw: Callable[[], None]) -> list[Callable[[], None]]:
        """Jobs that build each ``warm_modes`` layout and, a main-loop turn later, ``draw`` it,
        so the first citizen's first field opens as fast as any later one and the kiosk
        reaches its working size before a visit. Only for a keyboard whose screen is not
        on show (the caller's ``draw`` draws that screen off screen)."""
        jobs: list[Callable[[], None]] = []
        for mode in self.warm_modes:
            jobs += [lambda mode=mode: self._show_layout(mode), draw]
        jobs.append(lambda: self.hide() if self.target is None else None)
        return jobs

    def _show_layout(self, mode: str) -> None:
        if self.target is not None or self.get_root_window() is not None:
            return  # in use, or its screen is on show: never a keyboard the citizen did not ask for
        if mode == "text":
            self.language = self.warm_language or App.get_running_app().ui.language
        self.mode = mode  # the kv rule sets this mode's key height at once
        self.rebuild()

    def show_for(self, field: KioskInput, mode: str, language: str | None = None) -> None:
        """Type into ``field`` with the layout ``mode``; the text layout follows the citizen's language."""
        self.target = field
        if language is not None and mode == "text":
            self.language = language
        self.shift = False
        self.mode = mode
        self.rebuild()

    def hide(self) -> None:
        if self.target is not None:
            self.target.focus = False
        self.target = None
        self.mode = ""
        self.clear_widgets()

    def rebuild(self) -> None:
        """Show the layout for the current mode, language and shift; each is built once.

        Building ~45 keys cost about 0.2 s a field tap under software OpenGL;
        the built rows hold no text of the citizen's, so they are kept.
        """
        self.clear_widgets()
        if not self.mode:
            return
        ui_language = App.get_running_app().ui.language
        cache_key = (self.mode, self.language, self.shift, ui_language, self.key_height)
        if cache_key not in self._layouts:
            self._layouts[cache_key] = self._build_rows()
        for row in self._layouts[cache_key]:
            self.add_widget(row)

    def _build_rows(self) -> list[BoxLayout]:
        if self.mode in NUMBER_PADS:
            rows = [*DIGIT_ROWS, NUMBER_PADS[self.mode]]
        elif self.mode == "email":
            rows = [list(r) for r in EMAIL_ROWS]
            rows[-1] += ["backspace"]
        else:
            rows = [list(r) for r in TEXT_ROWS.get(self.language, TEXT_ROWS["en"])]
            rows[-1] = rows[-1] + ["backspace"]
            rows.append(["shift"] if self.language != "ka" else [])
            rows[-1] += [*(f"layout-{lang}" for lang in ("ka", "en", "ru")), "space", *PUNCTUATION]
        rows.append(["done"])
        built = []
        for keys in rows:
            row = BoxLayout(spacing=self.spacing, size_hint_y=None, height=self.key_height)
            for key in keys:
                row.add_widget(self._key(key))
            built.append(row)
        return built

    def _key(self, key: str) -> KeyboardKey:
        if not key:
            return KeyboardKey(key="", opacity=0, disabled=True)
        widget = KeyboardKey(key=key, automation_id=f"keyboard-{key}")
        if key.startswith("layout-"):
            lang = key.removeprefix("layout-")
            widget.text = LAYOUT_NAMES[lang]
            widget.style = "primary" if lang == self.language else "secondary"
            widget.wide = 1.6
        elif key in ("backspace", "shift", "space", "done"):
            words = {"space": N_("Space"), "done": N_("Hide keyboard")}
            widget.text = {"backspace": "⌫", "shift": "⇧"}.get(key) or App.get_running_app().ui.tr(words[key])
            widget.style = "secondary"
            widget.wide = {"space": 3.0, "done": 1.0}.get(key, 1.5)
            if key == "shift" and self.shift:
                widget.style = "primary"
        else:
            widget.text = key.upper() if self.shift else key
        widget.bind(on_release=lambda w: self.press(w.key))
        return widget

    def press(self, key: str) -> None:
        field = self.target
        if key == "done":
            self.hide()
            return
        if key.startswith("layout-"):
            self.language = key.removeprefix("layout-")
            self.shift = False
            self.rebuild()
            return
        if key == "shift":
            self.shift = not self.shift
            self.rebuild()
            return
        if field is None:
            return
        if key == "backspace":
            field.do_backspace()
        elif key == "space":
            field.insert_text(" ")
        else:
            field.insert_text(key.upper() if self.shift else key)
            if self.shift:
                self.shift = False  # one capital, as on a phone
                self.rebuild()

"""A service's form on screen, built from the catalog's declarative fields.

Each `FieldBlock` shows one `kiosk.forms.Field`: its label, its help, the
control its type needs, and, right under it, the message `submit_form`
returned for it in the citizen's language. Choices, yes/no and agencies
are big option buttons (``field-<name>-<value>``) rather than typing; the
rest are `KioskInput`s (``field-<name>``) typed on the on-screen keyboard
whose layout `kiosk.forms.keyboard_for` picks. Validation itself stays in
the core: the block only collects what the citizen entered.

Blocks are built in Python because the form is data; their looks are in
services.kv. Option buttons act on press: they live in a ScrollView,
which hands a tap to its children only once it knows it is not a scroll,
and the release would come 0.2 s later still.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.forms import Field, keyboard_for
from kiosk.i18n import N_
from screens.keyboard import KioskInput
from screens.widgets import KioskButton

# Longest input accepted per type when the catalog gives no max_length.
TYPE_LIMITS = {"personal_number": 11, "mobile": 13, "date": 10, "number": 12, "amount_gel": 12,
               "email": 120, "text": 200, "long_text": 5000}
HINTS = {"mobile": "5XX XX XX XX", "date": N_("DD.MM.YYYY"), "personal_number": "01234567890"}


class OptionButton(KioskButton):
    """A choice the citizen taps; selected ones are filled and ticked (not colour alone)."""

    value = ObjectProperty(None)
    selected = BooleanProperty(False)
    caption = StringProperty("")


class FieldBlock(BoxLayout):
    """One field: label, help, control and the message next to it."""

    label_text = StringProperty("")
    help_text = StringProperty("")
    error_text = StringProperty("")
    name = StringProperty("")

    def __init__(self, field: Field, catalog: Any, on_input_focus: Callable[[KioskInput], None],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.field = field
        self.name = field.name
        self.catalog = catalog
        self.input: KioskInput | None = None
        self.options: list[OptionButton] = []
        self._build(on_input_focus)
        self.relabel(App.get_running_app().ui.language)

    # ------------------------------------------------------------ building
    def _build(self, on_input_focus: Callable[[KioskInput], None]) -> None:
        field, box = self.field, self.ids.control
        mode = keyboard_for(field.type)
        if mode is not None:
            limit = field.rules.get("max_length") or TYPE_LIMITS.get(field.type, 200)
            self.input = KioskInput(automation_id=f"field-{field.name}", field_type=field.type,
                                    multiline=field.type == "long_text", max_chars=int(limit))
            self.input.bind(focus=lambda w, focused: on_input_focus(w) if focused else None,
                            text=lambda *_: self.show_error("") if self.error_text else None)
            box.add_widget(self.input)
            return
        grid = GridLayout(cols=1 if field.type == "choice" and len(self._values()) <= 4 else 2,
                          size_hint_y=None, spacing=App.get_running_app().ui.mm(2))
        grid.bind(minimum_height=grid.setter("height"))
        for value in self._values():
            option = OptionButton(value=value, automation_id=f"field-{field.name}-{value}")
            option.bind(on_press=self._picked)
            self.options.append(option)
            grid.add_widget(option)
        box.add_widget(grid)

    def _values(self) -> list[str]:
        field = self.field
        if field.type == "yes_no":
            return ["yes", "no"]
        if field.type == "agency":
            allowed = field.rules.get("agencies")
            agencies = self.catalog.agencies if self.catalog is not None else ()
            return [a.id for a in agencies if allowed is None or a.id in allowed]
        return [c.value for c in field.choices]

    def _picked(self, option: OptionButton) -> None:
        if self.field.type == "multi_choice":
            option.selected = not option.selected
        else:
            for other in self.options:
                other.selected = other is option
        self.error_text = ""

    # ------------------------------------------------------------ language
    def relabel(self, language: str) -> None:
        """Every text of the block in ``language`` (the values typed stay)."""
        ui = App.get_running_app().ui
        field = self.field
        optional = "" if field.required else " " + ui.tr(N_("(optional)"))
        self.label_text = field.label_text(language) + optional
        self.help_text = (field.help.get(language) or field.help.get("ka", "")) if field.help else ""
        if self.input is not None:
            hint = HINTS.get(field.type, "")
            self.input.hint_text = ui.tr(hint) if hint.startswith("DD") else hint
        for option in self.options:
            option.caption = self._option_text(option.value, language)

    def _option_text(self, value: str, language: str) -> str:
        field, ui = self.field, App.get_running_app().ui
        if field.type == "yes_no":
            return ui.tr(N_("Yes") if value == "yes" else N_("No"))
        if field.type == "agency":
            agency = self.catalog.agency_or_none(value) if self.catalog is not None else None
            return agency.name(language) if agency is not None else value
        choice = field.choice(value)
        return choice.text(language) if choice is not None else value

    # ------------------------------------------------------------ values
    def value(self) -> Any:
        """What the citizen entered, raw (the core validates and normalises it)."""
        if self.input is not None:
            return self.input.text
        picked = [o.value for o in self.options if o.selected]
        if self.field.type == "multi_choice":
            return picked
        return picked[0] if picked else None

    def show_error(self, message: str) -> None:
        self.error_text = message
        if self.input is not None:
            self.input.error = bool(message)

    def clear(self) -> None:
        """Forget what was entered (the visit ended, or another service was chosen).

        The screen keeps built forms for the next choice (services_cache.py),
        so the text field's undo history goes too: it holds what was typed.
        """
        if self.input is not None:
            self.input.focus = False
            self.input.text = ""
            self.input.reset_undo()
        for option in self.options:
            option.selected = False
        self.show_error("")

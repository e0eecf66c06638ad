"""Declarative service forms: field definitions, validation, display.

A service's form comes from the catalog (bundled, or fetched from the portal),
so the kiosk cannot hard-code a screen per service. Instead each field names a
type and a few rules, and this module knows, per type, what a citizen may type,
how to put it into one canonical shape for the portal (mobile numbers with
+995, amounts with two decimals, ISO dates) and what to say, in their
language, when the input is wrong. Messages are English msgids that go
through gettext, so the screens show them in Georgian, English or Russian.

Nothing here touches Kivy or devices: the screens call `validate` and
`display_value`, the catalog calls `Field.from_dict` while it checks a document.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from kiosk.form_types import (
    MSG_CHOOSE_ONE,
    FieldDefinitionError,
    FieldError,
    check_rules,
    normalise,
)
from kiosk.i18n import N_, checked_texts, in_language, translate

if TYPE_CHECKING:
    from kiosk.catalog import Catalog

FIELD_TYPES = (
    "text", "number", "date", "choice", "multi_choice", "personal_number", "mobile",
    "email", "amount_gel", "agency", "long_text", "yes_no",
)
# A label or help text longer than this cannot fit the form screen; refuse the document.
MAX_LABEL = 500

# Which on-screen keyboard a field type opens; None: the screen shows buttons.
_KEYBOARDS: dict[str, str | None] = {
    "text": "text", "long_text": "text", "number": "digits", "personal_number": "digits",
    "mobile": "phone", "email": "email", "amount_gel": "amount", "date": "date",
    "choice": None, "multi_choice": None, "yes_no": None, "agency": None,
}

__all__ = [
    "FIELD_TYPES", "Choice", "Field", "FieldDefinitionError", "FieldError", "FormResult",
    "display_value", "keyboard_for", "mask_personal_number", "validate",
]


@dataclass(frozen=True)
class Choice:
    value: str
    label: Mapping[str, str]

    def text(self, language: str) -> str:
        return in_language(self.label, language)


@dataclass(frozen=True)
class Field:
    """One checked field definition; built only through `from_dict`."""

    name: str
    type: str
    label: Mapping[str, str]
    required: bool = True
    help: Mapping[str, str] | None = None
    rules: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> Field:
        """Check a field definition from a catalog document; FieldDefinitionError if unusable."""
        if not isinstance(data, Mapping):
            raise FieldDefinitionError("must be an object")
        name = data.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
            raise FieldDefinitionError(f"name {name!r} must be a lower-case identifier")
        kind = data.get("type")
        if kind not in FIELD_TYPES:
            raise FieldDefinitionError(
                f"{name}: type {kind!r} is not one of {', '.join(FIELD_TYPES)}")
        required = data.get("required", True)
        if not isinstance(required, bool):
            raise FieldDefinitionError(f"{name}: required must be true or false")
        label = _texts(data.get("label"), f"{name}: label")
        help_text = _texts(data["help"], f"{name}: help") if data.get("help") is not None else None
        choices: tuple[Choice, ...] = ()
        if kind in ("choice", "multi_choice"):
            choices = _choices(data.get("choices"), name)
        rules = check_rules(kind, data, name, len(choices))
        return cls(name, kind, label, required, help_text, rules, choices)

    def to_dict(self) -> dict[str, Any]:
        """The definition back as a document fragment (known keys only)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type,
                               "label": dict(self.label), "required": self.required}
        if self.help is not None:
            out["help"] = dict(self.help)
        if self.choices:
            out["choices"] = [{"value": c.value, "label": dict(c.label)} for c in self.choices]
        out.update(self.rules)
        return out

    def label_text(self, language: str) -> str:
        return in_language(self.label, language)

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


def _texts(value: Any, where: str) -> dict[str, str]:
    return checked_texts(value, where, FieldDefinitionError, MAX_LABEL)


def _choices(value: Any, name: str) -> tuple[Choice, ...]:
    if not isinstance(value, list) or not value:
        raise FieldDefinitionError(f"{name}: choices must be a non-empty list")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
            raise FieldDefinitionError(f"{name}: choices[{i}] needs a string value")
        if item["value"] in seen:
            raise FieldDefinitionError(f"{name}: choice {item['value']!r} appears twice")
        seen.add(item["value"])
        out.append(Choice(item["value"], _texts(item.get("label"), f"{name}: choices[{i}].label")))
    return tuple(out)


@dataclass
class FormResult:
    errors: dict[str, FieldError]
    values: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self, name: str, language: str) -> str | None:
        """The error for field ``name`` in ``language``, or None when it is fine."""
        error = self.errors.get(name)
        return error.text(language) if error is not None else None


MSG_REQUIRED = N_("This field is required")
MSG_YES_NO = N_("Answer yes or no")


def _is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, (list, tuple, set, frozenset)):
        return not raw
    return False


def validate(
    fields: Iterable[Field | Mapping[str, Any]],
    values: Mapping[str, Any],
    *,
    catalog: Catalog | None = None,
    today: date | None = None,
) -> FormResult:
    """Check what the citizen entered against ``fields``.

    Returns every field's problem at once (a screen marks them all, rather
    than making an elderly citizen fix one at a time) and, for good input,
    the values in canonical form. Values for names the form does not have are
    dropped, so nothing unexpected is sealed and sent. ``catalog`` gives the
    agency ids an `agency` field accepts; ``today`` is injectable for tests.
    """
    today = today or date.today()
    errors: dict[str, FieldError] = {}
    clean: dict[str, Any] = {}
    agency_ids: Collection[str] | None = (
        {a.id for a in catalog.agencies} if catalog is not None else None)
    for item in fields:
        definition = item if isinstance(item, Field) else Field.from_dict(item)
        raw = values.get(definition.name)
        if _is_empty(raw):
            if definition.required:
                errors[definition.name] = FieldError(_missing_message(definition.type))
            continue
        value, error = normalise(definition, raw, today=today, agency_ids=agency_ids)
        if error is not None:
            errors[definition.name] = error
        else:
            clean[definition.name] = value
    return FormResult(errors, clean)


def _missing_message(field_type: str) -> str:
    if field_type in ("choice", "agency"):
        return MSG_CHOOSE_ONE
    if field_type == "yes_no":
        return MSG_YES_NO
    return MSG_REQUIRED


def keyboard_for(field_type: str) -> str | None:
    """The on-screen keyboard a field needs: digits, phone, email, text, amount, date or None.

    None means the screen offers buttons (choices, yes/no, agencies) instead
    of a keyboard, which is easier for a citizen than typing.
    """
    try:
        return _KEYBOARDS[field_type]
    except KeyError:
        raise ValueError(f"unknown field type {field_type!r}") from None


def mask_personal_number(personal_number: str) -> str:
    """Hide the middle of a personal number: "01001012345" -> "010*****345".

    Screens and receipts can be seen by the next person in the queue; the
    ends are enough for the owner to recognise their own number.
    """
    text = str(personal_number).strip()
    if len(text) < 9:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 6) + text[-3:]


def display_value(
    field_def: Field | Mapping[str, Any],
    value: Any,
    language: str,
    catalog: Catalog | None = None,
) -> str:
    """How a (normalised) value reads on the confirm screen and the receipt."""
    definition = field_def if isinstance(field_def, Field) else Field.from_dict(field_def)
    if _is_empty(value):
        return "—"
    kind = definition.type
    if kind == "choice":
        choice = definition.choice(str(value))
        return choice.text(language) if choice else str(value)
    if kind == "multi_choice":
        picked = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(
            (c.text(language) if (c := definition.choice(str(v))) else str(v)) for v in picked)
    if kind == "yes_no":
        return translate(language, N_("Yes") if value is True or value == "yes" else N_("No"))
    if kind == "agency":
        if catalog is not None:
            agency = catalog.agency_or_none(str(value))
            if agency is not None:
                return agency.name(language)
        return str(value)
    if kind == "date":
        return _display_date(str(value))
    if kind == "amount_gel":
        return f"{value} ₾"
    if kind == "personal_number":
        return mask_personal_number(str(value))
    if kind == "mobile":
        return _display_mobile(str(value))
    return str(value)


def _display_date(value: str) -> str:
    try:
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return value


def _display_mobile(value: str) -> str:
    match = re.fullmatch(r"\+995(5\d{2})(\d{2})(\d{2})(\d{2})", value)
    return "+995 " + " ".join(match.groups()) if match else value


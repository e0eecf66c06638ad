"""What each form field type allows: its rules in a catalog, and its input.

Two halves of the same knowledge per type, kept together so a new type is
added in one place: `check_rules` reads a type's rules from a catalog
document (which may come from the network, so every rule is checked before
it is trusted), and `normalise` turns what a citizen typed into the one
canonical value the portal receives, or a `FieldError` saying what to fix.
`kiosk.forms` is the public face; import from there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from kiosk.i18n import N_, translate

if TYPE_CHECKING:
    from kiosk.forms import Field

DEFAULT_TEXT_MAX = 200
DEFAULT_LONG_TEXT_MAX = 5000
# Nothing a citizen types on a touchscreen is longer; a bigger rule is a bad document.
LONGEST_ALLOWED = 20000
LARGEST_AMOUNT = Decimal("999999999.99")


class FieldDefinitionError(ValueError):
    """A field definition in a catalog document cannot be used."""


class FieldError(str):
    """An English msgid (compares equal to it) plus the values its ``{n}`` fields need."""

    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> FieldError:
        self = super().__new__(cls, msgid)
        self.values = values
        return self

    def text(self, language: str) -> str:
        """The message in ``language`` with its fields filled in."""
        return translate(language, str(self), **self.values)


# ---------------------------------------------------------------- rules


def _int_rule(data: Mapping[str, Any], key: str, name: str, low: int, high: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FieldDefinitionError(f"{name}: {key} must be a whole number from {low} to {high}")
    return value


def _amount_rule(data: Mapping[str, Any], key: str, name: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    amount = parse_amount(value) if isinstance(value, str) else None
    if amount is None:
        raise FieldDefinitionError(f"{name}: {key} must be an amount string like \"100.00\"")
    return str(amount)


def parse_date_bound(value: str, today: date) -> date:
    """A date rule's bound: "today" (checked at the time of the visit) or an ISO date."""
    return today if value == "today" else date.fromisoformat(value)


def _date_rule(data: Mapping[str, Any], key: str, name: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parse_date_bound(value, date.today())
    except ValueError:
        raise FieldDefinitionError(
            f"{name}: {key} must be \"today\" or a date like 2024-01-31") from None
    return value


def _ordered(rules: dict[str, Any], low: str, high: str, name: str,
             as_value: Callable[[Any], Any] = lambda v: v) -> None:
    a, b = rules.get(low), rules.get(high)
    # "today" moves, so a bound against it cannot be compared when the catalog loads.
    if a is None or b is None or "today" in (a, b):
        return
    if as_value(a) > as_value(b):
        raise FieldDefinitionError(f"{name}: {low} must not be above {high}")


def check_rules(kind: str, data: Mapping[str, Any], name: str, n_choices: int) -> dict[str, Any]:
    """The known rules of a field of type ``kind``; unknown keys are ignored for forward compatibility."""
    rules: dict[str, Any] = {}
    if kind in ("text", "long_text"):
        rules["min_length"] = _int_rule(data, "min_length", name, 0, LONGEST_ALLOWED)
        rules["max_length"] = _int_rule(data, "max_length", name, 1, LONGEST_ALLOWED)
        _ordered(rules, "min_length", "max_length", name)
    if kind == "text":
        pattern, example = data.get("pattern"), data.get("example")
        if pattern is not None:
            if not isinstance(pattern, str) or len(pattern) > 200:
                raise FieldDefinitionError(f"{name}: pattern must be a short regular expression")
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError):
                raise FieldDefinitionError(f"{name}: pattern {pattern!r} does not compile") from None
            if not isinstance(example, str) or not example:
                raise FieldDefinitionError(f"{name}: a pattern needs an example to show")
            rules["pattern"], rules["example"] = pattern, example
    elif kind == "number":
        rules["min"] = _int_rule(data, "min", name, -(10**12), 10**12)
        rules["max"] = _int_rule(data, "max", name, -(10**12), 10**12)
        _ordered(rules, "min", "max", name)
    elif kind == "amount_gel":
        rules["min"] = _amount_rule(data, "min", name)
        rules["max"] = _amount_rule(data, "max", name)
        _ordered(rules, "min", "max", name, Decimal)
    elif kind == "date":
        rules["min"] = _date_rule(data, "min", name)
        rules["max"] = _date_rule(data, "max", name)
        _ordered(rules, "min", "max", name, date.fromisoformat)
    elif kind == "multi_choice":
        rules["min_selected"] = _int_rule(data, "min_selected", name, 0, n_choices)
        rules["max_selected"] = _int_rule(data, "max_selected", name, 1, n_choices)
        _ordered(rules, "min_selected", "max_selected", name)
    elif kind == "agency":
        only = data.get("agencies")
        if only is not None:
            if not isinstance(only, list) or not only or not all(isinstance(a, str) for a in only):
                raise FieldDefinitionError(f"{name}: agencies must be a non-empty list of ids")
            rules["agencies"] = list(only)
    return {key: value for key, value in rules.items() if value is not None}


# ---------------------------------------------------------------- input

MSG_CHOOSE_ONE = N_("Choose one")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean_text(raw: Any, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", str(raw))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _CONTROL.sub("", text)
        return "\n".join(line.rstrip() for line in text.strip().split("\n"))
    return " ".join(_CONTROL.sub(" ", text.replace("\n", " ")).split())


def _text(field: Field, raw: Any, multiline: bool) -> tuple[Any, FieldError | None]:
    text = _clean_text(raw, multiline)
    if not text:  # only control characters or blanks: nothing was really typed
        return None, FieldError(N_("This field is required"))
    rules = field.rules
    longest = rules.get("max_length", DEFAULT_LONG_TEXT_MAX if multiline else DEFAULT_TEXT_MAX)
    if len(text) > longest:
        return None, FieldError(N_("Too long: at most {n} characters"), n=longest)
    if len(text) < rules.get("min_length", 0):
        return None, FieldError(N_("Too short: at least {n} characters"), n=rules["min_length"])
    pattern = rules.get("pattern")
    if pattern and not re.fullmatch(pattern, text):
        return None, FieldError(N_("Enter it like {example}"), example=rules["example"])
    return text, None


def _number(field: Field, raw: Any) -> tuple[Any, FieldError | None]:
    text = re.sub(r"\s", "", str(raw))
    if isinstance(raw, bool) or not re.fullmatch(r"-?[0-9]{1,15}", text):
        return None, FieldError(N_("Enter a whole number"))
    number = int(text)
    if "min" in field.rules and number < field.rules["min"]:
        return None, FieldError(N_("Enter at least {n}"), n=field.rules["min"])
    if "max" in field.rules and number > field.rules["max"]:
        return None, FieldError(N_("Enter at most {n}"), n=field.rules["max"])
    return number, None


_DMY = re.compile(r"([0-9]{1,2})[./\-]([0-9]{1,2})[./\-]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _date(field: Field, raw: Any, today: date) -> tuple[Any, FieldError | None]:
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw).strip()
        if match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
        elif match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
        else:
            return None, FieldError(N_("Enter a date as DD.MM.YYYY"))
        try:
            value = date(year, month, day)
        except ValueError:
            return None, FieldError(N_("This date does not exist"))
    if (bound := field.rules.get("max")) and value > parse_date_bound(bound, today):
        if bound == "today":
            return None, FieldError(N_("The date cannot be in the future"))
        return None, FieldError(N_("The date must be on or before {date}"),
                                date=date.fromisoformat(bound).strftime("%d.%m.%Y"))
    if (bound := field.rules.get("min")) and value < parse_date_bound(bound, today):
        if bound == "today":
            return None, FieldError(N_("The date cannot be in the past"))
        return None, FieldError(N_("The date must be on or after {date}"),
                                date=date.fromisoformat(bound).strftime("%d.%m.%Y"))
    return value.isoformat(), None


def _multi(field: Field, raw: Any) -> tuple[Any, FieldError | None]:
    picked = [raw] if isinstance(raw, str) else list(raw) if isinstance(
        raw, (list, tuple, set, frozenset)) else None
    known = [c.value for c in field.choices]
    if picked is None or any(str(p) not in known for p in picked):
        return None, FieldError(N_("Choose from the list"))
    chosen = [v for v in known if v in {str(p) for p in picked}]  # catalog order, no repeats
    least = field.rules.get("min_selected", 1)
    if len(chosen) < least:
        return None, FieldError(N_("Choose at least {n}"), n=least)
    most = field.rules.get("max_selected")
    if most is not None and len(chosen) > most:
        return None, FieldError(N_("Choose at most {n}"), n=most)
    return chosen, None


def parse_amount(raw: Any) -> Decimal | None:
    """A non-negative amount with at most two decimals, or None."""
    text = re.sub(r"\s|₾|GEL|ლარი", "", str(raw), flags=re.IGNORECASE).replace(",", ".")
    if not re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,2})?", text):
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _amount(field: Field, raw: Any) -> tuple[Any, FieldError | None]:
    amount = None if isinstance(raw, (bool, float)) else parse_amount(raw)
    if amount is None or amount > LARGEST_AMOUNT:
        return None, FieldError(N_("Enter an amount like 12.50"))
    if amount <= 0:
        return None, FieldError(N_("The amount must be more than 0"))
    if (low := field.rules.get("min")) and amount < Decimal(low):
        return None, FieldError(N_("The amount must be at least {amount} ₾"), amount=low)
    if (high := field.rules.get("max")) and amount > Decimal(high):
        return None, FieldError(N_("The amount can be at most {amount} ₾"), amount=high)
    return str(amount), None


_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}")


def _email(raw: Any) -> tuple[Any, FieldError | None]:
    text = str(raw).strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None, FieldError(N_("Enter an e-mail address like name@example.ge"))
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}", None


def _mobile(raw: Any) -> tuple[Any, FieldError | None]:
    text = re.sub(r"[\s\-()]", "", str(raw))
    match = re.fullmatch(r"(?:\+995|00995|995)?(5[0-9]{8})", text)
    if not match:
        return None, FieldError(N_("A mobile number is +995 and 9 digits starting with 5"))
    return "+995" + match.group(1), None


def _yes_no(raw: Any) -> tuple[Any, FieldError | None]:
    if isinstance(raw, bool):
        return raw, None
    answer = {"yes": True, "true": True, "no": False, "false": False}.get(str(raw).strip().lower())
    if answer is None:
        return None, FieldError(N_("Answer yes or no"))
    return answer, None


def normalise(
    field: Field, raw: Any, *, today: date, agency_ids: Collection[str] | None
) -> tuple[Any, FieldError | None]:
    """(canonical value, None) for good input, (None, error) for bad; ``raw`` is not empty."""
    kind = field.type
    if kind in ("text", "long_text"):
        return _text(field, raw, multiline=kind == "long_text")
    if kind == "number":
        return _number(field, raw)
    if kind == "date":
        return _date(field, raw, today)
    if kind == "choice":
        value = str(raw)
        return (value, None) if field.choice(value) else (None, FieldError(MSG_CHOOSE_ONE))
    if kind == "multi_choice":
        return _multi(field, raw)
    if kind == "personal_number":
        text = re.sub(r"\s", "", str(raw))
        return (text, None) if re.fullmatch(r"[0-9]{11}", text) else (
            None, FieldError(N_("Enter 11 digits")))
    if kind == "mobile":
        return _mobile(raw)
    if kind == "email":
        return _email(raw)
    if kind == "amount_gel":
        return _amount(field, raw)
    if kind == "agency":
        value = str(raw)
        allowed = field.rules.get("agencies")
        if (allowed is not None and value not in allowed) or (
                agency_ids is not None and value not in agency_ids):
            return None, FieldError(N_("Choose an agency from the list"))
        return value, None
    if kind == "yes_no":
        return _yes_no(raw)
    raise ValueError(f"unknown field type {kind!r}")

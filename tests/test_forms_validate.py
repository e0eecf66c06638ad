"""Form validation per field type: good input normalised, bad input named in a msgid."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalog import load_bundled_catalog
from kiosk.forms import Field, validate

TODAY = date(2025, 6, 15)
LABEL = {"ka": "ველი", "en": "Field", "ru": "Поле"}
CHOICES = [{"value": v, "label": {"ka": f"ა{v}", "en": v, "ru": f"б{v}"}} for v in "abcd"]


def one(kind: str, value: object, **rules: object) -> tuple[object, str | None]:
    """(normalised value, error msgid) of one field named f."""
    spec = {"name": "f", "type": kind, "label": LABEL, **rules}
    if kind in ("choice", "multi_choice") and "choices" not in rules:
        spec["choices"] = CHOICES
    result = validate([spec], {"f": value}, today=TODAY)
    assert result.ok == (not result.errors)
    return result.values.get("f"), result.errors.get("f")


@pytest.mark.parametrize(("raw", "expected"), [
    ("555123456", "+995555123456"),
    ("+995555123456", "+995555123456"),
    ("+995 555 12 34 56", "+995555123456"),
    ("599-12-34-56", "+995599123456"),
    ("00995 577 000 111", "+995577000111"),
])
def test_mobile_numbers_are_normalised(raw: str, expected: str) -> None:
    assert one("mobile", raw) == (expected, None)


@pytest.mark.parametrize("raw", ["455123456", "55512345", "5551234567", "+7 555 123 456",
                                 "+995455123456", "phone", "+995-555-12-34-5x"])
def test_bad_mobile_numbers(raw: str) -> None:
    assert one("mobile", raw) == (None, "A mobile number is +995 and 9 digits starting with 5")


@settings(max_examples=50)
@given(st.integers(0, 10**8 - 1), st.sampled_from(["", "+995", "+995 ", "995"]))
def test_any_georgian_mobile_normalises_to_one_form(rest: int, prefix: str) -> None:
    digits = f"5{rest:08d}"
    assert one("mobile", prefix + digits) == (f"+995{digits}", None)


def test_personal_numbers() -> None:
    assert one("personal_number", "01001012345") == ("01001012345", None)
    assert one("personal_number", " 010 0101 2345 ") == ("01001012345", None)
    for bad in ("0100101234", "010010123456", "0100101234a", "ab"):
        assert one("personal_number", bad) == (None, "Enter 11 digits")


@pytest.mark.parametrize(("raw", "expected"), [
    ("12.50", "12.50"), ("12,5", "12.50"), ("7", "7.00"), (" 1 000.00 ", "1000.00"),
    ("3.10 ₾", "3.10"), ("0.01", "0.01"),
])
def test_amounts_get_two_decimals(raw: str, expected: str) -> None:
    assert one("amount_gel", raw) == (expected, None)


@pytest.mark.parametrize(("raw", "error"), [
    ("12.505", "Enter an amount like 12.50"), ("-5", "Enter an amount like 12.50"),
    ("1e3", "Enter an amount like 12.50"), ("twelve", "Enter an amount like 12.50"),
    ("0", "The amount must be more than 0"), ("0.00", "The amount must be more than 0"),
    ("600.01", "The amount can be at most {amount} ₾"),
])
def test_bad_amounts(raw: str, error: str) -> None:
    assert one("amount_gel", raw, max="600.00") == (None, error)


def test_amount_minimum() -> None:
    value, error = one("amount_gel", "4.99", min="5.00")
    assert error == "The amount must be at least {amount} ₾" and error.values == {"amount": "5.00"}


@settings(max_examples=50)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2))
def test_every_positive_two_decimal_amount_round_trips(amount: Decimal) -> None:
    assert one("amount_gel", str(amount)) == (f"{amount:.2f}", None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("14.03.1985", "1985-03-14"), ("1.2.2000", "2000-02-01"), ("14/03/1985", "1985-03-14"),
    ("1985-03-14", "1985-03-14"), (date(1985, 3, 14), "1985-03-14"), ("15.06.2025", "2025-06-15"),
])
def test_dates_become_iso(raw: object, expected: str) -> None:
    assert one("date", raw, max="today") == (expected, None)


@pytest.mark.parametrize(("raw", "error"), [
    ("16.06.2025", "The date cannot be in the future"),
    ("31.02.2020", "This date does not exist"),
    ("14 March 1985", "Enter a date as DD.MM.YYYY"),
    ("14.03.85", "Enter a date as DD.MM.YYYY"),
])
def test_bad_dates(raw: str, error: str) -> None:
    assert one("date", raw, max="today") == (None, error)


def test_date_bounds() -> None:
    assert one("date", "14.06.2025", min="today") == (None, "The date cannot be in the past")
    _, error = one("date", "31.12.1899", min="1900-01-01")
    assert error == "The date must be on or after {date}" and error.values == {"date": "01.01.1900"}
    _, error = one("date", "02.01.2030", max="2030-01-01")
    assert error == "The date must be on or before {date}"


@settings(max_examples=50)
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_any_past_date_typed_as_dd_mm_yyyy_round_trips(day: date) -> None:
    assert one("date", day.strftime("%d.%m.%Y"), max="today") == (day.isoformat(), None)


def test_text_lengths_and_whitespace() -> None:
    assert one("text", "  ნინო   ბერიძე \t", max_length=20) == ("ნინო ბერიძე", None)
    _, error = one("text", "x" * 21, max_length=20)
    assert error == "Too long: at most {n} characters" and error.values == {"n": 20}
    assert one("text", "a", min_length=2)[1] == "Too short: at least {n} characters"
    assert one("text", "x" * 201)[1] == "Too long: at most {n} characters", "default limit"


def test_text_pattern_shows_an_example() -> None:
    rules = {"pattern": r"\d{2}\.\d{2}", "example": "01.18"}
    assert one("text", "01.18", **rules) == ("01.18", None)
    _, error = one("text", "0118", **rules)
    assert error == "Enter it like {example}" and error.values == {"example": "01.18"}


def test_long_text_keeps_lines_and_drops_control_characters() -> None:
    value, error = one("long_text", "Hello\r\n\r\nსალამი\x07  \nend")
    assert error is None and value == "Hello\n\nსალამი\nend"
    assert one("long_text", "x" * 5001)[1] == "Too long: at most {n} characters"
    assert one("long_text", "x" * 5000)[1] is None


@settings(max_examples=40)
@given(st.text(min_size=1, max_size=60))
def test_text_never_exceeds_its_limit_or_raises(text: str) -> None:
    value, error = one("text", text, max_length=30)
    assert (value is None) != (error is None), "a value or an error, never both or neither"
    if value is not None:
        assert len(value) <= 30 and value == value.strip()


def test_numbers() -> None:
    assert one("number", " 12 ", min=1, max=20) == (12, None)
    assert one("number", "0", min=1)[1] == "Enter at least {n}"
    assert one("number", "21", max=20)[1] == "Enter at most {n}"
    for bad in ("1.5", "12a", "", "--1"):
        if bad:
            assert one("number", bad)[1] == "Enter a whole number"


def test_email() -> None:
    assert one("email", " Nino.Beridze@Example.GE ") == ("Nino.Beridze@example.ge", None)
    for bad in ("nino", "nino@", "@example.ge", "nino@example", "ni no@example.ge",
                "nino..b@example.ge", "nino@exa_mple.ge"):
        assert one("email", bad)[1] == "Enter an e-mail address like name@example.ge", bad


def test_choice_and_multi_choice() -> None:
    assert one("choice", "b") == ("b", None)
    assert one("choice", "z") == (None, "Choose one")
    assert one("multi_choice", ["c", "a", "c"]) == (["a", "c"], None), "catalog order, no repeats"
    assert one("multi_choice", ["a", "z"])[1] == "Choose from the list"
    _, error = one("multi_choice", ["a"], min_selected=2)
    assert error == "Choose at least {n}" and error.values == {"n": 2}
    assert one("multi_choice", ["a", "b", "c"], max_selected=2)[1] == "Choose at most {n}"


def test_yes_no() -> None:
    assert one("yes_no", True) == (True, None)
    assert one("yes_no", "no") == (False, None)
    assert one("yes_no", "maybe") == (None, "Answer yes or no")
    assert one("yes_no", False) == (False, None), "False is an answer, not a missing value"


def test_agency_is_checked_against_the_catalog() -> None:
    catalog = load_bundled_catalog()
    form = catalog.service("letter-to-agency").form
    good = {"agency": "napr", "subject": "ამონაწერი", "letter": "გთხოვთ, მომაწოდოთ ინფორმაცია.",
            "mobile": "555123456"}
    result = validate(form, good, catalog=catalog, today=TODAY)
    assert result.ok, result.errors
    assert result.values["agency"] == "napr" and "email" not in result.values
    bad = validate(form, {**good, "agency": "kgb"}, catalog=catalog, today=TODAY)
    assert bad.errors == {"agency": "Choose an agency from the list"}


def test_required_and_optional_fields() -> None:
    fields = [{"name": "a", "type": "text", "label": LABEL},
              {"name": "b", "type": "email", "label": LABEL, "required": False},
              {"name": "c", "type": "choice", "label": LABEL, "choices": CHOICES},
              {"name": "d", "type": "yes_no", "label": LABEL}]
    result = validate(fields, {"a": "  ", "b": "", "c": None}, today=TODAY)
    assert result.errors == {"a": "This field is required", "c": "Choose one",
                             "d": "Answer yes or no"}
    assert not result.ok and result.values == {}


def test_values_for_unknown_names_are_dropped() -> None:
    fields = [Field.from_dict({"name": "a", "type": "text", "label": LABEL})]
    result = validate(fields, {"a": "x", "password": "secret"}, today=TODAY)
    assert result.ok and result.values == {"a": "x"}


def test_a_whole_bundled_form_validates_and_normalises() -> None:
    catalog = load_bundled_catalog()
    form = catalog.service("birth-certificate-repeat").form
    values = {"whose": "child", "person_personal_number": "01001012345", "given_name": "გიორგი",
              "surname": "ბერიძე", "date_of_birth": "01.09.2015", "delivery": "justice_house",
              "justice_house": "kutaisi", "mobile": "599 11 22 33"}
    result = validate(form, values, catalog=catalog, today=TODAY)
    assert result.ok, result.errors
    assert result.values["date_of_birth"] == "2015-09-01"
    assert result.values["mobile"] == "+995599112233"


def test_only_ascii_digits_reach_the_portal() -> None:
    """Arabic-Indic or other scripts' digits match \\d; the portal expects 0-9 only."""
    from kiosk.forms import validate as check

    fields = [{"name": "pn", "type": "personal_number", "label": {"ka": "a", "en": "a", "ru": "a"},
               "required": True},
              {"name": "m", "type": "mobile", "label": {"ka": "a", "en": "a", "ru": "a"}, "required": True}]
    result = check(fields, {"pn": "٠١٠٠١٠١٢٣٤٥", "m": "5٥٥١٢٣٤٥٦"})
    assert set(result.errors) == {"pn", "m"}
    assert check(fields, {"pn": "01001012345", "m": "555123456"}).ok

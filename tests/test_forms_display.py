"""What the confirm screen and receipt show, which keyboard opens, and translated messages."""

import re

import pytest

from kiosk import i18n
from kiosk.catalog import load_bundled_catalog
from kiosk.forms import FieldError, display_value, keyboard_for, mask_personal_number, validate

LABEL = {"ka": "ველი", "en": "Field", "ru": "Поле"}
GEORGIAN = re.compile(r"[\u10d0-\u10ff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@pytest.mark.parametrize(("field_type", "keyboard"), [
    ("number", "digits"), ("personal_number", "digits"), ("mobile", "phone"),
    ("email", "email"), ("text", "text"), ("long_text", "text"), ("amount_gel", "amount"),
    ("date", "date"), ("choice", None), ("multi_choice", None), ("yes_no", None),
    ("agency", None),
])
def test_keyboard_for_each_field_type(field_type: str, keyboard: str | None) -> None:
    assert keyboard_for(field_type) == keyboard


def test_keyboard_for_an_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="signature"):
        keyboard_for("signature")


@pytest.mark.parametrize(("number", "masked"), [
    ("01001012345", "010*****345"), ("12345678901", "123*****901"), ("1234", "****"), ("", ""),
])
def test_mask_personal_number(number: str, masked: str) -> None:
    assert mask_personal_number(number) == masked
    if len(number) == 11:
        assert number[3:8] not in mask_personal_number(number)


def test_display_values_in_each_language() -> None:
    catalog = load_bundled_catalog()
    form = {f.name: f for f in catalog.service("birth-certificate-repeat").form}
    assert display_value(form["delivery"], "justice_house", "ka", catalog) == "იუსტიციის სახლში"
    assert display_value(form["delivery"], "justice_house", "ru", catalog) == "В Доме юстиции"
    assert display_value(form["date_of_birth"], "1985-03-14", "en") == "14.03.1985"
    assert display_value(form["mobile"], "+995555123456", "en") == "+995 555 12 34 56"
    assert display_value(form["person_personal_number"], "01001012345", "ka") == "010*****345"
    assert display_value(form["given_name"], None, "ka") == "—"

    letter = {f.name: f for f in catalog.service("letter-to-agency").form}
    assert display_value(letter["agency"], "napr", "ka", catalog) == \
        "საჯარო რეესტრის ეროვნული სააგენტო"
    assert display_value(letter["agency"], "napr", "en", catalog) == \
        "National Agency of Public Registry"

    ceremony = catalog.service("marriage-registration-appointment").field("ceremony")
    assert display_value(ceremony, True, "ka") == "დიახ"
    assert display_value(ceremony, False, "ru") == "Нет"
    assert display_value(ceremony, True, "en") == "Yes"

    changes = catalog.service("business-data-change").field("changes")
    assert display_value(changes, ["address", "director"], "en") == "Legal address, Director"

    refund = catalog.service("tax-refund-request").field("amount")
    assert display_value(refund, "12.50", "ka") == "12.50 ₾"


def test_error_messages_are_translated_with_their_values() -> None:
    spec = {"name": "f", "type": "text", "label": LABEL, "max_length": 5}
    result = validate([spec], {"f": "too long"})
    assert result.errors["f"] == "Too long: at most {n} characters"
    assert result.message("f", "en") == "Too long: at most 5 characters"
    assert result.message("f", "ka") == "ძალიან გრძელია: მაქსიმუმ 5 სიმბოლო"
    assert result.message("f", "ru") == "Слишком длинно: не больше 5 символов"
    assert result.message("missing", "ka") is None


FORM_MESSAGES = [
    FieldError("This field is required"), FieldError("Enter 11 digits"),
    FieldError("A mobile number is +995 and 9 digits starting with 5"),
    FieldError("Enter an e-mail address like name@example.ge"),
    FieldError("Enter an amount like 12.50"), FieldError("The date cannot be in the future"),
    FieldError("Enter a date as DD.MM.YYYY"), FieldError("Choose one"),
    FieldError("Choose at least {n}", n=2), FieldError("Too long: at most {n} characters", n=9),
    FieldError("The amount can be at most {amount} ₾", amount="600.00"),
    FieldError("Enter it like {example}", example="AA-123-BB"),
]


@pytest.mark.parametrize("error", FORM_MESSAGES, ids=str)
def test_each_message_reads_in_georgian_and_russian(error: FieldError) -> None:
    i18n.reset_cache()
    ka, ru, en = error.text("ka"), error.text("ru"), error.text("en")
    assert en == str(error).format(**error.values)
    assert ka != en and GEORGIAN.search(ka), ka
    assert ru != en and CYRILLIC.search(ru), ru
    for value in error.values.values():
        assert str(value) in ka and str(value) in ru


def test_every_msgid_of_the_forms_domain_is_raised_somewhere() -> None:
    """No dead entries: each msgid in forms.po is used by kiosk/forms*.py or form_types.py."""
    sources = "".join(p.read_text(encoding="utf-8") for p in i18n.LOCALE_DIR.parent.glob("form*.py"))
    po = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "forms.po"
    msgids = re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(msgids) >= 20
    unused = [m for m in msgids if f'"{m}"' not in sources]
    assert not unused, unused

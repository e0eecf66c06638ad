"""Fuzz: what a citizen types into a service form (`kiosk.forms.validate`).

What is fuzzed: for every service of the bundled catalog, values for its
fields: arbitrary unicode strings (digits of other scripts, full-width
forms, combining marks, control characters, lone surrogates), near-misses
of each type's format (dates, amounts, mobiles, e-mails, personal numbers),
lists of strings, None, booleans, small numbers and dates, plus names the
form does not have.

"Handled" means: `validate` returns a `FormResult` and never raises; every
error is a `FieldError` whose text renders in ka/en/ru; the clean values
are exactly the form's fields without an error, and validating the clean
values again gives the same values with no error for them (normalisation is
a fixed point); `display_value` returns a string for every clean value in
every language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from kiosk.catalog import load_bundled_catalog
from kiosk.forms import FieldError, FormResult, display_value, validate
from tests.fuzz_profiles import fuzz

CATALOG = load_bundled_catalog()
SERVICES = sorted(CATALOG.services, key=lambda s: s.id)
TODAY = date(2025, 3, 14)
CHOICE_VALUES = sorted({c.value for s in SERVICES for f in s.form for c in f.choices})
AGENCY_IDS = sorted(a.id for a in CATALOG.agencies)

near_misses = st.sampled_from([
    "14.03.2025", "31.02.2024", "2025-03-14", "0000-01-01", "٠١.٠١.٢٠٢٤", "1/1/0001", "99.99.9999",
    "12.50", "12,5", "0.00", "-1", "1e3", "999999999.99", "1000000000", "١٢٫٥", "12.5 ₾", "10 GEL",
    "+995 555 12 34 56", "555123456", "00995555123456", "+995５５５１２３４５６", "٥٥٥١٢٣٤٥٦",
    "name@example.ge", "NAME@EXAMPLE.GE", "a@b", "a@b.c" + "c" * 300, "ü@example.ge",
    "01001012345", "٠١٠٠١٠١٢٣٤٥", "0100101234", " 0 1 0 0 1 0 1 2 3 4 5 ",
    "yes", "No", "TRUE", "da", "0", "-0", "123456789012345", "1234567890123456",
    "\ud800", "a\x00b", "\u200b", "e\u0301", "ﬁ", "\t\n\r", "ＡＢＣ",
])
strings = st.text(max_size=40) | near_misses | st.sampled_from(CHOICE_VALUES + AGENCY_IDS) \
    | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
raw_values = (strings | st.lists(strings, max_size=4) | st.none() | st.booleans()
              | st.integers(-(10**20), 10**20) | st.dates())


@st.composite
def filled_forms(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    service = draw(st.sampled_from(SERVICES))
    values = {f.name: draw(raw_values) for f in service.form if draw(st.booleans())}
    values.update(draw(st.dictionaries(st.text(max_size=5), raw_values, max_size=2)))
    return service, values


@fuzz(400)
@given(filled_forms())
def test_validate_is_total_and_its_output_is_a_fixed_point(form: tuple[Any, dict[str, Any]]) -> None:
    service, values = form
    result = validate(service.form, values, catalog=CATALOG, today=TODAY)
    assert isinstance(result, FormResult)
    names = {f.name for f in service.form}
    assert set(result.values) <= names and not set(result.values) & set(result.errors)
    for error in result.errors.values():
        assert isinstance(error, FieldError)
        for language in ("ka", "en", "ru"):
            assert error.text(language)

    again = validate(service.form, result.values, catalog=CATALOG, today=TODAY)
    assert again.values == result.values
    assert not set(again.errors) & set(result.values)

    for definition in service.form:
        if definition.name in result.values:
            for language in ("ka", "en", "ru"):
                shown = display_value(definition, result.values[definition.name], language, CATALOG)
                assert isinstance(shown, str) and shown


@fuzz(300)
@given(st.sampled_from([(s, f) for s in SERVICES for f in s.form]), raw_values)
@example(next((s, f) for s in SERVICES for f in s.form if f.type == "date"), "٠١.٠١.٢٠٢٤")
@example(next((s, f) for s in SERVICES for f in s.form if f.type == "long_text"), "\ud800\r\n x \x1c")
def test_each_field_type_alone(pair: tuple[Any, Any], raw: Any) -> None:
    """One field at a time, so every type of the bundled catalog sees every kind of input."""
    _, definition = pair
    result = validate([definition], {definition.name: raw}, catalog=CATALOG, today=TODAY)
    assert isinstance(result, FormResult)
    if definition.name in result.values:
        value = result.values[definition.name]
        assert validate([definition], {definition.name: value}, catalog=CATALOG, today=TODAY).values == {
            definition.name: value}
        assert isinstance(display_value(definition, value, "ka", CATALOG), str)
    else:
        assert definition.name in result.errors or not definition.required

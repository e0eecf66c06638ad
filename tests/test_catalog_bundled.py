"""The catalog shipped with the kiosk: complete, in three languages, consistent."""

import json
import re
from pathlib import Path

import pytest

from kiosk import catalog as catalog_module
from kiosk.catalog import Catalog, load_bundled, load_bundled_catalog
from kiosk.forms import FIELD_TYPES, keyboard_for

GEORGIAN = re.compile(r"[\u10d0-\u10ff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")

CATEGORY_NAMES_KA = {
    "personal": "პირადი ინფორმაცია", "family": "ოჯახი", "health": "ჯანმრთელობა",
    "social": "სოციალური მომსახურება", "property": "ქონება", "business": "ბიზნესი",
    "taxes": "გადასახადები", "fines": "ჯარიმები", "education": "განათლება",
    "utilities": "კომუნალური გადასახადები",
}
REQUIRED_IDS = {
    "birth-certificate-repeat", "public-information-request", "letter-to-agency",
    "individual-entrepreneur-registration", "fines-pay", "tax-debt-pay", "utility-bill-pay",
    "social-programme-application", "education-document", "property-extract",
}


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_bundled_catalog()


def all_texts(doc: dict) -> list[tuple[str, dict]]:
    """(where, {ka, en, ru}) for every translated text in the document."""
    out = [(f"agency {a['id']}", a["name"]) for a in doc["agencies"]]
    out += [(f"category {c['id']}", c["name"]) for c in doc["categories"]]
    for s in doc["services"]:
        out += [(f"{s['id']}.name", s["name"]), (f"{s['id']}.description", s["description"])]
        for f in s["form"]:
            out.append((f"{s['id']}.{f['name']}.label", f["label"]))
            if "help" in f:
                out.append((f"{s['id']}.{f['name']}.help", f["help"]))
            out += [(f"{s['id']}.{f['name']}={c['value']}", c["label"]) for c in f.get("choices", [])]
    return out


def test_the_ten_categories_of_the_brochure_each_with_services(bundled: Catalog) -> None:
    assert [c.id for c in bundled.categories] == list(CATEGORY_NAMES_KA)
    for category in bundled.categories:
        assert category.name("ka") == CATEGORY_NAMES_KA[category.id]
        assert category.icon
        assert len(bundled.services_in(category.id)) >= 3, category.id


def test_at_least_61_services_including_those_other_parts_rely_on(bundled: Catalog) -> None:
    assert len(bundled.services) >= 61
    assert REQUIRED_IDS <= {s.id for s in bundled.services}
    assert len({s.id for s in bundled.services}) == len(bundled.services)


def test_every_text_in_three_languages_in_the_right_script() -> None:
    doc = load_bundled()
    problems = []
    for where, texts in all_texts(doc):
        if set(texts) != {"ka", "en", "ru"} or not all(t.strip() for t in texts.values()):
            problems.append(f"{where}: missing a language")
            continue
        if not GEORGIAN.search(texts["ka"]):
            problems.append(f"{where}: ka not in Georgian script")
        if not CYRILLIC.search(texts["ru"]):
            problems.append(f"{where}: ru not in Cyrillic")
        if GEORGIAN.search(texts["en"]) or CYRILLIC.search(texts["en"]):
            problems.append(f"{where}: en has Georgian or Cyrillic letters")
        # Latin words in Georgian text are abbreviations only (SMS, PDF, MY.GOV.GE), not
        # untranslated English.
        stray = [w for w in LATIN_WORD.findall(texts["ka"]) if not w.isupper()]
        if stray:
            problems.append(f"{where}: ka has English words {stray}")
    assert not problems, "\n".join(problems[:30])


def test_keywords_in_three_languages_in_the_right_script(bundled: Catalog) -> None:
    for service in bundled.services:
        for lang, script in (("ka", GEORGIAN), ("ru", CYRILLIC)):
            words = service.keywords[lang]
            assert words and all(script.search(w) for w in words), (service.id, lang)
        assert service.keywords["en"], service.id


def test_every_field_is_of_a_known_type_with_a_keyboard_answer(bundled: Catalog) -> None:
    seen_types = set()
    for service in bundled.services:
        for field in service.form:
            assert field.type in FIELD_TYPES
            keyboard_for(field.type)  # raises for an unknown type
            seen_types.add(field.type)
    assert seen_types == set(FIELD_TYPES), "the bundled forms use every field type"


def test_payments_are_online_only_lookups_and_letters_name_an_agency(bundled: Catalog) -> None:
    payments = [s for s in bundled.services if s.kind == "lookup_payment"]
    assert {s.lookup for s in payments} == {"fines", "tax-debt", "utility-bills"}
    assert all(s.mode == "online_only" and not s.queueable for s in payments)
    assert bundled.service("fines-pay").lookup == "fines"
    letters = [s for s in bundled.services if s.kind == "letter"]
    assert {"public-information-request", "letter-to-agency"} <= {s.id for s in letters}
    for letter_id in ("public-information-request", "letter-to-agency"):
        types = [f.type for f in bundled.service(letter_id).form]
        assert "agency" in types and "long_text" in types
    assert bundled.service("birth-certificate-repeat").queueable


def test_non_payment_services_ask_how_to_reach_the_citizen(bundled: Catalog) -> None:
    """A form that makes sense: every application collects a mobile or e-mail for the answer."""
    for service in bundled.services:
        if service.kind == "lookup_payment":
            continue
        assert service.form, service.id
        if service.mode == "queueable":
            assert {"mobile", "email"} & {f.type for f in service.form}, service.id


def test_fees_are_money_strings(bundled: Catalog) -> None:
    fees = [s.fee_gel for s in bundled.services if s.fee_gel]
    assert fees and all(re.fullmatch(r"\d+\.\d{2}", fee) for fee in fees)


def test_document_round_trips_through_the_checked_form(bundled: Catalog) -> None:
    again = Catalog.from_document(bundled.to_document())
    assert again.to_document() == bundled.to_document()
    assert again.version == bundled.version


def test_bundled_json_is_what_the_generator_writes() -> None:
    from tools.catalog_src.__main__ import document

    shipped = json.loads(Path(catalog_module.__file__).with_name("data").joinpath(
        "catalog.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(document())), "run python -m tools.catalog_src"


def test_accessors(bundled: Catalog) -> None:
    service = bundled.service("property-extract")
    assert service.category == "property"
    assert bundled.agency(service.agency).name("en") == "National Agency of Public Registry"
    assert service.name("ru") == "Выписка из Публичного реестра"
    assert service.field("cadastral_code").type == "text"
    with pytest.raises(KeyError):
        bundled.service("no-such-service")
    assert not bundled.has_service("no-such-service")
    assert bundled.category("fines").name("en") == "Fines"

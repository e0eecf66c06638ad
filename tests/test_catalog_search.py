"""Searching the catalog in the citizen's language, by parts of words."""

import pytest

from kiosk.catalog import Catalog, load_bundled_catalog


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_bundled_catalog()


def ids(results) -> list[str]:
    return [s.id for s in results]


@pytest.mark.parametrize(("text", "language", "expected_first"), [
    ("დაბადების მოწმობა", "ka", "birth-certificate-repeat"),
    ("დაბად", "ka", "birth-certificate-repeat"),  # a part of a word
    ("ჯარიმ", "ka", "fines-pay"),
    ("ამონაწერი საჯარო რეესტრიდან", "ka", "property-extract"),
    ("ინდმეწარმე", "ka", "individual-entrepreneur-registration"),
    ("Birth certificate", "en", "birth-certificate-repeat"),
    ("FINES", "en", "fines-pay"),
    ("electricity", "en", "utility-bill-pay"),
    ("public inform", "en", "public-information-request"),
    ("штраф", "ru", "fines-pay"),
    ("СВИДЕТЕЛЬСТВО О РОЖДЕНИИ", "ru", "birth-certificate-repeat"),
    ("налоговой задолж", "ru", "tax-debt-pay"),
    ("счёт", "ru", "meter-reading-submission"),
])
def test_finds_services_by_words_of_the_language(bundled: Catalog, text: str, language: str,
                                                 expected_first: str) -> None:
    found = ids(bundled.search(text, language))
    assert found, f"{text!r} found nothing"
    assert expected_first in found[:3], found[:5]


def test_every_word_must_match(bundled: Catalog) -> None:
    assert ids(bundled.search("birth zebra", "en")) == []


def test_searches_only_the_chosen_language(bundled: Catalog) -> None:
    assert bundled.search("штраф", "en") == []
    assert bundled.search("fines", "ka") == []


def test_name_matches_rank_before_description_matches(bundled: Catalog) -> None:
    found = ids(bundled.search("certificate", "en"))
    assert len(found) > 5
    first = bundled.service(found[0])
    assert "certificate" in first.name("en").lower()


def test_yo_and_ye_are_the_same_letter_for_search(bundled: Catalog) -> None:
    assert ids(bundled.search("счет", "ru")) == ids(bundled.search("счёт", "ru"))


@pytest.mark.parametrize("text", ["", "   ", "!!!", "—"])
def test_empty_queries_find_nothing(bundled: Catalog, text: str) -> None:
    assert bundled.search(text, "ka") == []

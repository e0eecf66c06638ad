"""A catalog document from the network is checked; a bad one raises CatalogError only."""

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.catalog import Catalog, CatalogError, load_bundled

BUNDLED = load_bundled()
DELETE = object()


def small_doc() -> dict:
    """A valid two-category document, small enough to mutate quickly."""
    doc = copy.deepcopy(BUNDLED)
    keep = {"fines-pay", "birth-certificate-repeat", "letter-to-agency"}
    doc["services"] = [s for s in doc["services"] if s["id"] in keep]
    used = {s["category"] for s in doc["services"]}
    doc["categories"] = [c for c in doc["categories"] if c["id"] in used]
    return doc


SMALL = small_doc()


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


ALL_PATHS = paths(SMALL)[1:]


def replaced(node: Any, path: tuple, value: Any) -> Any:
    """``node`` with the value at ``path`` replaced (or deleted); copies only along the path."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copied = dict(node) if isinstance(node, dict) else list(node)
    current = copied.get(head) if isinstance(copied, dict) else copied[head]
    new = replaced(current, rest, value)
    if new is DELETE:
        del copied[head]
    else:
        copied[head] = new
    return copied


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def outcome(document: Any) -> str:
    try:
        Catalog.from_document(document)
    except CatalogError as exc:
        assert str(exc), "a CatalogError says what is wrong"
        return "rejected"
    return "accepted"


def test_the_small_document_is_valid() -> None:
    assert outcome(SMALL) == "accepted"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), value=json_values | st.just(DELETE))
def test_any_mutation_is_accepted_or_raises_catalog_error(path: tuple, value: Any) -> None:
    outcome(replaced(SMALL, path, value))  # any other exception fails the test


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_arbitrary_json_is_rejected_with_catalog_error(document: Any) -> None:
    assert outcome(document) == "rejected"


def service_path(service_id: str, *rest: Any) -> tuple:
    index = next(i for i, s in enumerate(SMALL["services"]) if s["id"] == service_id)
    return ("services", index, *rest)


BIRTH = "birth-certificate-repeat"


@pytest.mark.parametrize(("path", "value", "says"), [
    (("version",), None, "version"),
    (("services",), [], "services"),
    (("categories",), "personal", "categories"),
    (service_path(BIRTH, "category"), "nowhere", "category 'nowhere'"),
    (service_path(BIRTH, "agency"), "cia", "agency 'cia'"),
    (service_path(BIRTH, "id"), "Birth Certificate!", "slug"),
    (service_path(BIRTH, "id"), "fines-pay", "appears twice"),
    (service_path(BIRTH, "mode"), "sometimes", "mode"),
    (service_path(BIRTH, "kind"), "letter-bomb", "kind"),
    (service_path(BIRTH, "lookup"), "fines", "only a lookup_payment"),
    (service_path("fines-pay", "mode"), "queueable", "online_only"),
    (service_path("fines-pay", "lookup"), "parking", "lookup"),
    (service_path(BIRTH, "fee_gel"), "ten lari", "fee_gel"),
    (service_path(BIRTH, "name", "ru"), "", "no ru text"),
    (service_path(BIRTH, "description"), DELETE, "description"),
    (service_path(BIRTH, "keywords", "ka"), "დაბადება", "keywords"),
    (service_path(BIRTH, "form"), {"name": "x"}, "form must be a list"),
    (service_path(BIRTH, "form", 0, "type"), "signature", "not one of"),
    (service_path(BIRTH, "form", 0, "name"), "Whose Name", "identifier"),
    (service_path(BIRTH, "form", 0, "choices"), [], "choices"),
    (service_path(BIRTH, "form", 1, "name"), "whose", "appears twice"),
    (service_path(BIRTH, "form", 3, "max_length"), 0, "max_length"),
    (service_path(BIRTH, "form", 3, "min_length"), 500, "min_length must not be above"),
    (service_path(BIRTH, "form", 4, "max"), "yesterday-ish", "today"),
    (service_path(BIRTH, "form", 0, "required"), "yes", "required"),
    (service_path(BIRTH, "form", 0, "label", "ka"), "ა" * 600, "longer than"),
    (service_path(BIRTH, "description", "en"), "x" * 5000, "longer than"),
    (service_path("letter-to-agency", "form", 0, "agencies"), ["kgb"], "unknown agencies"),
    (("agencies", 0, "name"), {"ka": "სააგენტო", "en": "Agency"}, "no ru text"),
])
def test_bad_documents_name_the_problem(path: tuple, value: Any, says: str) -> None:
    with pytest.raises(CatalogError, match=None) as caught:
        Catalog.from_document(replaced(SMALL, path, value))
    assert says in str(caught.value), str(caught.value)


def test_problem_names_the_service() -> None:
    with pytest.raises(CatalogError, match=r"services\[\d+\] \(birth-certificate-repeat\)"):
        Catalog.from_document(replaced(SMALL, service_path(BIRTH, "mode"), "later"))


def test_a_pattern_that_does_not_compile_is_refused() -> None:
    field = {"name": "code", "type": "text", "label": {"ka": "კ", "en": "c", "ru": "к"},
             "pattern": "([a-z", "example": "ab"}
    doc = replaced(SMALL, service_path(BIRTH, "form", 0), field)
    with pytest.raises(CatalogError, match="does not compile"):
        Catalog.from_document(doc)


def test_a_category_without_services_is_refused() -> None:
    extra = {"id": "empty", "name": {"ka": "ცარიელი", "en": "Empty", "ru": "Пусто"}}
    doc = replaced(SMALL, ("categories",), [*SMALL["categories"], extra])
    with pytest.raises(CatalogError, match="without services: empty"):
        Catalog.from_document(doc)


def test_unknown_keys_are_ignored_and_not_kept() -> None:
    deep: list = []
    for _ in range(5000):  # deeper than json.dumps can write
        deep = [deep]
    doc = replaced(SMALL, ("future_feature",), deep)
    doc = replaced(doc, service_path(BIRTH, "new_key"), {"anything": 1})
    catalog = Catalog.from_document(doc)
    assert "future_feature" not in catalog.to_document()
    assert "new_key" not in catalog.to_document()["services"][0]

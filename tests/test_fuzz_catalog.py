"""Fuzz: catalog documents, beyond what tests/test_catalog_errors.py already covers.

That file mutates one value of a small valid document with shallow JSON and
feeds arbitrary shallow JSON. What is fuzzed here is what it leaves out:

* values nested thousands of levels deep (a hostile or broken portal; also
  as JSON text through the cache file), at any place in the document;
* keys that are not strings (a document not from JSON: ints, None, tuples);
* huge documents: thousands of services, megabyte strings;
* lone surrogates in texts (JSON allows ``"\\ud800"``), through
  `CatalogStore.update`, which must write the document to disk;
* a cache file of any bytes, which `CatalogStore.current` reads at boot.

"Handled" means: `Catalog.from_document` and `CatalogStore.update` return a
`Catalog` or raise `CatalogError`, nothing else; a refused update leaves the
current catalog and the cache file as they were; `CatalogStore.current`
always returns a Catalog (the bundled one when the cache is unusable).
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from kiosk.catalog import CACHE_NAME, Catalog, CatalogError, CatalogStore, load_bundled
from tests.fuzz_profiles import fuzz
from tests.test_catalog_errors import ALL_PATHS, SMALL, replaced

BUNDLED = load_bundled()


def outcome(document: Any) -> Catalog | CatalogError:
    try:
        return Catalog.from_document(document)
    except CatalogError as exc:
        assert str(exc)
        return exc


def nested(depth: int, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        # A tree, as JSON text makes it (one path goes deep), never a shared DAG.
        value = [value] if kind == "list" else {"ka": value, "en": "x", "ru": "x"} if kind == "texts" \
            else {"k": value}
    return value


@fuzz(80)
@given(st.sampled_from(ALL_PATHS), st.integers(1, 5000), st.sampled_from(["list", "dict", "texts"]))
@example(("services", 0, "form", 0, "label"), 4000, "texts")
def test_deeply_nested_values_anywhere(path: tuple, depth: int, kind: str) -> None:
    outcome(replaced(SMALL, path, nested(depth, kind)))


non_string_keys = st.integers() | st.none() | st.booleans() | st.tuples(st.integers()) | st.floats()


@fuzz(100)
@given(st.sampled_from(ALL_PATHS), st.dictionaries(non_string_keys, st.text(max_size=5) | st.none(),
                                                   min_size=1, max_size=3))
def test_non_string_keys_anywhere(path: tuple, value: dict) -> None:
    outcome(replaced(SMALL, path, value))


@fuzz(100)
@given(st.sampled_from(ALL_PATHS), non_string_keys)
def test_a_non_string_key_added_beside_the_known_ones(path: tuple, key: Any) -> None:
    parent = path[:-1]
    document = copy.deepcopy(SMALL)
    node: Any = document
    for step in parent:
        node = node[step]
    if isinstance(node, dict):
        node[key] = "x"
    outcome(document)


def test_huge_documents_are_checked_in_reasonable_time() -> None:
    document = copy.deepcopy(BUNDLED)
    template = document["services"]
    for count, accepted in ((2000, True), (50_000, False)):
        document["services"] = [{**template[i % len(template)], "id": f"svc-{i}"} for i in range(count)]
        started = time.monotonic()
        assert isinstance(outcome(document), Catalog) is accepted
        assert time.monotonic() - started < 20


def test_megabyte_strings_are_refused_not_swallowed() -> None:
    big = "ა" * 1_000_000
    for path in [("services", 0, "name", "ka"), ("services", 0, "form", 0, "label", "en"),
                 ("services", 0, "id"), ("version",)]:
        assert isinstance(outcome(replaced(SMALL, path, big)), CatalogError | Catalog)


surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)

def _get(node: Any, path: tuple) -> Any:
    for step in path:
        node = node[step]
    return node


STRING_PATHS = [p for p in ALL_PATHS if isinstance(_get(SMALL, p), str)]


@fuzz(60)
@given(st.sampled_from(STRING_PATHS), surrogates, st.booleans())
@example(("version",), "\ud800", True)
def test_store_update_with_lone_surrogates_gives_catalog_error(path: tuple, char: str, append: bool) -> None:
    """json.dumps(ensure_ascii=False) kept the surrogate and writing the cache file raised
    UnicodeEncodeError (not a CatalogError) out of update()."""
    document = replaced(SMALL, path, (_get(SMALL, path) + char) if append else char)
    with tempfile.TemporaryDirectory() as folder:
        store = CatalogStore(folder)
        good = store.update(copy.deepcopy(SMALL), "etag-good")
        before = Path(folder, CACHE_NAME).read_bytes()
        try:
            catalog = store.update(document, "etag-new")
        except CatalogError:
            assert store.current() is good and store.etag == "etag-good"
            assert Path(folder, CACHE_NAME).read_bytes() == before
        else:
            assert store.current() is catalog
            # What was written reads back as the same catalog.
            assert CatalogStore(folder).current().to_document() == catalog.to_document()


@fuzz(60)
@given(st.binary(max_size=300)
       | st.integers(1, 100_000).map(lambda n: b'{"etag": "e", "document": ' + b"[" * n)
       | st.integers(1, 100_000).map(lambda n: b'{"etag": "e", "document": ' + b'{"k": ' * n + b"1"
                                     + b"}" * n)
       | st.sampled_from([b'{"etag": 1, "document": {}}', b'{"etag": "e"}', b"[]", b'"x"', b"\xff\xfe",
                          b'{"etag": "\\ud800", "document": null}']))
def test_any_cache_file_falls_back_to_a_catalog(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, CACHE_NAME).write_bytes(data)
        store = CatalogStore(folder)
        assert isinstance(store.current(), Catalog)
        assert store.etag is None or isinstance(store.etag, str)

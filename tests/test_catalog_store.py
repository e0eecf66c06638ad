"""The on-disk catalog cache: last good copy kept, corrupt files survived, atomic writes."""

import copy
import json
import os
from pathlib import Path

import pytest

from kiosk.catalog import CACHE_NAME, CatalogError, CatalogStore, load_bundled

BUNDLED_VERSION = load_bundled()["version"]


def newer_document(version: str = "2099.1") -> dict:
    doc = copy.deepcopy(load_bundled())
    doc["version"] = version
    doc["services"][0]["name"]["en"] = "Repeat birth certificate (new wording)"
    return doc


def test_without_a_cache_the_bundled_catalog_is_current(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    assert store.current().version == BUNDLED_VERSION
    assert store.etag is None, "no ETag: the next fetch asks for the whole document"


def test_update_is_kept_across_restarts(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.update(newer_document(), '"v2099"')
    assert store.current().version == "2099.1"
    assert store.etag == '"v2099"'

    restarted = CatalogStore(tmp_path)
    assert restarted.current().version == "2099.1"
    assert restarted.etag == '"v2099"'
    assert restarted.current().service("birth-certificate-repeat").name("en").endswith(
        "(new wording)")


def test_a_bad_update_keeps_the_last_good_copy(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    store.update(newer_document(), '"good"')
    on_disk = (tmp_path / CACHE_NAME).read_bytes()

    broken = newer_document("2100.1")
    broken["services"][0]["category"] = "nowhere"
    with pytest.raises(CatalogError, match="nowhere"):
        store.update(broken, '"bad"')
    with pytest.raises(CatalogError):
        store.update({"not": "a catalog"}, '"worse"')

    assert store.current().version == "2099.1"
    assert store.etag == '"good"'
    assert (tmp_path / CACHE_NAME).read_bytes() == on_disk
    assert CatalogStore(tmp_path).current().version == "2099.1"


@pytest.mark.parametrize("etag", ["", None, 42])
def test_an_update_needs_an_etag(tmp_path: Path, etag: object) -> None:
    with pytest.raises(CatalogError, match="ETag"):
        CatalogStore(tmp_path).update(newer_document(), etag)  # type: ignore[arg-type]


@pytest.mark.parametrize("content", [
    b"",
    b"\x00\xff\xfe garbage",
    b'{"etag": "x", "document": {"version": "1"',  # cut off mid-write by an old bug
    b'{"etag": "x", "document": {"version": "1", "services": []}}',
    b'{"etag": 7, "document": {}}',
    b'["a list"]',
    b'{"document": {}}',
])
def test_a_corrupt_cache_falls_back_to_the_bundled_catalog(tmp_path: Path, content: bytes,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / CACHE_NAME).write_bytes(content)
    store = CatalogStore(tmp_path)
    assert store.current().version == BUNDLED_VERSION
    assert store.etag is None
    assert "catalog cache unusable" in caplog.text

    store.update(newer_document(), '"fresh"')  # and the next good update replaces it
    assert CatalogStore(tmp_path).current().version == "2099.1"


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path)
    for n in range(3):
        store.update(newer_document(f"2099.{n}"), f'"v{n}"')
    assert sorted(p.name for p in tmp_path.iterdir()) == [CACHE_NAME]
    cached = json.loads((tmp_path / CACHE_NAME).read_text(encoding="utf-8"))
    assert cached["etag"] == '"v2"' and cached["document"]["version"] == "2099.2"


def test_a_failed_write_keeps_the_old_file_and_the_current_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CatalogStore(tmp_path)
    store.update(newer_document(), '"good"')
    before = (tmp_path / CACHE_NAME).read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        store.update(newer_document("2100.1"), '"newer"')
    monkeypatch.undo()

    assert (tmp_path / CACHE_NAME).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [CACHE_NAME]
    assert store.current().version == "2099.1" and store.etag == '"good"'


def test_the_storage_directory_is_created(tmp_path: Path) -> None:
    store = CatalogStore(tmp_path / "not" / "yet")
    store.update(newer_document(), '"v"')
    assert (tmp_path / "not" / "yet" / CACHE_NAME).exists()

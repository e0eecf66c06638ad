"""The service catalog: categories, agencies and services with their forms.

The kiosk ships a catalog (`kiosk/data/catalog.json`) and takes newer ones
from the portal. A document from the network is checked completely before
anything uses it: `Catalog.from_document` raises `CatalogError` (and nothing
else) with a sentence naming what is wrong, and the caller keeps showing the
last good catalog. A citizen must never meet a broken menu because the
portal published a bad file.

`CatalogStore` keeps the last good document on disk beside its ETag, written
atomically, so a power cut during an update leaves the old copy readable.
This module never opens a window or a socket; the portal client fetches and
hands the document over.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.forms import Field, FieldDefinitionError
from kiosk.i18n import in_language
from kiosk.logs import event

MODES = ("queueable", "online_only")
KINDS = ("submission", "lookup_payment", "letter")
LOOKUPS = ("fines", "tax-debt", "utility-bills")
BUNDLED_NAME = "catalog.json"
CACHE_NAME = "catalog-cache.json"

# Bounds that no real catalog comes near; beyond them a document is refused
# rather than letting a runaway file fill memory or the screen.
MAX_SERVICES = 2000
MAX_FIELDS = 60
MAX_TEXT = 4000
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

log = logging.getLogger(__name__)


class CatalogError(ValueError):
    """A catalog document cannot be used; the message says why."""


@dataclass(frozen=True)
class Agency:
    id: str
    names: Mapping[str, str]

    def name(self, language: str) -> str:
        return in_language(self.names, language)


@dataclass(frozen=True)
class Category:
    id: str
    names: Mapping[str, str]
    icon: str

    def name(self, language: str) -> str:
        return in_language(self.names, language)


@dataclass(frozen=True)
class Service:
    id: str
    category: str
    names: Mapping[str, str]
    descriptions: Mapping[str, str]
    agency: str
    mode: str
    kind: str
    form: tuple[Field, ...]
    keywords: Mapping[str, tuple[str, ...]]
    lookup: str | None = None
    fee_gel: str | None = None

    def name(self, language: str) -> str:
        return in_language(self.names, language)

    def description(self, language: str) -> str:
        return in_language(self.descriptions, language)

    @property
    def queueable(self) -> bool:
        """May be stored and forwarded later when the portal cannot be reached."""
        return self.mode == "queueable"

    def field(self, name: str) -> Field:
        for item in self.form:
            if item.name == name:
                return item
        raise KeyError(f"service {self.id} has no field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "category": self.category, "name": dict(self.names),
            "description": dict(self.descriptions), "agency": self.agency,
            "mode": self.mode, "kind": self.kind,
            "keywords": {lang: list(words) for lang, words in self.keywords.items()},
            "form": [f.to_dict() for f in self.form],
        }
        if self.lookup is not None:
            out["lookup"] = self.lookup
        if self.fee_gel is not None:
            out["fee_gel"] = self.fee_gel
        return out


class Catalog:
    """A checked catalog; build one with `from_document` or `load_bundled_catalog`."""

    def __init__(self, version: str, categories: tuple[Category, ...],
                 agencies: tuple[Agency, ...], services: tuple[Service, ...]) -> None:
        self.version = version
        self.categories = categories
        self.agencies = agencies
        self.services = services
        self._services = {s.id: s for s in services}
        self._agencies = {a.id: a for a in agencies}
        self._categories = {c.id: c for c in categories}

    @classmethod
    def from_document(cls, document: Any) -> Catalog:
        """Check ``document`` completely; CatalogError with the reason if it cannot be used."""
        from kiosk.catalog_check import parse_document

        try:
            return parse_document(document, cls)
        except CatalogError:
            raise
        except (FieldDefinitionError, ValueError, TypeError, KeyError, AttributeError,
                RecursionError) as exc:
            # The checks should have named the problem; this is the last fence.
            raise CatalogError(f"the catalog cannot be read: {exc}") from None

    def to_document(self) -> dict[str, Any]:
        """The catalog as a document with known keys only (what the store writes)."""
        return {
            "version": self.version,
            "agencies": [{"id": a.id, "name": dict(a.names)} for a in self.agencies],
            "categories": [{"id": c.id, "name": dict(c.names), "icon": c.icon}
                           for c in self.categories],
            "services": [s.to_dict() for s in self.services],
        }

    def services_in(self, category_id: str) -> list[Service]:
        """The services of a category, in catalog order."""
        return [s for s in self.services if s.category == category_id]

    def service(self, service_id: str) -> Service:
        try:
            return self._services[service_id]
        except KeyError:
            raise KeyError(f"no service {service_id!r} in catalog {self.version}") from None

    def has_service(self, service_id: str) -> bool:
        return service_id in self._services

    def category(self, category_id: str) -> Category:
        try:
            return self._categories[category_id]
        except KeyError:
            raise KeyError(f"no category {category_id!r} in catalog {self.version}") from None

    def agency(self, agency_id: str) -> Agency:
        try:
            return self._agencies[agency_id]
        except KeyError:
            raise KeyError(f"no agency {agency_id!r} in catalog {self.version}") from None

    def agency_or_none(self, agency_id: str) -> Agency | None:
        return self._agencies.get(agency_id)

    def search(self, text: str, language: str) -> list[Service]:
        """Services whose name, description or keywords in ``language`` hold every typed word.

        Case does not matter and words may be typed in part ("დაბად" finds
        "დაბადების"), because a citizen on a touchscreen types as little as
        they can. Name matches come first, then keyword, then description.
        """
        words = _words(text)
        if not words:
            return []
        scored = []
        for position, service in enumerate(self.services):
            score = _score(service, words, language)
            if score:
                scored.append((-score, position, service))
        return [service for _, _, service in sorted(scored, key=lambda t: t[:2])]


def _normalise(text: str) -> str:
    # NFC so composed and decomposed letters match; ё is written е by most people.
    return unicodedata.normalize("NFC", text).casefold().replace("ё", "е")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _normalise(text))


def _score(service: Service, words: list[str], language: str) -> int:
    name = _words(service.name(language))
    keywords = _words(" ".join(service.keywords.get(language, ())))
    description = _words(service.description(language))
    total = 0
    for word in words:
        best = 0
        for weight, haystack in ((6, name), (4, keywords), (2, description)):
            if any(w.startswith(word) for w in haystack):
                best = max(best, weight)
            elif any(word in w for w in haystack):
                best = max(best, weight - 1)
        if not best:
            return 0  # every typed word must match somewhere
        total += best
    return total


def load_bundled() -> dict[str, Any]:
    """The catalog document shipped with the kiosk (a dict, as the portal would send it)."""
    text = resources.files("kiosk").joinpath("data", BUNDLED_NAME).read_text(encoding="utf-8")
    return json.loads(text)


def load_bundled_catalog() -> Catalog:
    return Catalog.from_document(load_bundled())


class CatalogStore:
    """The last good catalog from the portal, cached on disk with its ETag.

    `current()` never fails: a missing, unreadable or invalid cache falls back
    to the bundled catalog (and then `etag` is None, so the next fetch asks
    the portal for the whole document again).
    """

    def __init__(self, storage_dir: str | os.PathLike[str]) -> None:
        self.path = Path(storage_dir) / CACHE_NAME
        self._current: Catalog | None = None
        self._etag: str | None = None

    @property
    def etag(self) -> str | None:
        """The ETag of the cached copy, for If-None-Match; None when on the bundled one."""
        self.current()
        return self._etag

    def current(self) -> Catalog:
        if self._current is None:
            self._current, self._etag = self._read_cache()
        return self._current

    def _read_cache(self) -> tuple[Catalog, str | None]:
        try:
            cached = json.loads(self.path.read_text(encoding="utf-8"))
            etag = cached["etag"]
            if not isinstance(etag, str):
                raise CatalogError("the cached ETag is not a string")
            return Catalog.from_document(cached["document"]), etag
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            # CatalogError and JSONDecodeError are ValueErrors too.
            # A warning: a technician should learn why the kiosk ignores its cache.
            log.warning("catalog cache unusable; using the bundled catalog",
                        extra={"fields": {"path": str(self.path), "reason": str(exc)[:200]}})
        return load_bundled_catalog(), None

    def update(self, document: Any, etag: str) -> Catalog:
        """Check and keep a document fetched from the portal.

        Raises CatalogError if it cannot be used; the current catalog and the
        file on disk stay as they were.
        """
        if not isinstance(etag, str) or not etag or len(etag) > 512:
            raise CatalogError("the ETag must be a non-empty string")
        catalog = Catalog.from_document(document)
        payload = json.dumps({"etag": etag, "document": catalog.to_document()},
                             ensure_ascii=False, indent=1)
        try:
            payload.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800" is valid JSON): not text we can show
            raise CatalogError("the catalog holds text that is not valid unicode") from None
        _write_atomically(self.path, payload)
        self._current, self._etag = catalog, etag
        event(log, "catalog updated", version=catalog.version, services=len(catalog.services))
        return catalog


def _write_atomically(path: Path, text: str) -> None:
    """Temp file, fsync, rename, fsync the directory: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


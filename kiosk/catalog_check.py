"""Checking a catalog document, piece by piece, with sentences a technician can act on.

Kept apart from `kiosk.catalog` so the accessors stay short to read. Every
problem raises `CatalogError` naming where it is (`services[12] (fines-pay):
...`); the caller keeps its last good catalog. Unknown keys are ignored, so
a portal may add new ones without breaking older kiosks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kiosk.catalog import (
    _SLUG,
    KINDS,
    LOOKUPS,
    MAX_FIELDS,
    MAX_SERVICES,
    MAX_TEXT,
    MODES,
    Agency,
    CatalogError,
    Category,
    Service,
)
from kiosk.form_types import parse_amount
from kiosk.forms import Field, FieldDefinitionError
from kiosk.i18n import LANGUAGES, checked_texts

if TYPE_CHECKING:
    from kiosk.catalog import Catalog


def _texts(value: Any, where: str) -> dict[str, str]:
    return checked_texts(value, where, CatalogError, MAX_TEXT)


def _slug(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 80 or not _SLUG.fullmatch(value):
        raise CatalogError(f"{where} must be a lower-case slug like fines-pay, not {value!r:.60}")
    return value


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if not isinstance(value, list) or not value:
        raise CatalogError(f"'{key}' must be a non-empty list")
    return value


def _objects(items: list[Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, object) per item, each with a unique slug id."""
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise CatalogError(f"{key}[{i}] must be an object")
        ident = _slug(item.get("id"), f"{key}[{i}].id")
        if ident in seen:
            raise CatalogError(f"{key}[{i}]: id {ident!r} appears twice")
        seen.add(ident)
        out.append((f"{key}[{i}] ({ident})", item))
    return out


def _keywords(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {lang: () for lang in LANGUAGES}
    if not isinstance(value, Mapping):
        raise CatalogError(f"{where}.keywords must be an object of word lists per language")
    out = {}
    for lang in LANGUAGES:
        words = value.get(lang, [])
        if not isinstance(words, list) or not all(
                isinstance(w, str) and 0 < len(w) <= 100 for w in words):
            raise CatalogError(f"{where}.keywords.{lang} must be a list of short words")
        out[lang] = tuple(words)
    return out


def _form(value: Any, where: str, agencies: set[str]) -> tuple[Field, ...]:
    if not isinstance(value, list):
        raise CatalogError(f"{where}.form must be a list of fields")
    if len(value) > MAX_FIELDS:
        raise CatalogError(f"{where}.form has more than {MAX_FIELDS} fields")
    fields: list[Field] = []
    for i, item in enumerate(value):
        try:
            field = Field.from_dict(item)
        except FieldDefinitionError as exc:
            raise CatalogError(f"{where}.form[{i}]: {exc}") from None
        if any(f.name == field.name for f in fields):
            raise CatalogError(f"{where}.form[{i}]: field name {field.name!r} appears twice")
        unknown = set(field.rules.get("agencies", ())) - agencies
        if unknown:
            raise CatalogError(f"{where}.form[{i}]: unknown agencies {sorted(unknown)}")
        fields.append(field)
    return tuple(fields)


def _service(where: str, item: Mapping[str, Any], categories: set[str],
             agencies: set[str]) -> Service:
    category = item.get("category")
    if category not in categories:
        raise CatalogError(f"{where}: category {category!r:.60} is not in 'categories'")
    agency = item.get("agency")
    if agency not in agencies:
        raise CatalogError(f"{where}: agency {agency!r:.60} is not in 'agencies'")
    mode, kind, lookup = item.get("mode"), item.get("kind"), item.get("lookup")
    if mode not in MODES:
        raise CatalogError(f"{where}: mode must be one of {', '.join(MODES)}")
    if kind not in KINDS:
        raise CatalogError(f"{where}: kind must be one of {', '.join(KINDS)}")
    if kind == "lookup_payment":
        if lookup not in LOOKUPS:
            raise CatalogError(f"{where}: a lookup_payment needs lookup, one of {', '.join(LOOKUPS)}")
        if mode != "online_only":
            # A payment cannot be promised offline: the debt may already be paid.
            raise CatalogError(f"{where}: a lookup_payment must be online_only")
    elif lookup is not None:
        raise CatalogError(f"{where}: only a lookup_payment has a lookup")
    fee = item.get("fee_gel")
    if fee is not None:
        amount = parse_amount(fee) if isinstance(fee, str) else None
        if amount is None:
            raise CatalogError(f"{where}: fee_gel must be a string like \"10.00\"")
        fee = str(amount)
    return Service(
        id=item["id"], category=category, agency=agency, mode=mode, kind=kind,
        names=_texts(item.get("name"), f"{where}.name"),
        descriptions=_texts(item.get("description"), f"{where}.description"),
        keywords=_keywords(item.get("keywords"), where),
        form=_form(item.get("form"), where, agencies),
        lookup=lookup, fee_gel=fee,
    )


def parse_document(document: Any, catalog_class: type[Catalog]) -> Catalog:
    """A `Catalog` from ``document``, or CatalogError naming the first problem."""
    if not isinstance(document, Mapping):
        raise CatalogError("the catalog must be a JSON object")
    version = document.get("version")
    if not isinstance(version, (str, int)) or isinstance(version, bool) or not str(version):
        raise CatalogError("'version' must be a non-empty string")
    agencies = tuple(Agency(item["id"], _texts(item.get("name"), f"{where}.name"))
                     for where, item in _objects(_list(document, "agencies"), "agencies"))
    categories = []
    for where, item in _objects(_list(document, "categories"), "categories"):
        icon = item.get("icon", "")
        if not isinstance(icon, str) or len(icon) > 60:
            raise CatalogError(f"{where}.icon must be a short icon name")
        categories.append(Category(item["id"], _texts(item.get("name"), f"{where}.name"), icon))
    services_raw = _list(document, "services")
    if len(services_raw) > MAX_SERVICES:
        raise CatalogError(f"more than {MAX_SERVICES} services")
    category_ids = {c.id for c in categories}
    agency_ids = {a.id for a in agencies}
    services = tuple(_service(where, item, category_ids, agency_ids)
                     for where, item in _objects(services_raw, "services"))
    empty = [c.id for c in categories if not any(s.category == c.id for s in services)]
    if empty:
        raise CatalogError(f"categories without services: {', '.join(empty)}")
    return catalog_class(str(version), tuple(categories), agencies, services)

"""The portal's frequently asked questions and contact details, from its brochure.

The help screen shows these to a citizen who is unsure what the kiosk can do
or how to log in; the contact details are printed exactly as the brochure
gives them, so what a citizen reads here matches the leaflet on the counter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kiosk.i18n import checked_texts, in_language


class FaqError(ValueError):
    """The bundled FAQ file is not usable (a packaging mistake, caught by the tests)."""


@dataclass(frozen=True)
class FaqItem:
    id: str
    questions: Mapping[str, str]
    answers: Mapping[str, str]

    def question(self, language: str) -> str:
        return in_language(self.questions, language)

    def answer(self, language: str) -> str:
        return in_language(self.answers, language)


@dataclass(frozen=True)
class Faq:
    items: tuple[FaqItem, ...]
    phone: str
    email: str
    web: str


def _texts(value: Any, where: str) -> dict[str, str]:
    return checked_texts(value, where, FaqError)


def from_document(document: Any) -> Faq:
    """A checked `Faq` from the JSON document; FaqError names what is missing."""
    if not isinstance(document, Mapping):
        raise FaqError("the FAQ must be a JSON object")
    contact = document.get("contact")
    if not isinstance(contact, Mapping) or not all(
            isinstance(contact.get(k), str) and contact[k] for k in ("phone", "email", "web")):
        raise FaqError("contact needs phone, email and web")
    raw_items = document.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise FaqError("items must be a non-empty list")
    items = []
    for i, item in enumerate(raw_items):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            raise FaqError(f"items[{i}] needs an id")
        items.append(FaqItem(item["id"], _texts(item.get("question"), f"items[{i}].question"),
                             _texts(item.get("answer"), f"items[{i}].answer")))
    return Faq(tuple(items), contact["phone"], contact["email"], contact["web"])


def load_bundled() -> Faq:
    """The FAQ shipped with the kiosk (`kiosk/data/faq.json`)."""
    text = resources.files("kiosk").joinpath("data", "faq.json").read_text(encoding="utf-8")
    return from_document(json.loads(text))

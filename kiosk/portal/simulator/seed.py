"""What the simulated portal knows before anyone logs in.

Unpaid items are derived from the personal number alone, so the same
citizen sees the same fines, debts and bills in every test run, on every
machine, without a fixture file; tests can compute what to expect.
"""

from __future__ import annotations

import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

LOOKUP_KINDS = ("fines", "tax-debt", "utility-bills")

# Payments above this total are declined, as a card issuer's limit would.
DEFAULT_PAYMENT_LIMIT_GEL = Decimal("1000.00")

# Password accounts (my.gov.ge has had username + password since 2013).
# Passwords are stored as scrypt hashes even here, so the simulator shows
# the shape a real credential store has.
SEEDED_USERS: tuple[tuple[str, str, str], ...] = (
    ("demo", "demo-1234", "01001012345"),
)

# Citizens known before their first card login; others are created from
# the certificate subject. date_of_birth is not on the card.
SEEDED_CITIZENS: dict[str, dict[str, Any]] = {
    "01001012345": {
        "given_name": "ნინო",
        "surname": "ბერიძე",
        "date_of_birth": "1985-03-14",
    },
}

_FINE_KINDS = (
    ("საჩქარე რეჟიმის დარღვევა", "Speeding", "შსს საპატრულო პოლიცია"),
    ("პარკირების წესების დარღვევა", "Parking violation", "თბილისის მერია"),
    ("უსაფრთხოების ღვედის გამოუყენებლობა", "Seat belt not used", "შსს საპატრულო პოლიცია"),
)
_PROVIDERS = (
    ("თელასი", "Telasi", "electricity"),
    ("ჯორჯიან უოთერ ენდ ფაუერი", "Georgian Water and Power", "water"),
    ("თბილისი ენერჯი", "Tbilisi Energy", "gas"),
    ("დასუფთავება", "Sanitation", "waste"),
)


def _rng(personal_number: str, kind: str) -> random.Random:
    seed = hashlib.sha256(f"{personal_number}/{kind}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _money(rng: random.Random, low: int, high: int) -> str:
    return str(Decimal(rng.randint(low * 100, high * 100)) / 100)


def items_for(personal_number: str) -> list[dict[str, Any]]:
    """Every unpaid item the portal holds for this citizen, across the three kinds."""
    items: list[dict[str, Any]] = []
    rng = _rng(personal_number, "fines")
    for n in range(rng.randint(1, 3)):
        desc_ka, desc_en, issuer = rng.choice(_FINE_KINDS)
        items.append({
            "kind": "fines", "id": f"F-{personal_number[-4:]}-{n + 1}",
            "description": desc_ka, "description_en": desc_en, "issuer": issuer,
            "amount_gel": _money(rng, 10, 200),
            "due_date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "protocol_number": f"GP{rng.randint(10**7, 10**8 - 1)}",
        })
    rng = _rng(personal_number, "tax-debt")
    # Every third citizen owes more than the payment limit, so a decline can be shown.
    high = 1600 if int(personal_number[-1]) % 3 == 2 else 600
    items.append({
        "kind": "tax-debt", "id": f"T-{personal_number[-4:]}-1",
        "description": "ქონების გადასახადი", "description_en": "Property tax",
        "issuer": "შემოსავლების სამსახური", "amount_gel": _money(rng, 40, high),
        "due_date": f"2025-{rng.randint(1, 12):02d}-15",
    })
    rng = _rng(personal_number, "utility-bills")
    for n, (name_ka, name_en, utility) in enumerate(rng.sample(_PROVIDERS, 2)):
        items.append({
            "kind": "utility-bills", "id": f"U-{personal_number[-4:]}-{n + 1}",
            "description": f"{name_ka}: {utility}", "description_en": f"{name_en}: {utility}",
            "issuer": name_ka, "amount_gel": _money(rng, 5, 120),
            "account_number": f"{rng.randint(10**9, 10**10 - 1)}",
        })
    return items


PLACEHOLDER_CATALOG: dict[str, Any] = {
    "version": "placeholder-1",
    "categories": [
        {"id": "letters", "title": {"ka": "წერილები", "en": "Letters", "ru": "Письма"}},
    ],
    "services": [
        {
            "id": "letter-to-agency", "category": "letters", "kind": "letter",
            "title": {"ka": "წერილი უწყებას", "en": "Letter to an agency",
                      "ru": "Письмо в ведомство"},
            "fields": [],
        },
    ],
}


def load_catalog() -> dict[str, Any]:
    """The bundled catalog when its owner has built it, else a small placeholder."""
    try:
        from kiosk import catalog  # built by the catalog part; may not exist yet

        return catalog.load_bundled()
    except (ImportError, AttributeError, FileNotFoundError):
        pass
    path = Path(__file__).resolve().parents[2] / "data" / "catalog.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return PLACEHOLDER_CATALOG


def letter_service_ids(catalog: dict[str, Any]) -> set[str]:
    """Services answered by an agency later: their status moves to `answered`."""
    return {
        s["id"] for s in catalog.get("services", [])
        if isinstance(s, dict) and "id" in s
        and (s.get("kind") == "letter" or str(s["id"]).startswith("letter"))
    }

"""Card profiles: what differs between eID card generations, kept as data.

The Georgian card's AIDs, file identifiers, PIN reference and padding are
not public (see docs and research/eid-card.md), so they must not be baked
into code where a wrong guess needs a release to fix. Each generation is a
JSON file in ``devices/profiles/``, chosen by ATR; values that are guesses
are listed under ``"unconfirmed"`` so a technician with a real card knows
what to check first. A new generation is one JSON file (plus at most one
card class if its flow differs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"


class ProfileError(ValueError):
    """A profile file is missing a key or has a value of the wrong shape."""


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.replace(" ", ""))


@dataclass(frozen=True)
class CardProfile:
    """One card generation's constants; built from a JSON file by `load_profile`."""

    name: str
    family: str
    description: str
    atr: bytes
    atr_mask: bytes | None
    cla: int
    select_mf_first: bool
    main_aid: bytes
    auth_cert_path: bytes
    auth_aid: bytes | None
    pin_reference: int
    pin_min_length: int
    pin_max_length: int
    pin_pad_byte: int
    pin_pad_length: int
    max_pin_tries: int
    key_reference: int
    algorithm_id: int
    max_read_chunk: int
    get_data_cla: int
    test_only: bool = False
    unconfirmed: tuple[str, ...] = ()
    test_quirks: dict[str, Any] = field(default_factory=dict)

    def matches(self, atr: bytes) -> bool:
        """Whether a card's ATR is this generation's (under the mask, if any)."""
        if len(atr) != len(self.atr):
            return False
        mask = self.atr_mask or b"\xff" * len(self.atr)
        return all((a & m) == (b & m) for a, b, m in zip(atr, self.atr, mask, strict=True))


def profile_from_dict(raw: dict[str, Any], source: str = "") -> CardProfile:
    """Build a profile, naming the file and key when something is wrong."""
    try:
        return CardProfile(
            name=raw["name"],
            family=raw["family"],
            description=raw.get("description", ""),
            atr=_hex(raw["atr"]),
            atr_mask=_hex(raw["atr_mask"]) if raw.get("atr_mask") else None,
            cla=int(raw.get("cla", "00"), 16),
            select_mf_first=bool(raw.get("select_mf_first", False)),
            main_aid=_hex(raw["main_aid"]),
            auth_cert_path=_hex(raw["auth_cert_path"]),
            auth_aid=_hex(raw["auth_aid"]) if raw.get("auth_aid") else None,
            pin_reference=int(raw["pin_reference"], 16),
            pin_min_length=int(raw["pin_length"]["min"]),
            pin_max_length=int(raw["pin_length"]["max"]),
            pin_pad_byte=int(raw["pin_padding"]["byte"], 16),
            pin_pad_length=int(raw["pin_padding"]["length"]),
            max_pin_tries=int(raw.get("max_pin_tries", 3)),
            key_reference=int(raw["key_reference"], 16),
            algorithm_id=int(raw["algorithm_id"], 16),
            max_read_chunk=int(raw["max_read_chunk"]),
            get_data_cla=int(raw.get("get_data_cla", "00"), 16),
            test_only=bool(raw.get("test_only", False)),
            unconfirmed=tuple(raw.get("unconfirmed", ())),
            test_quirks=dict(raw.get("test_quirks", {})),
        )
    except KeyError as exc:
        raise ProfileError(f"card profile {source or raw.get('name', '?')}: missing key {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise ProfileError(f"card profile {source or raw.get('name', '?')}: {exc}") from exc


def load_profile(path: Path) -> CardProfile:
    return profile_from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))


@cache
def all_profiles() -> tuple[CardProfile, ...]:
    """Every shipped profile, read once (sorted by file name for a stable order)."""
    return tuple(load_profile(p) for p in sorted(PROFILE_DIR.glob("*.json")))


def profile_named(name: str) -> CardProfile:
    for profile in all_profiles():
        if profile.name == name:
            return profile
    known = ", ".join(p.name for p in all_profiles())
    raise ProfileError(f"no card profile named {name!r} (known: {known})")


def profile_for_atr(atr: bytes) -> CardProfile | None:
    """The profile whose ATR matches, or None for a card the kiosk does not know."""
    for profile in all_profiles():
        if profile.matches(atr):
            return profile
    return None

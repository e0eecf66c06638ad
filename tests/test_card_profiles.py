"""The shipped card profiles against the research notes they were written from.

The Georgian ATRs are the only public facts in those profiles, so they must
equal what docs/research recorded; everything else is a guess, and a guess
must be listed under ``unconfirmed`` by a key that really exists, so a
technician with a real card knows what to check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devices.eid.profiles import PROFILE_DIR, all_profiles

RESEARCH = Path("/work/shared/research/eid-card.md")
# Copied from the notes (from the public pcsc-tools smartcard list), so the check
# also runs where the notes are not mounted; the next test keeps the two equal.
RESEARCHED_ATRS = [
    bytes.fromhex("3B FD 18 00 00 81 31 FE 45 80 31 81 53 47 45 31 73 84 21 C0 81 07 2E"),
    bytes.fromhex("3B DC 96 FF 81 11 FE 47 65 6F 72 67 69 61 45 49 44 76 31 84"),
]
# Values the profile states as facts (the ATR) or bookkeeping, never guesses.
NOT_GUESSES = {"name", "family", "description", "atr", "atr_mask", "unconfirmed",
               "unconfirmed_source", "test_only", "test_quirks"}


def research_atrs() -> list[bytes]:
    if not RESEARCH.exists():
        pytest.skip(f"{RESEARCH} is not on this machine")
    found = re.findall(r"`(3B(?: [0-9A-F]{2})+)`", RESEARCH.read_text(encoding="utf-8"))
    return [bytes.fromhex(atr) for atr in found]


def georgian_profiles() -> list[tuple[str, dict]]:
    raws = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(PROFILE_DIR.glob("*.json"))]
    return [(name, raw) for name, raw in raws if not raw.get("test_only")]


def test_georgian_atrs_are_the_researched_ones():
    shipped = [p.atr for p in all_profiles() if not p.test_only]
    assert sorted(shipped) == sorted(RESEARCHED_ATRS)


def test_this_file_s_atrs_are_still_the_research_notes_ones():
    assert sorted(research_atrs()) == sorted(RESEARCHED_ATRS)


def test_only_the_virtual_card_is_test_only():
    assert [p.name for p in all_profiles() if p.test_only] == ["virtual"]
    assert {p.name for p in all_profiles() if not p.test_only} == {"geo-2011", "geo-new"}


@pytest.mark.parametrize(("file_name", "raw"), georgian_profiles())
def test_georgian_profile_lists_its_guesses_by_real_keys(file_name, raw):
    unconfirmed = raw.get("unconfirmed", [])
    assert unconfirmed, f"{file_name}: nothing marked unconfirmed, yet no APDU spec is public"
    missing = [key for key in unconfirmed if key not in raw]
    assert not missing, f"{file_name}: unconfirmed names keys the profile lacks: {missing}"
    assert not set(unconfirmed) & NOT_GUESSES, f"{file_name}: a fact or bookkeeping key marked unconfirmed"
    assert len(set(unconfirmed)) == len(unconfirmed)
    # The secret-ish constants that no public source gives must all be among the guesses.
    for key in ("main_aid", "auth_cert_path", "pin_reference", "key_reference"):
        assert key in unconfirmed, f"{file_name}: {key} is not public, so it is a guess"
    assert raw.get("unconfirmed_source"), f"{file_name}: say where the guesses come from"

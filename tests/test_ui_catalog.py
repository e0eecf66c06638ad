"""Every string the screens show is in a catalog, translated to Georgian and Russian (no window needed).

Each part keeps its own gettext domain (shell.po, services.po, demo.po...),
and the kiosk chains them all, so a string may live in any of them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kiosk.i18n import all_msgids, translate

SCREENS = Path(__file__).resolve().parent.parent / "screens"
# tr("...") in .kv rules; N_("...") in Python. Both use Python string literals.
KV_MSGID = re.compile(r'\btr\(\s*("(?:[^"\\]|\\.)*")')
FIELD = re.compile(r"\{(\w+)\}")


def shell_msgids() -> set[str]:
    found: set[str] = set()
    for kv in SCREENS.glob("*.kv"):
        found |= {ast.literal_eval(m) for m in KV_MSGID.findall(kv.read_text(encoding="utf-8"))}
    for py in SCREENS.glob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_"
                    and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def catalog(lang: str) -> dict[str, str]:
    """msgid -> what the kiosk shows in ``lang``, for every msgid any domain declares.

    English msgids may leave msgstr empty: the msgid itself is then shown.
    """
    return {msgid: translate(lang, msgid) for _, msgid in all_msgids(lang)}


def test_the_scan_finds_the_shell_strings() -> None:
    msgids = shell_msgids()
    assert {"Welcome", "Enter your PIN", "Your PIN is blocked", "Continue"} <= msgids
    assert len(msgids) > 40


@pytest.mark.parametrize("lang", ["ka", "ru", "en"])
def test_every_shell_string_is_translated(lang: str) -> None:
    messages = catalog(lang)
    missing = sorted(shell_msgids() - messages.keys())
    assert missing == [], f"not in any {lang} catalog: {missing}"
    script = {"ka": r"[\u10A0-\u10FF]", "ru": r"[\u0400-\u04FF]", "en": r"[A-Za-z]"}[lang]
    for msgid in shell_msgids():
        text = messages[msgid]
        assert re.search(script, text), f"{lang}: {msgid!r} -> {text!r}"
        # A {field} lost or misspelt in translation would crash or show a hole.
        assert sorted(FIELD.findall(text)) == sorted(FIELD.findall(msgid)), (lang, msgid, text)
        if lang != "en":
            assert text != msgid, f"{lang}: {msgid!r} is left in English"

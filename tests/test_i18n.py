"""gettext catalogs: .po parsing, .mo compiling, chained domains, coverage."""

import gettext
import io
import re

from kiosk import i18n

GEORGIAN = re.compile(r"[\u10a0-\u10ff\u1c90-\u1cbf]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def test_po_round_trip_through_mo() -> None:
    po = ('msgid "Hello"\nmsgstr "გამარჯობა"\n\n#, fuzzy\nmsgid "Draft"\nmsgstr "Черновик"\n\n'
          'msgid "Two"\nmsgstr ""\n"line one "\n"line two"\n')
    messages = i18n.parse_po(po)
    assert messages == {"Hello": "გამარჯობა", "Two": "line one line two"}, "fuzzy entries are left out"
    catalog = gettext.GNUTranslations(io.BytesIO(i18n.compile_mo(messages)))
    assert catalog.gettext("Hello") == "გამარჯობა"
    assert catalog.gettext("Missing") == "Missing"


def test_translator_switches_and_tells_listeners() -> None:
    translator = i18n.Translator("ka")
    heard = []
    translator.subscribe(heard.append)
    translator.set_language("ru")
    translator.set_language("ru")
    assert heard == ["ru"]


def test_every_msgid_is_translated_in_georgian_and_russian() -> None:
    """Every citizen-facing string has ka and ru translations in the right script."""
    i18n.reset_cache()
    msgids = {msgid for _, msgid in i18n.all_msgids("en")} | {m for _, m in i18n.all_msgids("ka")}
    missing = []
    for msgid in sorted(msgids):
        ka, ru = i18n.translate("ka", msgid), i18n.translate("ru", msgid)
        letters = re.sub(r"\{[^}]*\}|[^A-Za-z]", "", msgid)
        if not letters:
            continue  # numbers, symbols, placeholders only
        if ka == msgid or not GEORGIAN.search(ka):
            missing.append(f"ka: {msgid!r}")
        if ru == msgid or not CYRILLIC.search(ru):
            missing.append(f"ru: {msgid!r}")
    assert not missing, "untranslated: " + "; ".join(missing[:20])


def test_placeholders_survive_translation() -> None:
    i18n.reset_cache()
    for lang in ("ka", "ru"):
        for _, msgid in i18n.all_msgids(lang):
            fields = set(re.findall(r"\{(\w+)\}", msgid))
            assert fields == set(re.findall(r"\{(\w+)\}", i18n.translate(lang, msgid))), (lang, msgid)

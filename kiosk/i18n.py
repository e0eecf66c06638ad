"""Translations: gettext catalogs in Georgian, English and Russian.

Every citizen-facing string goes through gettext. The msgid is the English
text, so a missing translation still shows something a person can read. Each
part of the kiosk keeps its own domain (`kiosk/locale/<lang>/LC_MESSAGES/
<domain>.po`), so the shell, the login screens, the services and receipts
can be translated and reviewed apart; at run time all domains are chained
into one catalog per language.

`.po` files are the source; `python -m kiosk.i18n compile` writes the `.mo`
files beside them (the Makefile runs it). Where the package directory is
read-only and a `.mo` is missing or stale, the catalog is compiled in memory,
so a kiosk never shows raw msgids because a build step was skipped.
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ka", "en", "ru")
# Each language's name in itself: the language buttons show these.
NATIVE_NAMES = {"ka": "ქართული", "en": "English", "ru": "Русский"}


def parse_po(text: str, keep_untranslated: bool = False) -> dict[str, str]:
    """msgid -> msgstr of a .po file; fuzzy entries are left out, and so are
    untranslated ones unless ``keep_untranslated`` (then they map to "")."""
    messages: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    target: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if (value or keep_untranslated) and not fuzzy:
                messages[key] = value
        msgid = msgstr = None
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            fuzzy = True
        elif line.startswith("msgid "):
            if msgid is not None:  # entries not separated by a blank line
                flush()
            msgid = [ast.literal_eval(line[6:])]
            target = msgid
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            target = msgstr
        elif line.startswith('"') and target is not None:
            target.append(ast.literal_eval(line))
        elif not line:
            flush()
    flush()
    return messages


def compile_mo(messages: dict[str, str]) -> bytes:
    """GNU .mo bytes for ``messages`` (the format gettext.GNUTranslations reads)."""
    messages = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(messages)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(messages[k].encode() + b"\0" for k in keys)
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    ids_start = strs_table + count * 8
    strs_start = ids_start + len(ids)
    id_entries, str_entries = [], []
    offset = 0
    for k in keys:
        length = len(k.encode())
        id_entries.append((length, ids_start + offset))
        offset += length + 1
    offset = 0
    for k in keys:
        length = len(messages[k].encode())
        str_entries.append((length, strs_start + offset))
        offset += length + 1
    out = io.BytesIO()
    out.write(struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0))
    for length, start in id_entries + str_entries:
        out.write(struct.pack("<2I", length, start))
    out.write(ids)
    out.write(strs)
    return out.getvalue()


_HEADER = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def po_files(lang: str, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted((locale_dir / lang / "LC_MESSAGES").glob("*.po"))


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write a .mo beside every .po that is newer than its .mo; returns those written."""
    written = []
    for lang in LANGUAGES:
        for po in po_files(lang, locale_dir):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            messages = parse_po(_HEADER + po.read_text(encoding="utf-8"))
            mo.write_bytes(compile_mo(messages))
            written.append(mo)
    return written


def _domain_catalog(po: Path) -> gettext.NullTranslations:
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    messages = parse_po(_HEADER + po.read_text(encoding="utf-8"))
    return gettext.GNUTranslations(io.BytesIO(compile_mo(messages)))


_cache: dict[str, gettext.NullTranslations] = {}
_cache_lock = threading.Lock()


def catalog(lang: str) -> gettext.NullTranslations:
    """All domains of ``lang`` chained into one catalog (cached)."""
    with _cache_lock:
        if lang not in _cache:
            chained: gettext.NullTranslations = gettext.NullTranslations()
            for po in po_files(lang):
                domain = _domain_catalog(po)
                domain.add_fallback(chained)
                chained = domain
            _cache[lang] = chained
        return _cache[lang]


def reset_cache() -> None:
    with _cache_lock:
        _cache.clear()


def translate(lang: str, message: str, **values: object) -> str:
    """``message`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = catalog(lang).gettext(message)
    return text.format(**values) if values else text


def checked_texts(value: Any, where: str, error: type[Exception],
                  max_length: int | None = None) -> dict[str, str]:
    """A document's ``{"ka", "en", "ru"}`` texts, each present and non-empty, or ``error``.

    The catalog, the forms and the FAQ all carry their own texts in the three
    languages; one check keeps their rules (and messages) the same.
    """
    if not isinstance(value, Mapping):
        raise error(f"{where} must be an object with ka, en and ru texts")
    out = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise error(f"{where} has no {lang} text")
        if max_length is not None and len(text) > max_length:
            raise error(f"{where} {lang} text is longer than {max_length} characters")
        out[lang] = text
    return out


def in_language(texts: Mapping[str, str], language: str) -> str:
    """The text in ``language``, else the Georgian source text (documents may lack one)."""
    return texts.get(language) or texts.get("ka") or next(iter(texts.values()), "")


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; translated where shown."""
    return message


class Translator:
    """The visit's current language, with listeners told when it changes.

    The core owns it; screens subscribe and re-read their texts. Changing
    the language never touches personal data, so it is safe at any state.
    """

    def __init__(self, language: str = "ka", languages: tuple[str, ...] = LANGUAGES) -> None:
        if language not in languages:
            raise ValueError(f"{language!r} is not one of {languages}")
        self.languages = languages
        self.language = language
        self._listeners: list[Callable[[str], None]] = []

    def __call__(self, message: str, **values: object) -> str:
        return translate(self.language, message, **values)

    def set_language(self, language: str) -> None:
        if language not in self.languages:
            raise ValueError(f"{language!r} is not one of {self.languages}")
        if language != self.language:
            self.language = language
            for listener in list(self._listeners):
                listener(language)

    def subscribe(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)


def all_msgids(lang: str = "en") -> Iterator[tuple[Path, str]]:
    """Every msgid of every domain, translated or not (for tests that check coverage)."""
    for po in po_files(lang):
        for msgid in parse_po(_HEADER + po.read_text(encoding="utf-8"), keep_untranslated=True):
            if msgid:
                yield po, msgid


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["compile"]:
        for mo in compile_all():
            print(f"compiled {mo.relative_to(LOCALE_DIR.parent)}")
        return 0
    print("usage: python -m kiosk.i18n compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

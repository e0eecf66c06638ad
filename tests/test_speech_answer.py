"""The voice guide reads what the service screens and a letter's answer show, in the right voices.

Core-level, no window: kiosk/speech_texts.py decides what is said (the
printer note of the service form and confirm screen; a letter's answer as
parts, each in the voice of its own language), and kiosk/speech.py's
`VoiceGuide.say_parts` says the parts one after another through real
espeak-ng, logged by tests/espeak_log.py's wrapper (arguments and text).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from kiosk.i18n import translate
from kiosk.speech import VoiceGuide
from kiosk.speech_texts import (
    PRINTER_NOTE,
    READER_MISSING,
    READER_MISSING_OFFLINE,
    SCREENS,
    answer_reading,
    screen_instructions,
    written_in,
)
from tests.espeak_log import logging_espeak_env
from tests.test_speech import LONG, recorder, wait_for

ANSWER = ("თქვენი წერილი (MG-20261125-0E389967) განხილულია. საბუთების ასლები გამოგზავნილია "
          "თქვენს ელფოსტაზე.")
SUBJECT = "ჩემი საბუთების ასლები"


@pytest.mark.parametrize("language", ["ka", "en", "ru"])
def test_the_attract_screen_says_the_reader_is_not_working_rather_than_ask_for_a_card(language: str) -> None:
    missing, card = translate(language, READER_MISSING), translate(language, SCREENS["attract"])
    assert missing != READER_MISSING or language == "en"  # translated, not the English fallback
    said = screen_instructions("attract", language, reader_missing=True)
    assert said.startswith(missing) and card not in said
    assert screen_instructions("attract", language).startswith(card)
    # Offline the password login does not work either: only another kiosk or the counter.
    offline = screen_instructions("attract", language, reader_missing=True, online=False)
    assert offline.startswith(translate(language, READER_MISSING_OFFLINE)) and offline != said
    # Only the attract screen: in a visit the card is already in.
    assert screen_instructions("pin", language, reader_missing=True) == screen_instructions("pin", language)


@pytest.mark.parametrize("language", ["ka", "en", "ru"])
def test_the_form_and_confirm_screen_say_the_printer_note_while_the_printer_is_down(language: str) -> None:
    note = translate(language, PRINTER_NOTE)
    assert note != PRINTER_NOTE or language == "en"  # translated, not the English fallback
    for screen in ("service", "confirm"):
        said = screen_instructions(screen, language, printer_ready=False)
        assert said.startswith(screen_instructions(screen, language)) and said.endswith(note)
        assert note not in screen_instructions(screen, language, printer_ready=True)
        assert note not in screen_instructions(screen, language)  # unknown: nothing claimed
    # A refused confirm keeps its reason first, the note after it.
    refused = screen_instructions("confirm", language, "disk_full", printer_ready=False)
    assert refused.index(translate(language, "Your request was not sent.")) < refused.index(note)
    for screen in ("home", "result", "category"):  # no receipt-note on these screens
        assert note not in screen_instructions(screen, language, printer_ready=False)


def test_each_part_of_an_answer_is_read_in_the_voice_of_its_own_language() -> None:
    assert written_in(ANSWER, "en") == "ka"  # the reference's Latin letters do not make it English
    assert written_in("Ваше письмо рассмотрено.", "ka") == "ru"
    assert written_in("Your letter was answered.", "ka") == "en"
    assert written_in("25.11.2026", "ru") == "ru"

    parts = answer_reading("en", "National Agency of Public Registry", SUBJECT, "25.11.2026", ANSWER)
    assert [lang for lang, _text in parts] == ["en", "ka", "en", "ka", "en"]
    assert parts[0][1] == "The answer to your letter. From: National Agency of Public Registry. Subject:"
    assert parts[1] == ("ka", SUBJECT)  # the citizen's own words, in the Georgian voice
    assert parts[2][1] == "Date: 25.11.2026. The answer, as the agency wrote it:"
    assert parts[3] == ("ka", ANSWER)  # the agency's text as it came, in the Georgian voice
    assert "Back to my page" in parts[4][1]

    # A Georgian listener hears one Georgian utterance; an English subject gets the English voice.
    georgian = answer_reading("ka", "საჯარო რეესტრის ეროვნული სააგენტო", SUBJECT, "25.11.2026", ANSWER)
    assert [lang for lang, _text in georgian] == ["ka"] and ANSWER in georgian[0][1]
    russian = answer_reading("ru", "Агентство", "Copies of my papers", "", ANSWER)
    assert [lang for lang, _text in russian] == ["ru", "en", "ru", "ka", "ru"]
    assert translate("ru", "The answer to your letter.") in russian[0][1]
    assert not any("{" in text for _lang, text in georgian + russian)


@pytest.fixture
def logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """espeak-ng on PATH is the logging wrapper; returns its log."""
    log = tmp_path / "espeak.log"
    for name, value in logging_espeak_env(tmp_path, log, tmp_path / "wav").items():
        monkeypatch.setenv(name, value)
    assert shutil.which("espeak-ng") == str(tmp_path / "bin" / "espeak-ng")
    return log


def said(log: Path) -> list[tuple[str, str]]:
    """(voice, text) of each utterance espeak-ng was given, in order."""
    found = []
    for line in log.read_text(encoding="utf-8").splitlines() if log.exists() else []:
        args, text = line.split("\t", 1)
        argv = args.split()
        found.append((argv[argv.index("-v") + 1], text))
    return found


def sink(directory: Path) -> list[str]:
    """A headset that takes each WAV stream as fast as it comes (one file per part)."""
    directory.mkdir()
    return ["sh", "-c", 'cat > "$0/$$.wav"', str(directory)]


def test_the_guide_says_the_parts_in_order_each_with_its_voice(tmp_path: Path, logged: Path) -> None:
    guide = VoiceGuide("en", player=sink(tmp_path / "heard"))
    parts = answer_reading("en", "Public Registry", SUBJECT, "25.11.2026", ANSWER)
    guide.say_parts(parts)
    wait_for(lambda: len(said(logged)) == len(parts) and not guide.speaking, timeout=60)
    assert said(logged) == parts
    heard = list((tmp_path / "heard").iterdir())
    assert len(heard) == len(parts) and all(f.stat().st_size > 8000 for f in heard)  # each part reached it
    guide.repeat()  # the help key: the same parts, the same voices
    wait_for(lambda: len(said(logged)) == 2 * len(parts) and not guide.speaking, timeout=60)
    assert said(logged)[len(parts):] == parts


def test_a_stopped_answer_does_not_go_on_with_its_next_part(tmp_path: Path, logged: Path) -> None:
    guide = VoiceGuide("en", player=recorder(tmp_path / "heard"))
    guide.say_parts([("en", LONG), ("ka", ANSWER), ("en", "End.")])
    wait_for(lambda: len(said(logged)) == 1)
    first = guide.current_processes()
    guide.stop()
    assert all(p.poll() is not None for p in first)
    time.sleep(1.0)  # time enough for a next part to start, were it going to
    assert [voice for voice, _text in said(logged)] == ["en"] and not guide.speaking
    guide.say_parts([("en", LONG), ("ka", ANSWER)])
    wait_for(lambda: len(said(logged)) == 2)
    guide.say("Something else.")  # a new utterance cuts it off too
    wait_for(lambda: not guide.speaking, timeout=30)
    assert [voice for voice, _text in said(logged)] == ["en", "en", "en"]
    guide.reset()  # the visit ends: nothing of the answer is left to repeat
    assert guide.last_text == "" and ANSWER not in repr(vars(guide))

"""Every screen's spoken instructions, in every language, really come out of espeak-ng as speech.

For each screen state (and each error reason) the text is rendered to a WAV
with the guide's own settings and measured: long enough to be a sentence,
loud enough to be heard. The Georgian voice must read Georgian itself, not
fall back to English letter names.
"""

from __future__ import annotations

import array
import math
import operator
import re
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from kiosk.session import State
from kiosk.speech import VOICES, VoiceGuide, screen_instructions
from kiosk.speech_texts import ERROR_TEXTS, REASON_PREFIXES

GEORGIAN = re.compile(r"[\u10a0-\u10ff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# 16-bit samples: quiet room noise in a WAV is < 50; espeak speech is thousands.
MIN_RMS = 800
MIN_SECONDS = 0.5

CASES: list[tuple[str, str | None]] = [(state.value, None) for state in State]
CASES += [("error", reason) for reason in ERROR_TEXTS] + [("error", "something_new")]
CASES += [(screen, reason) for screen, reason in REASON_PREFIXES]
CASES += [("confirm", "disk_full"), ("confirm", "payment_rejected"), ("help_overlay", None)]


def read_wav(path: Path) -> tuple[array.array, int]:
    """16-bit mono samples and the sample rate of a WAV file."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        samples = array.array("h", wav.readframes(wav.getnframes()))
        return samples, wav.getframerate()


def rms(samples: array.array) -> float:
    return math.sqrt(sum(map(operator.mul, samples, samples)) / len(samples)) if samples else 0.0


def voiced_rms(samples: array.array, rate: int) -> float:
    """RMS over 20 ms windows that are not silence (speech has pauses between words)."""
    step = rate // 50
    windows = [rms(samples[i:i + step]) for i in range(0, len(samples) - step, step)]
    loud = [w for w in windows if w > 100]
    return sum(loud) / len(loud) if loud else 0.0


@pytest.fixture(scope="module")
def espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.fail("espeak-ng is not installed (Debian package espeak-ng; `make test` installs it)")
    return path


@pytest.mark.parametrize("language", ["ka", "en", "ru"])
@pytest.mark.parametrize(("screen", "reason"), CASES, ids=[f"{s}-{r}" for s, r in CASES])
def test_instructions_are_spoken_aloud(espeak: str, tmp_path: Path, language: str, screen: str,
                                       reason: str | None) -> None:
    text = screen_instructions(screen, language, reason, tries_left=2)
    assert len(text) > 20, text
    if language == "ka":
        assert GEORGIAN.search(text) and not CYRILLIC.search(text), text
    elif language == "ru":
        assert CYRILLIC.search(text) and not GEORGIAN.search(text), text
    else:
        assert not GEORGIAN.search(text) and not CYRILLIC.search(text), text
    samples, rate = read_wav(VoiceGuide(language, player=None).render(text, tmp_path / "say.wav"))
    seconds = len(samples) / rate
    assert seconds > MIN_SECONDS, (seconds, text)
    assert rms(samples) > MIN_RMS / 3 and voiced_rms(samples, rate) > MIN_RMS, (rms(samples), text)


def test_the_pin_screen_says_tries_left_and_a_wrong_pin(espeak: str) -> None:
    first = screen_instructions("pin", "en", None, tries_left=3)
    again = screen_instructions("pin", "en", "wrong_pin", tries_left=2)
    assert first.endswith("Tries remaining: 3.")
    assert again.startswith("The PIN was wrong. Tries remaining: 2.")
    assert "Осталось попыток: 2." in screen_instructions("pin", "ru", "wrong_pin", tries_left=2)


@pytest.mark.parametrize("language", ["ka", "ru"])
def test_each_voice_reads_its_own_script(espeak: str, tmp_path: Path, language: str) -> None:
    """The ka/ru voice pronounces the text itself: espeak-ng marks a switch to English as "(en)"."""
    text = screen_instructions("attract", language)
    phonemes = subprocess.run([espeak, "-v", VOICES[language], "-q", "-x", text], capture_output=True,
                              text=True, check=True).stdout
    assert phonemes.strip() and "(en)" not in phonemes, phonemes[:300]
    own, _ = read_wav(VoiceGuide(language, player=None).render(text, tmp_path / "own.wav"))
    english, _ = read_wav(VoiceGuide("en", player=None).render(screen_instructions("attract", "en"),
                                                                tmp_path / "en.wav"))
    assert own != english
    # Different words, different lengths: not the same recording in another voice.
    assert abs(len(own) - len(english)) > 0.05 * len(english)

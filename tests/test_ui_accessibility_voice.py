"""The voice guide through the real window: speech per screen, PIN tones, volume, focus navigation.

The kiosk runs with ``KIOSK_SPEECH_WAV_DIR`` (screens/voice.py): the guide's
player writes every utterance and tone as a WAV file instead of playing it,
and espeak-ng is found through a wrapper on PATH that appends each text and
its arguments to a log before running the real espeak-ng. So the test hears
what a headset would get, and sees every text that reached the speech engine.
"""

from __future__ import annotations

import array
import math
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from kiosk.i18n import translate
from kiosk.speech import DEFAULT_VOLUME, VOLUME_AMPLITUDES, screen_instructions, warning_instructions
from tests.espeak_log import logging_espeak_env
from tests.xvfb import run_kiosk

pytestmark = pytest.mark.ui


class Ears:
    """The WAV folder and the espeak-ng log of one kiosk."""

    def __init__(self, root: Path) -> None:
        self.wav_dir, self.log = root / "wav", root / "espeak.log"
        self.seen: set[str] = set()

    def env(self, root: Path) -> dict[str, str]:
        return logging_espeak_env(root, self.log, self.wav_dir)

    def spoken(self) -> list[tuple[str, str]]:
        """(espeak arguments, text) of every call so far."""
        if not self.log.exists():
            return []
        return [tuple(line.split("\t", 1)) for line in self.log.read_text().splitlines() if "\t" in line]

    def new_wavs(self, kind: str, timeout_s: float = 10) -> list[tuple[float, float]]:
        """Waits for new complete WAVs of ``kind`` ("speech" or "tone"): (seconds, rms) of each."""
        deadline = time.monotonic() + timeout_s
        found: list[tuple[float, float]] = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.1)
            for path in sorted(self.wav_dir.glob("*.wav")) if self.wav_dir.exists() else []:
                if path.name in self.seen:
                    continue
                self.seen.add(path.name)
                seconds, level = measure(path)
                if (seconds < 0.2) == (kind == "tone"):
                    found.append((seconds, level))
        return found


def measure(path: Path) -> tuple[float, float]:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(10**9))
    level = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return len(samples) / rate, level


def expect_speech(ears: Ears, text: str) -> None:
    """``text`` reached espeak-ng and a non-silent WAV of speech came out."""
    deadline = time.monotonic() + 10
    while not any(t == text for _, t in ears.spoken()):
        assert time.monotonic() < deadline, f"never spoken: {text!r}; spoken: {ears.spoken()[-3:]}"
        time.sleep(0.1)
    wavs = ears.new_wavs("speech")
    assert wavs and all(seconds > 0.5 and level > 200 for seconds, level in wavs), wavs


@pytest.fixture
def voice_kiosk(xvfb_display: str, tmp_path: Path) -> Any:
    ears = Ears(tmp_path)
    with run_kiosk(xvfb_display, tmp_path / "kiosk", extra_env=ears.env(tmp_path)) as kiosk:
        yield kiosk, ears


def test_each_screen_is_spoken_in_each_language_and_pin_digits_are_tones(voice_kiosk: Any) -> None:
    kiosk, ears = voice_kiosk
    assert "a11y-next" not in kiosk.texts()  # the navigation row shows only while the guide is on
    kiosk.tap("voice-guide")
    guide_on = translate("ka", "Voice guide on.")
    expect_speech(ears, f"{guide_on} {screen_instructions('attract', 'ka')}")
    assert {"a11y-previous", "a11y-next", "a11y-activate", "a11y-repeat", "a11y-volume-down",
            "a11y-volume-up"} <= kiosk.texts().keys()
    for lang in ("en", "ru", "ka"):
        kiosk.tap(f"lang-{lang}")
        expect_speech(ears, screen_instructions("attract", lang))
    kiosk.tap("help")
    kiosk.wait(overlay="help_overlay")
    expect_speech(ears, screen_instructions("help_overlay", "ka"))
    kiosk.tap("help-close")
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    expect_speech(ears, screen_instructions("pin", "ka", tries_left=3))
    calls = len(ears.spoken())
    kiosk.ok({"cmd": "type", "id": "pin-input", "text": "1234"})
    tones = []
    deadline = time.monotonic() + 10
    while len(tones) < 1 and time.monotonic() < deadline:
        tones += ears.new_wavs("tone", timeout_s=1)
    # Each key cuts the tone before it, so at least the last one is whole; a tone, never speech.
    assert tones and all(0.05 < seconds < 0.2 and level > 1000 for seconds, level in tones), tones
    assert len(ears.spoken()) == calls, "a PIN key reached espeak-ng"
    assert not any(d in text for _, text in ears.spoken()[calls:] for d in "1234")
    kiosk.tap("pin-ok")
    kiosk.wait(screen="home")
    expect_speech(ears, screen_instructions("home", "ka"))


def test_focus_navigation_reaches_and_presses_a_button_and_volume_resets(voice_kiosk: Any) -> None:
    kiosk, ears = voice_kiosk
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    kiosk.tap("voice-guide")
    kiosk.tap("a11y-volume-up")
    kiosk.tap("a11y-volume-up")
    loud = str(VOLUME_AMPLITUDES[DEFAULT_VOLUME + 2])
    cancel = translate("ka", "Button: {text}", text=translate("ka", "Cancel and take my card"))
    for _ in range(6):  # pin-input, pin-clear, pin-cancel (OK is disabled, digit keys are never in the ring)
        kiosk.tap("a11y-next")
        time.sleep(0.2)
        if ears.spoken() and ears.spoken()[-1][1] == cancel:
            break
    args, text = ears.spoken()[-1]
    assert text == cancel and f"-a {loud}" in args, ears.spoken()[-3:]
    said = [t for _, t in ears.spoken()].count(cancel)
    kiosk.tap("a11y-repeat")
    deadline = time.monotonic() + 5
    while [t for _, t in ears.spoken()].count(cancel) == said:
        assert time.monotonic() < deadline, "repeat said nothing"
        time.sleep(0.1)
    kiosk.tap("a11y-activate")  # a real touch on "Cancel": the visit ends
    kiosk.wait(screen="attract")
    time.sleep(0.5)
    assert "a11y-next" not in kiosk.texts(), "the guide is off again for the next citizen"
    kiosk.tap("voice-guide")
    ended = screen_instructions("attract", "ka", "cancelled")  # says why the last visit ended
    expect_speech(ears, f"{translate('ka', 'Voice guide on.')} {ended}")
    assert f"-a {VOLUME_AMPLITUDES[DEFAULT_VOLUME]} " in ears.spoken()[-1][0] + " ", "volume back to default"


def test_the_idle_warning_is_spoken(xvfb_display: str, tmp_path: Path) -> None:
    ears = Ears(tmp_path)
    with run_kiosk(xvfb_display, tmp_path / "kiosk", clock_speed=5, idle_timeout_s=30, idle_warning_s=20,
                   extra_env=ears.env(tmp_path)) as kiosk:
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")
        kiosk.tap("voice-guide")
        kiosk.wait(overlay="idle_warning", timeout_s=10)
        deadline = time.monotonic() + 10
        starts = warning_instructions(20, True, "ka").split("20")[0]
        while not any(t.startswith(starts) for _, t in ears.spoken()):
            assert time.monotonic() < deadline, ears.spoken()[-3:]
            time.sleep(0.1)

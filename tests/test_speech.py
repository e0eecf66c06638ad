"""The voice guide's behaviour: interruptible speech, PIN tones, volume, focus ring, silence without espeak.

Speech goes through real espeak-ng processes into a stand-in headset: a
small player that consumes the WAV stream at real-time speed (as aplay
would) and records what it was given, one file per player process.
"""

from __future__ import annotations

import array
import inspect
import logging
import math
import os
import sys
import time
import wave
from pathlib import Path

import pytest

from kiosk import speech
from kiosk.speech import DEFAULT_VOLUME, VOLUME_AMPLITUDES, FocusRing, VoiceGuide, describe_control, tone_wav
from tests.test_speech_render import read_wav, rms

# A player that reads a WAV stream from stdin at the pace a sound card would
# (22050 Hz, 16-bit mono = 44100 bytes/s) and keeps what it got in <dir>/<pid>.wav.
RECORDER = r"""
import os, sys, time
out = open(os.path.join(sys.argv[1], f"{os.getpid()}.wav"), "wb")
start, total = time.monotonic(), 0
while True:
    chunk = sys.stdin.buffer.read1(882)
    if not chunk:
        break
    out.write(chunk); out.flush()
    total += len(chunk)
    time.sleep(max(0.0, total / 44100 - (time.monotonic() - start)))
"""
LONG = ("This is a long sentence for the headset, read slowly, so that it is still playing when the "
        "citizen presses another key and the guide has to stop talking at once. ") * 3


def recorder(directory: Path) -> list[str]:
    directory.mkdir(exist_ok=True)
    return [sys.executable, "-c", RECORDER, str(directory)]


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def recording(directory: Path, proc) -> Path:
    return directory / f"{proc.pid}.wav"


def pcm(path: Path) -> array.array:
    """The samples of a recorded stream (its 44-byte WAV header skipped)."""
    data = path.read_bytes()[44:]
    return array.array("h", data[: len(data) // 2 * 2])


def test_a_new_utterance_kills_the_one_playing(tmp_path: Path) -> None:
    heard = tmp_path / "heard"
    guide = VoiceGuide("en", player=recorder(heard))
    full = len(read_wav(guide.render(LONG, tmp_path / "full.wav"))[0])
    guide.say(LONG)
    first = guide.current_processes()
    assert len(first) == 2 and guide.speaking  # espeak-ng piped into the player
    espeak_proc, player = first
    wait_for(lambda: recording(heard, player).exists() and recording(heard, player).stat().st_size > 30000)
    guide.say("Second.")
    # Gone at once, not merely asked to stop: both processes have exited and were reaped.
    assert espeak_proc.poll() is not None and player.poll() is not None
    assert not Path(f"/proc/{player.pid}").exists() or player.returncode is not None
    # Cut off mid-sentence: far less than the whole utterance reached the headset.
    assert len(pcm(recording(heard, player))) < full / 2
    second = guide.current_processes()[1]
    wait_for(lambda: not guide.speaking)
    assert rms(pcm(recording(heard, second))) > 300 and guide.last_text == "Second."


def test_stop_silences_and_repeat_says_it_again(tmp_path: Path) -> None:
    heard = tmp_path / "heard"
    guide = VoiceGuide("ka", player=recorder(heard))
    guide.say("გამარჯობა")
    wait_for(lambda: not guide.speaking)
    guide.repeat()
    again = guide.current_processes()
    assert again and guide.last_text == "გამარჯობა"
    wait_for(lambda: not guide.speaking)
    files = sorted(heard.iterdir())
    assert len(files) == 2 and files[0].read_bytes()[44:] == files[1].read_bytes()[44:]
    guide.say(LONG)
    procs = guide.current_processes()
    guide.stop()
    assert not guide.speaking and all(p.poll() is not None for p in procs)


def test_pin_key_is_a_tone_of_one_frequency_not_speech(tmp_path: Path, monkeypatch) -> None:
    # No espeak-ng on PATH at all: the tone still plays, so it cannot be speech.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    heard = tmp_path / "heard"
    guide = VoiceGuide("ka", player=recorder(heard))
    assert not guide.available
    assert list(inspect.signature(guide.pin_feedback).parameters) == []  # it is never told the digit
    guide.pin_feedback()
    player = guide.current_processes()[0]
    wait_for(lambda: player.poll() is not None)
    samples = pcm(recording(heard, player))
    rate = 22050
    assert 0.05 < len(samples) / rate < 0.2
    # Zero crossings: a pure 880 Hz tone crosses zero 2 x 880 times a second.
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if (a < 0) != (b < 0))
    assert abs(crossings / (len(samples) / rate) - 2 * 880) < 80
    # A DFT: nearly all the energy is at 880 Hz, none in the speech band around it.
    def power(freq: float) -> float:
        re_ = sum(s * math.cos(2 * math.pi * freq * i / rate) for i, s in enumerate(samples))
        im = sum(s * math.sin(2 * math.pi * freq * i / rate) for i, s in enumerate(samples))
        return re_ * re_ + im * im
    peak = power(880)
    assert all(power(f) < peak / 100 for f in (200, 300, 500, 1500, 2500, 3500))


def test_tone_follows_the_volume_and_is_a_valid_wav(tmp_path: Path) -> None:
    quiet, loud = tone_wav(amplitude=VOLUME_AMPLITUDES[0]), tone_wav(amplitude=VOLUME_AMPLITUDES[-1])
    for name, data in (("quiet", quiet), ("loud", loud)):
        (tmp_path / f"{name}.wav").write_bytes(data)
    with wave.open(str(tmp_path / "loud.wav")) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
    assert rms(read_wav(tmp_path / "loud.wav")[0]) > 4 * rms(read_wav(tmp_path / "quiet.wav")[0])


def test_a_pin_key_interrupts_speech(tmp_path: Path) -> None:
    guide = VoiceGuide("en", player=recorder(tmp_path / "heard"))
    guide.say(LONG)
    talking = guide.current_processes()
    guide.pin_feedback()
    assert all(p.poll() is not None for p in talking)


def test_volume_steps_are_bounded_and_reset_after_a_visit(tmp_path: Path) -> None:
    guide = VoiceGuide("ka", player=None)
    quiet = rms(read_wav(guide.render("გამარჯობა, მობრძანდით", tmp_path / "a.wav"))[0])
    for _ in range(20):
        guide.volume_up()
    assert guide.volume == len(VOLUME_AMPLITUDES) - 1 and guide.volume_db() == pytest.approx(65.0)
    loud = rms(read_wav(guide.render("გამარჯობა, მობრძანდით", tmp_path / "b.wav"))[0])
    assert loud > 2 * quiet  # the steps really change what espeak-ng produces
    guide.set_language("ru")
    guide.say("Привет")
    guide.reset()
    after = (guide.volume, guide.language, guide.last_text, guide.speaking)
    assert after == (DEFAULT_VOLUME, "ka", "", False)
    for _ in range(20):
        guide.volume_down()
    assert guide.volume == 0 and 40 < guide.volume_db() < 50 and guide.amplitude > 0


def test_missing_espeak_degrades_to_silence_with_one_warning(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither espeak-ng nor any player
    caplog.set_level(logging.WARNING, logger="kiosk.speech")
    guide = VoiceGuide("ka")
    for _ in range(3):
        guide.say("გამარჯობა")
        guide.say_screen("attract")
    guide.repeat()
    guide.volume_up()
    guide.stop()
    guide.reset()
    assert not guide.available and not guide.speaking and guide.current_processes() == []
    warnings = [r.getMessage() for r in caplog.records if "espeak" in r.getMessage()]
    assert len(warnings) == 1, caplog.records


def test_missing_player_keeps_pin_tones_silent_with_one_warning(tmp_path: Path, monkeypatch,
                                                               caplog) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    caplog.set_level(logging.WARNING, logger="kiosk.speech")
    guide = VoiceGuide("ka")
    for _ in range(4):
        guide.pin_feedback()
    assert len([r for r in caplog.records if "tone" in r.getMessage()]) == 1


def test_pin_never_reaches_the_speech_command(tmp_path: Path, monkeypatch) -> None:
    started: list[list[str]] = []
    real = speech.subprocess.Popen

    def spy(argv, *args, **kwargs):
        started.append(list(argv))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(speech.subprocess, "Popen", spy)
    guide = VoiceGuide("en", player=recorder(tmp_path / "heard"))
    guide.say_screen("pin", tries_left=3)
    for _ in range(4):
        guide.pin_feedback()
    guide.stop()
    speech_argv = [a for a in started if "espeak" in os.path.basename(a[0])]
    assert len(speech_argv) == 1 and not any(ch.isdigit() for ch in speech_argv[0][-1])
    assert len(started) == 2 + 4  # espeak + player, then one player per tone


WIDGETS = [
    {"id": "help", "kind": "button", "text": "Help", "enabled": True, "rect": [80, 1800, 920, 90]},
    {"id": "lang-ru", "kind": "button", "text": "Русский", "enabled": True, "rect": [700, 1500, 300, 80]},
    {"id": "welcome", "kind": "label", "text": "Welcome", "enabled": True, "rect": [80, 200, 920, 80]},
    {"id": "lang-ka", "kind": "button", "text": "ქართული", "enabled": True, "rect": [80, 1502, 300, 76]},
    {"id": "pin-5", "kind": "button", "text": "5", "enabled": True, "rect": [80, 1300, 300, 90]},
    {"id": "lang-en", "kind": "button", "text": "English", "enabled": True, "rect": [390, 1498, 300, 84]},
    {"id": "pin-ok", "kind": "button", "text": "OK", "enabled": False, "rect": [80, 1400, 300, 90]},
    {"id": "password-login", "kind": "button", "text": "Log in", "enabled": True,
     "rect": [80, 1650, 920, 90]},
]


def test_focus_ring_reads_rows_left_to_right_and_wraps() -> None:
    ring = FocusRing(WIDGETS)
    order = ["lang-ka", "lang-en", "lang-ru", "password-login", "help"]
    assert [w["id"] for w in ring.controls] == order  # no label, no disabled key, no PIN digit
    assert ring.activate() is None
    assert [ring.next()["id"] for _ in range(6)] == order + ["lang-ka"]
    assert ring.activate() == "lang-ka"
    assert ring.previous()["id"] == "help"  # wraps backwards too
    fresh = FocusRing(WIDGETS)
    assert fresh.previous()["id"] == "help"
    # A redraw keeps the focus where it was; a control that vanished drops it.
    ring.update(list(reversed(WIDGETS)))
    assert ring.activate() == "help"
    ring.update(WIDGETS[1:])
    assert ring.current is None and ring.next()["id"] == "lang-ka"
    assert FocusRing([]).next() is None


def test_controls_are_described_by_kind_and_text_never_a_pin_digit() -> None:
    english = WIDGETS[5]
    assert describe_control(english) == "Button: English"
    assert describe_control(english, "ka") == "ღილაკი: English"
    assert describe_control(english, "ru") == "Кнопка: English"
    assert describe_control(WIDGETS[6]) == "Button: OK, not available now"
    assert describe_control(WIDGETS[4]) == "Number key"
    pin = {"id": "pin-input", "kind": "input", "text": "••", "length": 2, "enabled": True,
           "rect": [0, 0, 1, 1]}
    assert describe_control(pin) == "PIN field: 2 of 4 digits entered"
    assert describe_control(WIDGETS[2]) == "Welcome"

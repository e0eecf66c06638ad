"""The voice guide's physical keys, pressed for real: X key events into the kiosk window.

A kiosk's navigation keypad beside the headset jack (EN 301 549 closed
functionality, ADA §707 tactile keys) is an ordinary USB keyboard to the
system. These tests send real key events with xdotool to the kiosk under
Xvfb (as tests/test_ui_shell.py does for Esc and Alt+F4), so they go through
SDL, Kivy's ``Window.on_keyboard`` and screens/voice.py exactly as a
keypad's would; the automation socket is used only to look, to insert the
pretend card and to tap the on-screen "Voice guide" button.

Which control has the focus is heard, not seen in the ``state`` answer: the
guide names each control it moves to (``describe_control``). espeak-ng is
found through a wrapper on PATH that logs each text and its arguments
(``-a`` is the volume) before running the real one, and the WAVs it makes go
to a folder (``KIOSK_SPEECH_WAV_DIR``), never to a sound card. The yellow
focus frame is checked in a screenshot too.
"""

from __future__ import annotations

import re
import subprocess
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kiosk.focus_ring import INTERACTIVE, PIN_DIGIT, describe_control, reading_order
from kiosk.i18n import translate
from kiosk.speech import DEFAULT_VOLUME, VOLUME_AMPLITUDES
from tests.espeak_log import logging_espeak_env
from tests.secret_search import holds_secret
from tests.xvfb import KioskUnderTest, run_kiosk

pytestmark = pytest.mark.ui

# Controls outside the screen, which the focus ring does not walk: the
# accessibility bar (it has its own keys) and the demo strip of the pretend kiosk.
NOT_IN_RING = re.compile(r"^(voice-guide|a11y-.*|demo-.*)$")
GUIDE_ON = translate("ka", "Voice guide on.")
FRAME_YELLOW = (255, 221, 0)  # screens/voice.py FocusFrame's inner line
# Key codes of the keypad's digits (Kivy's numpad0..numpad9): never to be logged.
DIGIT_KEY_CODES = re.compile(r"\bkey=(25[6-9]|26[0-5])\b")


class Speech:
    """Every text the kiosk sent to espeak-ng, with its arguments."""

    def __init__(self, root: Path) -> None:
        self.log, self.wav_dir = root / "espeak.log", root / "wav"
        self.env = logging_espeak_env(root, self.log, self.wav_dir)

    def said(self) -> list[tuple[str, str]]:
        """(espeak arguments, text) of every utterance so far, oldest first."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [(args, text) for args, _, text in (line.partition("\t") for line in lines)]

    def wait(self, since: int, want: Callable[[str], bool], what: str,
             timeout_s: float = 5) -> tuple[str, str]:
        """The first utterance after the first ``since`` ones for which ``want(text)`` holds."""
        deadline = time.monotonic() + timeout_s
        while True:
            for args, text in self.said()[since:]:
                if want(text):
                    return args, text
            assert time.monotonic() < deadline, f"never said: {what}; said since: {self.said()[since:]}"
            time.sleep(0.05)


class Keypad:
    """Real key presses into the kiosk window (XTEST, through xdotool)."""

    def __init__(self, display: str) -> None:
        self.env = {"DISPLAY": display, "PATH": "/usr/bin:/bin"}
        # No window manager gives focus: the window under the pointer gets the keys.
        subprocess.run(["xdotool", "mousemove", "540", "300"], env=self.env, check=True)

    def press(self, *keys: str) -> None:
        subprocess.run(["xdotool", "key", "--delay", "60", *keys], env=self.env, check=True)


class Rig:
    """One kiosk window, its keypad and what its guide said."""

    def __init__(self, kiosk: KioskUnderTest, keys: Keypad, speech: Speech) -> None:
        self.kiosk, self.keys, self.speech = kiosk, keys, speech

    def press_and_hear(self, key: str, text: str, volume: int | None = None) -> str:
        """Press ``key``; the guide's next utterance is exactly ``text`` (at ``volume``'s amplitude)."""
        since = len(self.speech.said())
        self.keys.press(key)
        args, said = self.speech.wait(since, lambda _t: True, f"{text!r} after {key}")
        assert said == text, f"after {key}: said {said!r}, wanted {text!r}"
        if volume is not None:
            assert f"-a {VOLUME_AMPLITUDES[volume]} " in args + " ", f"after {key}: {args}"
        return args

    def guide_on(self) -> bool:
        return "a11y-next" in self.kiosk.texts()  # the bar's navigation row shows only while on

    def wait_guide(self, on: bool) -> None:
        deadline = time.monotonic() + 5
        while self.guide_on() != on:
            assert time.monotonic() < deadline, f"the voice guide did not turn {'on' if on else 'off'}"
            time.sleep(0.05)

    def tap_guide_on(self) -> None:
        since = len(self.speech.said())
        self.kiosk.tap("voice-guide")
        self.speech.wait(since, lambda t: t.startswith(GUIDE_ON), "voice guide on")

    def pin(self) -> dict[str, Any]:
        return next(w for w in self.kiosk.state()["widgets"] if w["id"] == "pin-input")


@pytest.fixture
def rig(xvfb_display: str, tmp_path: Path) -> Iterator[Rig]:
    """A fresh kiosk at its attract screen (it starts in under a second) with its keypad and ears."""
    speech = Speech(tmp_path)
    with run_kiosk(xvfb_display, tmp_path / "kiosk", extra_env=speech.env) as kiosk:
        yield Rig(kiosk, Keypad(xvfb_display), speech)


def ring_controls(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The screen's controls in reading order: what next/previous must walk (kiosk.speech.FocusRing)."""
    return reading_order(
        w for w in state["widgets"]
        if w["kind"] in INTERACTIVE and w["enabled"] and not PIN_DIGIT.match(w["id"])
        and not NOT_IN_RING.match(w["id"]))


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def frame_around(rig: Rig, rect: list[int], tmp_path: Path) -> bool:
    """Whether the yellow focus frame is drawn around ``rect`` (top-left [x, y, w, h]) on the screen."""
    shot = rig.kiosk.ok({"cmd": "screenshot", "path": str(tmp_path / f"focus-{time.monotonic_ns()}.png")})
    x, y, w, h = rect
    with Image.open(shot["path"]) as image:
        rgb = image.convert("RGB")
        edges = [(x - 6, y + h // 2), (x + w + 6, y + h // 2), (x + w // 2, y - 6), (x + w // 2, y + h + 6)]
        near = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        return all(any(rgb.getpixel((ex + dx, ey + dy)) == FRAME_YELLOW for dx, dy in near)
                   for ex, ey in edges)


def test_next_and_previous_keys_walk_the_attract_screen_in_order_wrap_and_enter_presses(
        rig: Rig, tmp_path: Path) -> None:
    kiosk = rig.kiosk
    rig.tap_guide_on()
    controls = ring_controls(kiosk.state())
    ids = [w["id"] for w in controls]
    assert {"lang-ka", "lang-en", "lang-ru", "help"} <= set(ids), ids
    names = [describe_control(w, "ka") for w in controls]
    assert len(set(names)) == len(names), f"two controls sound alike, so cannot be told apart: {names}"
    count = len(controls)
    # Forward through every control and round to the first again, with each "next" key in turn.
    forward = ["Down", "Right", "Tab"]
    for step in range(count + 1):
        rig.press_and_hear(forward[step % len(forward)], names[step % count])
    assert frame_around(rig, controls[0]["rect"], tmp_path), "no focus frame around the first control"
    assert not frame_around(rig, controls[1]["rect"], tmp_path)
    # Backward from the first control wraps to the last, with each "previous" key.
    backward = ["Up", "Left", "shift+Tab"]
    for step in range(1, count + 1):
        rig.press_and_hear(backward[step % len(backward)], names[-step % count])
    state = kiosk.state()
    assert state["screen"] == "attract" and state["overlays"] == [], "moving the focus pressed something"
    # Onto "Help" and press it with the activate key: the help overlay opens.
    while rig.speech.said()[-1][1] != names[ids.index("help")]:
        rig.press_and_hear("Down", names[(names.index(rig.speech.said()[-1][1]) + 1) % count])
    assert frame_around(rig, controls[ids.index("help")]["rect"], tmp_path)
    rig.keys.press("KP_Enter")
    kiosk.wait(overlay="help_overlay", timeout_s=5)
    # The ring now walks the overlay; Return presses its control: the overlay closes.
    overlay = [w for w in ring_controls(kiosk.state()) if w["id"].startswith("help-")]
    assert [w["id"] for w in overlay] == ["help-close"], overlay
    since = len(rig.speech.said())
    rig.keys.press("Down")
    rig.speech.wait(since, lambda t: t == describe_control(overlay[0], "ka"), "the overlay's close button")
    rig.keys.press("Return")
    deadline = time.monotonic() + 5
    while kiosk.state()["overlays"]:
        assert time.monotonic() < deadline, "Return did not press the overlay's close button"
        time.sleep(0.05)
    assert kiosk.state()["screen"] == "attract"


def test_keypad_digits_fill_the_pin_as_tones_and_the_right_pin_gets_in(rig: Rig) -> None:
    kiosk = rig.kiosk
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    rig.tap_guide_on()
    before = len(rig.speech.said())
    # Wrong digits first, to be cleared with the keys. (Not KP_0: under Xvfb's default keymap
    # xdotool reaches it only with a modifier that SDL reports as Alt, which is no keypad's.)
    for n, key in enumerate(["KP_9", "KP_5"], 1):
        rig.keys.press(key)
        deadline = time.monotonic() + 5
        while rig.pin()["length"] != n:
            assert time.monotonic() < deadline, f"{key} did not add a digit: {rig.pin()}"
            time.sleep(0.05)
    time.sleep(0.3)
    assert rig.speech.said()[before:] == [], "a keypad digit reached espeak-ng"
    # Onto "Clear" with the next key, and press it.
    controls = {w["id"]: w for w in ring_controls(kiosk.state())}
    rig.keys.press("Tab")
    rig.speech.wait(before, lambda t: t == describe_control(controls["pin-input"], "ka"), "the PIN field")
    rig.press_and_hear("Tab", describe_control(controls["pin-clear"], "ka"))
    rig.keys.press("KP_Enter")
    deadline = time.monotonic() + 5
    while rig.pin()["length"] != 0:
        assert time.monotonic() < deadline, f"Enter on Clear did not clear the PIN: {rig.pin()}"
        time.sleep(0.05)
    typed, old_wavs = len(rig.speech.said()), set(rig.speech.wav_dir.glob("*.wav"))
    for n, key in enumerate(["KP_1", "KP_2", "KP_3", "KP_4"], 1):
        rig.keys.press(key)
        deadline = time.monotonic() + 5
        while (pin := rig.pin())["length"] != n:
            assert time.monotonic() < deadline, f"{key} did not add a digit: {pin}"
            time.sleep(0.05)
        assert pin["text"] == "•" * n, f"the state answer shows more than the length: {pin}"
    time.sleep(0.3)
    assert rig.speech.said()[typed:] == [], "a keypad digit reached espeak-ng"
    tones = [seconds(p) for p in set(rig.speech.wav_dir.glob("*.wav")) - old_wavs]
    assert tones and all(0.05 < t < 0.25 for t in tones), f"the keypad digits gave no tones, or more: {tones}"
    # OK is enabled now: onto it with "next" and press it; the pretend card takes 1234.
    ok = next(w for w in ring_controls(kiosk.state()) if w["id"] == "pin-ok")
    rig.press_and_hear("Tab", describe_control(ok, "ka"))
    rig.keys.press("Return")
    kiosk.wait(screen="home", timeout_s=10)
    log = kiosk.log_path.read_text(errors="replace")
    assert "state=home" in log and "voice guide" in log, "not this kiosk's log"
    assert not holds_secret(log, "1234") and not DIGIT_KEY_CODES.search(log), \
        "the kiosk's log has the PIN's digits"


def test_volume_keys_step_the_volume_and_the_next_visit_starts_at_the_default(rig: Rig) -> None:
    kiosk = rig.kiosk
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    # Any guide key starts the guide (a keypad user is most likely listening), at the default volume.
    since = len(rig.speech.said())
    rig.keys.press("Down")
    args, _ = rig.speech.wait(since, lambda t: t.startswith(GUIDE_ON), "voice guide on")
    assert f"-a {VOLUME_AMPLITUDES[DEFAULT_VOLUME]} " in args + " ", args
    top = len(VOLUME_AMPLITUDES)

    def level(step: int) -> str:
        return translate("ka", "Volume {n} of {top}", n=step + 1, top=top)

    volume = DEFAULT_VOLUME
    for key, change in [("plus", 1), ("KP_Add", 1), ("equal", 1), ("plus", 1), ("minus", -1),
                        ("KP_Subtract", -1)]:
        volume = max(0, min(top - 1, volume + change))
        rig.press_and_hear(key, level(volume), volume)
    assert volume == DEFAULT_VOLUME + 1
    # The repeat key says it again, at the same volume (F1: see the test below).
    rig.press_and_hear("h", level(volume), volume)
    # The visit ends: the guide is off, and a key starts it again at the default volume.
    kiosk.tap("pin-cancel")
    kiosk.wait(screen="attract")
    rig.wait_guide(False)
    since = len(rig.speech.said())
    rig.keys.press("Up")
    args, _ = rig.speech.wait(since, lambda t: t.startswith(GUIDE_ON), "voice guide on again")
    assert f"-a {VOLUME_AMPLITUDES[DEFAULT_VOLUME]} " in args + " ", f"not back to the default volume: {args}"
    rig.press_and_hear("KP_Add", level(DEFAULT_VOLUME + 1), DEFAULT_VOLUME + 1)


def test_with_the_guide_off_navigation_keys_press_nothing(rig: Rig) -> None:
    kiosk = rig.kiosk
    # Focus "Help" with the guide on, then a tap turns the guide off: the focus is still there.
    rig.tap_guide_on()
    controls = ring_controls(kiosk.state())
    ids = [w["id"] for w in controls]
    help_name = describe_control(controls[ids.index("help")], "ka")
    rig.press_and_hear("Up", help_name)  # the last control, before any other
    kiosk.tap("voice-guide")
    rig.wait_guide(False)
    screen = {k: kiosk.state()[k] for k in ("screen", "overlays", "language")}
    assert screen == {"screen": "attract", "overlays": [], "language": "ka"}
    for key in ["Return", "KP_Enter", "Down", "Right", "Tab", "Up", "Left", "shift+Tab", "h"]:
        assert not rig.guide_on()
        since = len(rig.speech.said())
        rig.keys.press(key)
        # The key only starts the guide, which says where the citizen is: nothing pressed, no focus moved.
        rig.speech.wait(since, lambda t: t.startswith(GUIDE_ON), f"voice guide on after {key}")
        time.sleep(0.3)  # time enough for a press, had there been one
        assert {k: kiosk.state()[k] for k in screen} == screen, f"{key} with the guide off changed the screen"
        spoken = [text for _, text in rig.speech.said()[since:]]
        assert len(spoken) == 1 and spoken[0].startswith(GUIDE_ON), f"{key}: {spoken}"
        kiosk.tap("voice-guide")
        rig.wait_guide(False)
    # Keypad digits away from the PIN screen do nothing at all.
    rig.keys.press("KP_1", "5")
    time.sleep(0.5)
    assert not rig.guide_on() and {k: kiosk.state()[k] for k in screen} == screen


def test_f1_repeats_and_shows_nothing_but_the_kiosk(rig: Rig, tmp_path: Path) -> None:
    """F1 once opened Kivy's own settings panel over the kiosk and never reached the guide."""
    kiosk = rig.kiosk
    rig.tap_guide_on()
    # Still parts of the screen (the tapped guide button fades and the card animates):
    # Kivy's settings panel covered the whole window, these included.
    still = [w["rect"] for w in kiosk.state()["widgets"] if w["id"] in ("site-name", "lang-en")]
    assert len(still) == 2
    before, last, since = pixels(rig, still, tmp_path), rig.speech.said()[-1][1], len(rig.speech.said())
    rig.keys.press("F1")
    time.sleep(0.5)
    assert pixels(rig, still, tmp_path) == before, "F1 drew something over the kiosk (Kivy's settings?)"
    rig.speech.wait(since, lambda t: t == last, "the last words again, after F1")


def pixels(rig: Rig, rects: list[list[int]], tmp_path: Path) -> bytes:
    """The pixels of ``rects`` (top-left [x, y, w, h]) in a screenshot of the window."""
    shot = rig.kiosk.ok({"cmd": "screenshot", "path": str(tmp_path / f"shot-{time.monotonic_ns()}.png")})
    with Image.open(shot["path"]) as image:
        rgb = image.convert("RGB")
        return b"".join(rgb.crop((x, y, x + w, y + h)).tobytes() for x, y, w, h in rects)

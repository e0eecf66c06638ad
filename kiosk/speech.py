"""The voice guide for the headset: what a citizen who cannot see the screen hears.

EN 301 549 (closed functionality) and ADA §707 ask that a kiosk be usable
without sight through a personal headset: every screen is explained in
speech, speech can be repeated and interrupted, the volume can be raised and
goes back to the default after each visit, and PIN digits are heard as
tones, never spoken. This module is that guide without any window: the
screens call it on each state change and on the navigation keys.

Speech is espeak-ng (Debian's package has a Georgian voice) in a child
process, piped into an audio player (``aplay``/``paplay``) when one is
installed, otherwise played by espeak-ng itself. Nothing here blocks the UI:
``say`` starts the processes and returns; a new utterance, a PIN tone or
``stop()`` kills the one playing. A kiosk without espeak-ng or a player
stays silent with one logged warning rather than raising into the UI.

Nothing personal is spoken unasked: instructions are fixed sentences, the
PIN field is described by its length only, and ``pin_feedback()`` takes no
argument, so it cannot know the digit it beeps for. The one citizen's text
read out is a letter's answer the citizen opened (``say_parts``, each part in
the voice of its own language), into their own headset; it is not logged,
and ``reset()`` forgets it with the visit.
"""

from __future__ import annotations

import io
import logging
import math
import shutil
import struct
import subprocess
import threading
import wave
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kiosk.focus_ring import FocusRing, describe_control, reading_order
from kiosk.speech_texts import ERROR_TEXTS, screen_instructions, warning_instructions

__all__ = [
    "VOLUME_AMPLITUDES", "DEFAULT_VOLUME", "FocusRing", "VoiceGuide", "describe_control",
    "reading_order", "screen_instructions", "tone_wav", "warning_instructions", "ERROR_TEXTS",
]

log = logging.getLogger("kiosk.speech")

VOICES = {"ka": "ka", "en": "en", "ru": "ru"}
# Words per minute: slower than espeak's 175, since many citizens are elderly.
SPEECH_RATE_WPM = 150
# espeak-ng's -a amplitude for each volume step (100 is espeak's normal).
# Roughly 3 dB per step; the headset amplifier is set up so the top step is
# about 65 dB SPL (Section 508 §402), so the scale is bounded, not open-ended.
VOLUME_AMPLITUDES = (25, 35, 50, 70, 100, 140, 200)
DEFAULT_VOLUME = 3  # index into VOLUME_AMPLITUDES
MAX_DB = 65.0
# Players that read a WAV stream on stdin, best first.
PLAYERS: tuple[tuple[str, ...], ...] = (("aplay", "-q"), ("paplay",))
AUTO = "auto"

# The PIN tone: short, mid-pitched (easy to hear for older ears), with fades
# so it clicks neither on nor off.
TONE_HZ = 880.0
TONE_S = 0.09
TONE_RATE = 22050


def find_player() -> list[str] | None:
    """The first installed player that reads a WAV stream on stdin, or None."""
    for argv in PLAYERS:
        if shutil.which(argv[0]):
            return list(argv)
    return None


def tone_wav(frequency: float = TONE_HZ, duration_s: float = TONE_S, amplitude: int = 100,
             rate: int = TONE_RATE) -> bytes:
    """A mono 16-bit WAV of one sine tone, loud like speech at ``amplitude`` (espeak's scale).

    Made with arithmetic, not espeak: a PIN key must never reach the speech engine.
    """
    frames = int(duration_s * rate)
    fade = max(1, int(0.01 * rate))
    peak = 32767 * 0.6 * min(amplitude, 200) / 200
    samples = bytearray()
    for i in range(frames):
        envelope = min(1.0, i / fade, (frames - 1 - i) / fade)
        value = int(peak * envelope * math.sin(2 * math.pi * frequency * i / rate))
        samples += struct.pack("<h", value)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(samples))
    return out.getvalue()


class VoiceGuide:
    """Speaks into the headset; one utterance at a time, always interruptible.

    ``espeak``: program name or path (None = silent); ``player``: argv of a
    program reading a WAV stream on stdin, ``"auto"`` to look for one, None
    to let espeak-ng play by itself. Tests pass a recording player.
    """

    def __init__(self, language: str = "ka", volume: int = DEFAULT_VOLUME, *,
                 espeak: str | None = "espeak-ng", player: Sequence[str] | str | None = AUTO,
                 rate: int = SPEECH_RATE_WPM) -> None:
        self.default_language = language if language in VOICES else "ka"
        self.default_volume = self._clamp(volume)
        self.language = self.default_language
        self.volume = self.default_volume
        self.rate = rate
        self.last_text = ""
        # What `repeat` says again: (voice language, text) parts; None = the guide's language.
        self._last_parts: list[tuple[str | None, str]] = []
        self._espeak = shutil.which(espeak) if espeak else None
        self._player = find_player() if player == AUTO else (list(player) if player else None)
        self._lock = threading.Lock()
        self._current: list[subprocess.Popen[bytes]] = []
        self._warned: set[str] = set()
        if self._espeak is None:
            self._warn_once("espeak", "espeak-ng not found: the voice guide is silent")

    # ------------------------------------------------------------ settings
    @staticmethod
    def _clamp(volume: int) -> int:
        return max(0, min(len(VOLUME_AMPLITUDES) - 1, int(volume)))

    @property
    def available(self) -> bool:
        """Whether speech can be heard at all (espeak-ng was found)."""
        return self._espeak is not None

    @property
    def amplitude(self) -> int:
        return VOLUME_AMPLITUDES[self.volume]

    def volume_db(self) -> float:
        """The current step as an estimated level: the top step is MAX_DB (about 65 dB)."""
        return MAX_DB + 20 * math.log10(self.amplitude / VOLUME_AMPLITUDES[-1])

    def volume_up(self) -> int:
        self.volume = self._clamp(self.volume + 1)
        return self.volume

    def volume_down(self) -> int:
        self.volume = self._clamp(self.volume - 1)
        return self.volume

    def set_language(self, language: str) -> None:
        if language in VOICES:
            self.language = language

    def reset(self) -> None:
        """End of a visit: silence, default volume and language, nothing left to repeat.

        Section 508 §402 asks the volume to return to the default after each use.
        """
        self.stop()
        self.volume = self.default_volume
        self.language = self.default_language
        self.last_text = ""
        self._last_parts = []

    # ------------------------------------------------------------ speaking
    def say(self, text: str) -> None:
        """Speak ``text`` now, cutting off whatever is playing; returns at once."""
        self.last_text = text
        self._last_parts = [(None, text)]
        self._speak(text)

    def say_parts(self, parts: Sequence[tuple[str, str]]) -> None:
        """Speak (language, text) parts one after another, each in its language's voice.

        For text the guide does not write itself (a letter's answer in Georgian
        while the citizen listens in English). One utterance as far as stopping
        goes: a new `say`, a PIN tone or `stop()` ends it, and the parts not yet
        begun are never started. Returns at once.
        """
        self._last_parts = [(lang if lang in VOICES else None, text) for lang, text in parts]
        self.last_text = " ".join(text for _lang, text in parts)
        self._speak_parts(self._last_parts)

    def repeat(self) -> None:
        """Say the last utterance again (the help key)."""
        self._speak_parts(self._last_parts or [(None, self.last_text)])

    def say_screen(self, screen: str, reason: str | None = None, **values: Any) -> str:
        """Speak the instructions of ``screen`` in the guide's language; returns the text."""
        text = screen_instructions(screen, self.language, reason, **values)
        self.say(text)
        return text

    def _speak(self, text: str) -> None:
        self._speak_parts([(None, text)])

    def _speak_parts(self, parts: Sequence[tuple[str | None, str]]) -> None:
        with self._lock:
            self._kill_locked()
            todo = [(lang or self.language, text) for lang, text in parts if text.strip()]
            if not todo or self._espeak is None:
                return
            procs = self._start_locked(*todo[0])
            if procs:
                self._watch(procs, todo[1:])

    def _start_locked(self, language: str, text: str) -> list[subprocess.Popen[bytes]]:
        """espeak-ng (into the player) for one text in one voice; [] when it cannot start."""
        assert self._espeak is not None
        argv = [self._espeak, "-v", VOICES[language], "-a", str(self.amplitude),
                "-s", str(self.rate), "--stdin"]
        procs: list[subprocess.Popen[bytes]] = []
        try:
            if self._player:
                speaker = subprocess.Popen(argv + ["--stdout"], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                procs.append(speaker)
                assert speaker.stdout is not None
                procs.append(subprocess.Popen(self._player, stdin=speaker.stdout,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                speaker.stdout.close()  # the player holds the only reading end
            else:
                speaker = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
                procs.append(speaker)
            assert speaker.stdin is not None
            speaker.stdin.write(text.encode("utf-8"))
            speaker.stdin.close()
        except OSError as exc:
            self._warn_once("start", f"speech could not start: {exc}")
            self._kill(procs)
            return []
        return procs

    def pin_feedback(self) -> None:
        """One short tone for a PIN key: the digit is never spoken (ADA §707.8).

        Takes no argument on purpose: the guide never learns which digit it was.
        """
        with self._lock:
            self._kill_locked()  # the citizen is typing: stop talking
            if not self._player:
                self._warn_once("tone", "no audio player (aplay/paplay): PIN tones are silent")
                return
            try:
                proc = subprocess.Popen(self._player, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                assert proc.stdin is not None
                proc.stdin.write(tone_wav(amplitude=self.amplitude))
                proc.stdin.close()
            except OSError as exc:
                self._warn_once("tone-start", f"PIN tone could not play: {exc}")
                return
            self._watch([proc])

    def stop(self) -> None:
        """Silence now (a tap that starts something else, the end of a visit)."""
        with self._lock:
            self._kill_locked()

    @property
    def speaking(self) -> bool:
        with self._lock:
            return any(p.poll() is None for p in self._current)

    def current_processes(self) -> list[subprocess.Popen[bytes]]:
        """The processes of the utterance playing now (for tests and diagnostics)."""
        with self._lock:
            return list(self._current)

    def render(self, text: str, path: str | Path) -> Path:
        """Write ``text`` as the guide would say it to a WAV file (espeak-ng -w); blocks."""
        if self._espeak is None:
            raise FileNotFoundError("espeak-ng is not installed")
        subprocess.run([self._espeak, "-v", VOICES[self.language], "-a", str(self.amplitude),
                        "-s", str(self.rate), "--stdin", "-w", str(path)],
                       input=text.encode("utf-8"), check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return Path(path)

    # ------------------------------------------------------------ plumbing
    def _watch(self, procs: list[subprocess.Popen[bytes]],
               then: Sequence[tuple[str, str]] = ()) -> None:
        self._current = procs
        threading.Thread(target=self._reap, args=(procs, list(then)), name="voice-guide",
                         daemon=True).start()

    def _reap(self, procs: list[subprocess.Popen[bytes]], then: list[tuple[str, str]]) -> None:
        """Wait for one part; start the next unless something else was said or stopped meanwhile."""
        while True:
            for proc in procs:
                proc.wait()
            with self._lock:
                if self._current is not procs:
                    return  # cut off: the rest is not said
                following = self._start_locked(*then.pop(0)) if then else []
                self._current = following
                if not following:
                    return
                procs = following

    def _kill_locked(self) -> None:
        self._kill(self._current)
        self._current = []

    @staticmethod
    def _kill(procs: Iterable[subprocess.Popen[bytes]]) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                log.warning("speech process %s did not end", proc.pid)

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)

"""An espeak-ng on PATH that logs every text and its arguments, then runs the real one.

The voice tests (tests/test_ui_accessibility_voice.py, tests/test_ui_keys.py)
start the kiosk with the environment this returns: each utterance is
appended to ``log`` as "arguments<TAB>text" (``-a`` is the volume), and the
guide's WAVs go to ``wav_dir`` (``KIOSK_SPEECH_WAV_DIR``), never to a sound card.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

WRAPPER = """#!/bin/sh
text=$(cat)
printf '%s\\t%s\\n' "$*" "$text" >> "{log}"
printf '%s' "$text" | exec "{espeak}" "$@"
"""


def logging_espeak_env(root: Path, log: Path, wav_dir: Path) -> dict[str, str]:
    """Install the wrapper in ``root``/bin; the environment variables that make the kiosk use it."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.fail("espeak-ng is not installed (Debian package espeak-ng; `make test` installs it)")
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "espeak-ng"
    wrapper.write_text(WRAPPER.format(log=log, espeak=espeak))
    wrapper.chmod(0o755)
    return {"KIOSK_SPEECH_WAV_DIR": str(wav_dir), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

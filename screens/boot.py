"""Kivy settings that must be in place before Kivy opens its window.

Kivy reads its environment when ``kivy`` is first imported and its Config
when ``kivy.core.window`` is first imported; after that, changing them does
nothing. So `prepare_kivy` runs first, before any other screens module is
imported, and everything a citizen could use to leave the kiosk (Esc, the
multitouch emulation's red dots, a window frame) is switched off here.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from kiosk.config import Config
from kiosk.heap import tune_allocator


def _kivy_home(config: Config) -> str:
    # Kivy writes its config and logs under KIVY_HOME on import; never let
    # it fill ~/.kivy on a kiosk whose home may be read-only.
    preferred = config.storage_path / "kivy"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return str(preferred)
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="kiosk-kivy-")


# What Kivy logs as a warning or worse that means nothing on a kiosk, and that
# the maintenance screen's "recent errors" would show a technician after every
# start: no X cut buffer (xclip and xsel are left out on purpose: a citizen's
# selected text must not land in the X selection), and a Kivy config written
# for the first time under KIVY_HOME.
KIVY_NOISE = (
    "Cutbuffer: Unable to find any valuable Cutbuffer provider",
    "Config: Older configuration version detected",
    "Config: Upgrading configuration in progress",
)


class KivyNoise(logging.Filter):
    """Demotes `KIVY_NOISE` to INFO: still in the journal, no longer among the errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and record.getMessage().startswith(KIVY_NOISE):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_kivy_noise() -> None:
    """Install `KivyNoise` on Kivy's logger (once), before Kivy's first words."""
    kivy_logger = logging.getLogger("kivy")
    if not any(isinstance(f, KivyNoise) for f in kivy_logger.filters):
        kivy_logger.addFilter(KivyNoise())


def _under_window_manager() -> bool:
    """True under a compositor (cage, Wayland) or an X window manager's session."""
    return bool(os.environ.get("WAYLAND_DISPLAY") or os.environ.get("KIOSK_WINDOW_MANAGER"))


def prepare_kivy(config: Config) -> None:
    """Set Kivy's environment and Config for a full-screen, inescapable kiosk window."""
    tune_allocator()  # before Kivy and SDL make their first large blocks (kiosk/heap.py says why)
    os.environ.setdefault("KIVY_HOME", _kivy_home(config))
    os.environ["KIVY_NO_ARGS"] = "1"  # our own argparse owns the command line
    os.environ.setdefault("KIVY_NO_FILELOG", "1")  # journald gets our logs already
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through our handlers
    quiet_kivy_noise()

    from kivy.config import Config as KivyConfig

    screen = config.screen
    graphics = {
        "width": str(screen.width),
        "height": str(screen.height),
        "resizable": "0",
        # Software GL (llvmpipe) draws the whole window each frame: 30 fps is
        # smooth enough for a card animation and halves the CPU it costs.
        "maxfps": "30",
        # No multisample anti-aliasing (Kivy's default is 2 samples): on
        # llvmpipe it made every frame about 3x slower to draw (a bare
        # 1080x1920 window: swap 81 -> 25 ms median; the kiosk's own frames
        # 155 -> 49 ms under load), for round corners only a little softer.
        "multisamples": "0",
    }
    if screen.fullscreen and _under_window_manager():
        graphics |= {"fullscreen": "auto", "borderless": "1"}
    elif screen.fullscreen:
        # A bare X server (no window manager) ignores fullscreen requests:
        # a borderless window placed at 0,0 with the screen's size fills it.
        graphics |= {"fullscreen": "0", "borderless": "1", "position": "custom",
                     "left": "0", "top": "0"}
    else:
        graphics |= {"fullscreen": "0", "borderless": "0"}
    for key, value in graphics.items():
        KivyConfig.set("graphics", key, value)
    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("kivy", "pause_on_minimize", "0")
    KivyConfig.set("kivy", "log_level", "warning")
    # No on-screen keyboard docking and no right-click multitouch dots.
    KivyConfig.set("kivy", "keyboard_mode", "system")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")


def asset(name: str) -> str:
    return str(Path(__file__).parent / "assets" / name)

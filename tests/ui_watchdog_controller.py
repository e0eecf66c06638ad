"""The pretend-card controller (tests/ui_fake_controller.py), speaking to systemd, with a stall on demand.

`python -m screens --controller-factory tests.ui_watchdog_controller:build`
builds it for the watchdog test. The notifier is the real one (NOTIFY_SOCKET
from the environment), as `kiosk run` sets it, so the pings heard are the
window's own. SIGUSR1 makes the Kivy main loop block in one Clock callback,
as a frozen UI would, until SIGUSR2 lets it go; STATUS= messages on the
same socket tell the test when the block began and ended, so it can count
the pings in between without guessing at timing.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from kiosk.config import Config
from kiosk.controller import KioskController
from kiosk.watchdog import Notifier
from tests.ui_fake_controller import build as fake_build

STALL_STARTED = "STATUS=test: main loop stalled"
STALL_ENDED = "STATUS=test: main loop running again"


def build(config: Config) -> KioskController:
    controller = fake_build(config)
    controller.notifier = Notifier()
    released = threading.Event()

    def stall(_dt: float) -> None:
        controller.notifier.notify(STALL_STARTED)
        # Short waits, not one long one: the SIGUSR2 handler runs between them on this thread.
        while not released.wait(0.05):
            pass
        released.clear()
        controller.notifier.notify(STALL_ENDED)

    def on_stall(*_: Any) -> None:
        # Kivy is imported here, not at the top: the factory runs before screens.boot sets Kivy up.
        from kivy.clock import Clock

        Clock.schedule_once(stall, 0)

    signal.signal(signal.SIGUSR1, on_stall)
    signal.signal(signal.SIGUSR2, lambda *_: released.set())
    return controller

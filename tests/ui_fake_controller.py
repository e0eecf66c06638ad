"""The real KioskController with a pretend card, for driving the window in UI tests.

`python -m screens --controller-factory tests.ui_fake_controller:build`
builds it. Only the hardware is pretend: the visit machine, the
translator and the controller's own rules are the real ones. The card
accepts PIN 1234, counts wrong PINs down from 3 and then blocks. A test
inserts the card through the automation socket's `demo` command, exactly
as `kiosk demo` does with its virtual card.

``KIOSK_UI_OUT_OF_SERVICE=reason`` starts the kiosk out of service, as
`kiosk run` does with a broken configuration.

``KIOSK_UI_CLOCK_SPEED`` (e.g. 10) makes the machine's clock run faster,
so the configuration's shortest allowed idle time-out (30 s) passes in a
few real seconds and a time-out test stays quick.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config
from kiosk.controller import KioskController, Parts

GOOD_PIN = b"1234"
# A made-up citizen; tests search the screen for these after a time-out.
CITIZEN = {"personal_number": "01001012345", "given_name": "ნინო", "surname": "ბერიძე",
           "date_of_birth": "1980-01-01", "mobile": "", "email": ""}


def fast_clock(speed: float) -> Any:
    start = time.monotonic()
    return lambda: start + (time.monotonic() - start) * speed


@dataclass
class PretendCard:
    tries_left: int = 3
    fail_with: str = ""  # a failure reason for the next login, e.g. card_expired

    def pin_tries_left(self) -> int:
        return self.tries_left


@dataclass
class LoginOk:
    citizen: dict[str, Any]
    offline: bool = False
    token: str | None = "fake-token"
    first_login: bool = False


@dataclass
class WrongPin:
    tries_left: int


class PinBlocked:
    pass


@dataclass
class LoginFailed:
    reason: str


def pretend_login(card: PretendCard, pin: bytearray, _portal: Any) -> Any:
    """What kiosk.login returns, decided by the pretend card."""
    time.sleep(0.5)  # long enough for the "checking" screen to be drawn
    if card.fail_with:
        reason, card.fail_with = card.fail_with, ""
        return LoginFailed(reason)
    if card.tries_left <= 0:
        return PinBlocked()
    if bytes(pin) == GOOD_PIN:
        card.tries_left = 3
        return LoginOk(dict(CITIZEN))
    card.tries_left -= 1
    return PinBlocked() if card.tries_left <= 0 else WrongPin(card.tries_left)


@dataclass
class PretendDemo:
    """The `controller.demo` controls (docs/CONTRACTS.md), on the pretend card."""

    controller: KioskController
    card: PretendCard = field(default_factory=PretendCard)
    _sessions: Any = field(default_factory=lambda: itertools.count(1))
    _printer_states: Any = field(
        default_factory=lambda: itertools.cycle(["near_end", "paper_out", "cover_open", "offline", "ready"]))

    def insert_card(self, tries_left: int | None = None) -> None:
        if tries_left is not None:
            self.card.tries_left = tries_left
        self.controller.on_reader_status("ready", self.card, f"card-{next(self._sessions)}")

    def remove_card(self) -> None:
        self.controller.on_reader_status("no_card")

    def fail_next_card(self, reason: str = "card_expired") -> None:
        if reason in ("card_error", "unknown_card"):
            self.controller.on_reader_status(reason)
        else:
            self.card.fail_with = reason

    def toggle_network(self) -> None:
        self.controller._set_status(network_online=not self.controller.status.network_online)

    def cycle_printer(self) -> None:
        self.controller._set_status(printer=next(self._printer_states))


def build(config: Config) -> KioskController:
    speed = float(os.environ.get("KIOSK_UI_CLOCK_SPEED", "1"))
    controller = KioskController(config, Parts(login=pretend_login), clock=fast_clock(speed))
    controller.demo = PretendDemo(controller)
    controller._set_status(reader="no_card", printer="ready", network_online=True)
    if os.environ.get("KIOSK_UI_OUT_OF_SERVICE"):
        controller.machine.out_of_service(os.environ["KIOSK_UI_OUT_OF_SERVICE"])
    return controller

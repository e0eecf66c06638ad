"""The controller's own rules, with stand-in cards: buffers wiped, stale answers dropped.

The real card, reader and portal are exercised end to end in the PC/SC and
UI tests; here a card object that answers at a chosen moment lets the races
be placed exactly.
"""

import threading
import time
from dataclasses import dataclass

from kiosk.config import Config
from kiosk.controller import KioskController, Parts
from kiosk.session import State


@dataclass
class LoginOk:
    citizen: dict
    offline: bool = False
    token: str | None = "tok"
    first_login: bool = False


@dataclass
class WrongPin:
    tries_left: int


class SlowCard:
    def __init__(self, tries: int = 3) -> None:
        self.tries = tries
        self.release = threading.Event()

    def pin_tries_left(self) -> int:
        return self.tries


def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def make(login) -> KioskController:
    controller = KioskController(Config(), Parts(login=login))
    return controller


def test_pin_buffer_is_wiped_after_login() -> None:
    seen = {}

    def login(card, pin, portal):
        seen["during"] = bytes(pin)
        return LoginOk({"given_name": "ნინო"})

    controller = make(login)
    controller.on_reader_status("ready", SlowCard(), "s1")
    wait_for(lambda: controller.machine.state == State.PIN)
    pin = bytearray(b"1234")
    controller.submit_pin(pin)
    wait_for(lambda: controller.machine.state == State.HOME)
    assert seen["during"] == b"1234"
    assert pin == bytearray(4), "the PIN pad's buffer must be zeroed"
    controller.stop()


def test_pin_ignored_and_wiped_when_no_card() -> None:
    controller = make(lambda *a: LoginOk({}))
    pin = bytearray(b"9876")
    controller.submit_pin(pin)
    assert pin == bytearray(4)
    assert controller.machine.state == State.ATTRACT
    controller.stop()


def test_answer_for_a_pulled_card_never_reaches_the_next_citizen() -> None:
    gate = threading.Event()

    def login(card, pin, portal):
        gate.wait(3)
        return LoginOk({"given_name": "first citizen"})

    controller = make(login)
    controller.on_reader_status("ready", SlowCard(), "first")
    wait_for(lambda: controller.machine.state == State.PIN)
    controller.submit_pin(bytearray(b"1234"))
    controller.on_reader_status("no_card")
    controller.on_reader_status("ready", SlowCard(), "second")
    wait_for(lambda: controller.machine.state == State.PIN)
    gate.set()
    time.sleep(0.2)
    assert controller.machine.state == State.PIN
    assert controller.machine.visit.citizen == {}
    assert controller.machine.visit.card_session_id == "second"
    controller.stop()


def test_wrong_pin_and_unknown_card_become_screens() -> None:
    controller = make(lambda card, pin, portal: WrongPin(2))
    controller.on_reader_status("ready", SlowCard(), "s")
    wait_for(lambda: controller.machine.state == State.PIN)
    controller.submit_pin(bytearray(b"0000"))
    wait_for(lambda: controller.machine.reason == "wrong_pin")
    assert controller.machine.visit.pin_tries_left == 2
    controller.on_reader_status("no_card")
    assert controller.machine.state == State.ATTRACT
    controller.on_reader_status("unknown_card")
    assert controller.machine.state == State.ERROR and controller.machine.reason == "unknown_card"
    assert controller.status.reader == "unknown_card"
    controller.stop()


def test_status_listeners_hear_only_changes() -> None:
    controller = make(None)
    heard = []
    controller.subscribe_status(heard.append)
    controller.on_reader_status("no_card")
    controller.on_reader_status("no_card")
    assert [s.reader for s in heard] == ["no_card"]
    controller.stop()


def test_the_reader_is_missing_only_when_the_reader_service_finds_none() -> None:
    """What the attract screen tells citizens (screens/attract.kv): never on a kiosk built without one."""
    with_reader = KioskController(Config(), Parts(reader=object()))
    assert with_reader.card_reader_missing()  # nothing heard from the reader service yet
    with_reader.on_reader_status("no_card")
    assert not with_reader.card_reader_missing()
    with_reader.on_reader_status("no_reader")  # unplugged, or pcscd lost it
    assert with_reader.card_reader_missing()
    with_reader.on_reader_status("unknown_card")  # a reader that reads a card it does not know
    assert not with_reader.card_reader_missing()
    without = make(None)  # password logins only (the portal simulator's UI tests)
    without.on_reader_status("no_reader")
    assert not without.card_reader_missing()
    with_reader.stop()
    without.stop()


class CountingPrinter:
    """A printer whose status is asked for; `paper_out` flips what it answers."""

    def __init__(self) -> None:
        self.asked = 0
        self.paper_out = False

    def status(self, timeout_s: float) -> str:
        self.asked += 1
        return "paper_out" if self.paper_out else "ready"


def test_opening_a_form_asks_the_printer_at_once() -> None:
    """The form tells the citizen before sending when there will be no paper receipt.

    The printer is polled every 5 s; paper that ran out since the last poll
    would otherwise be noticed only after the citizen had sent the form.
    """
    printer = CountingPrinter()
    controller = KioskController(Config(), Parts(login=lambda *_: LoginOk({"given_name": "ნინო"}),
                                                 printer=printer))
    controller.start()
    try:
        wait_for(lambda: controller.status.printer == "ready")
        controller.on_reader_status("ready", SlowCard(), "s1")
        wait_for(lambda: controller.machine.state == State.PIN)
        controller.submit_pin(bytearray(b"1234"))
        wait_for(lambda: controller.machine.state == State.HOME)
        printer.paper_out = True
        assert controller.navigate(State.SERVICE, category_id="personal",
                                   service_id="birth-certificate-repeat")
        wait_for(lambda: controller.status.printer == "paper_out", timeout=2.0)  # not after the 5 s poll
    finally:
        controller.stop()


def test_busy_while_background_work_runs_so_the_kiosk_does_not_restart_over_a_print() -> None:
    controller = KioskController(Config(), Parts())
    printing, release = threading.Event(), threading.Event()

    def receipt() -> None:
        printing.set()
        release.wait(5)

    assert controller.busy is False
    controller._work(receipt)
    assert printing.wait(3)
    assert controller.busy is True
    release.set()
    wait_for(lambda: not controller.busy)
    controller._work(lambda: 1 / 0)  # a failed task is not busy for ever
    wait_for(lambda: not controller.busy)
    controller.stop()

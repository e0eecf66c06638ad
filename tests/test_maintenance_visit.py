"""While the maintenance screen is open no visit runs: the core half, without a window.

`Maintenance.open_with_pin` ends the visit and holds card events off
(`KioskController.enter_maintenance`); `leave()` lets the next card in. The
screen's periodic status refresh writes no audit entry; the buttons do.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.audit import AuditLog
from kiosk.config import from_mapping
from kiosk.controller import KioskController, Parts
from kiosk.maintenance import Maintenance, RecentErrors
from kiosk.session import State
from kiosk.technician import Accepted, hash_pin


class Card:
    def pin_tries_left(self) -> int:
        return 3


def rig(tmp_path: Path) -> tuple[KioskController, Maintenance]:
    config = from_mapping({"storage": {"dir": str(tmp_path / "storage")},
                           "maintenance": {"pin_hash": hash_pin("2468", n=2**10)}})
    controller = KioskController(config, Parts(login=lambda *_: None))
    maintenance = Maintenance(controller, AuditLog(tmp_path / "storage"), recent_errors=RecentErrors(),
                              exit_process=lambda _code: None)
    return controller, maintenance


def wait_state(controller: KioskController, state: State) -> None:
    import time

    deadline = time.monotonic() + 3
    while controller.machine.state != state and time.monotonic() < deadline:
        time.sleep(0.01)
    assert controller.machine.state == state


def test_opening_ends_the_visit_and_cards_are_ignored_until_leaving(tmp_path: Path) -> None:
    controller, maintenance = rig(tmp_path)
    try:
        controller.on_reader_status("ready", Card(), "card-1")
        wait_state(controller, State.PIN)
        assert maintenance.open_with_pin(bytearray(b"2468")) == Accepted()
        assert controller.maintenance_open and controller.machine.state == State.ATTRACT
        assert controller.machine.visit.card_session_id is None

        controller.on_reader_status("no_card")
        controller.on_reader_status("ready", Card(), "card-2")
        assert controller.machine.state == State.ATTRACT, "no visit under the maintenance screen"
        assert controller.status.reader == "ready", "the reader's state is still reported"
        assert controller.current_card() is None

        assert maintenance.leave().ok and not controller.maintenance_open
        controller.on_reader_status("no_card")
        controller.on_reader_status("ready", Card(), "card-3")
        wait_state(controller, State.PIN)
    finally:
        maintenance.close()
        controller.stop()


def test_a_wrong_pin_leaves_the_visit_alone(tmp_path: Path) -> None:
    controller, maintenance = rig(tmp_path)
    try:
        controller.on_reader_status("ready", Card(), "card-1")
        wait_state(controller, State.PIN)
        maintenance.open_with_pin(bytearray(b"1111"))
        assert not controller.maintenance_open and controller.machine.state == State.PIN
    finally:
        maintenance.close()
        controller.stop()


def test_the_periodic_refresh_is_not_audited_but_a_look_is(tmp_path: Path) -> None:
    controller, maintenance = rig(tmp_path)
    try:
        assert maintenance.status_report(audit=False).ok
        assert [e["action"] for e in maintenance.audit.entries()] == []
        report = maintenance.status_report()
        assert report.ok and report.data["queue"] == {"available": False}
        assert [e["action"] for e in maintenance.audit.entries()] == ["status_report"]
    finally:
        maintenance.close()
        controller.stop()


class CountingProbe:
    """A PortalProbe stand-in: the last answer, and how often it was asked."""

    def __init__(self) -> None:
        self.up, self.latency_s, self.error, self.asked = True, 0.012, "", 0

    def probe(self) -> bool:
        self.asked += 1
        return True


def test_the_periodic_refresh_reuses_the_probes_last_answer(tmp_path: Path) -> None:
    controller, maintenance = rig(tmp_path)
    maintenance.probe = probe = CountingProbe()
    try:
        quick = maintenance.status_report(audit=False, live_portal=False)
        assert probe.asked == 0 and quick.data["portal"] == {"up": True, "error": "", "latency_ms": 12.0}
        assert maintenance.status_report().ok and probe.asked == 1  # a technician's look asks now
    finally:
        maintenance.close()
        controller.stop()

"""The demo strip's buttons, without a window: what each does to the stand-ins."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.demo import PRINTER_CYCLE, DemoControls, DemoStack
from offline_queue.network import NetworkMonitor


class Portal:
    def __init__(self) -> None:
        self.fault = "none"

    def set_fault(self, fault: str) -> None:
        self.fault = fault

    def health(self) -> None:
        if self.fault == "down":
            raise ConnectionError("down")


class Printer:
    status = "ready"

    def set_status(self, status: str) -> None:
        self.status = status


def test_the_network_button_cuts_the_portal_and_the_kiosk_notices_at_once() -> None:
    portal = Portal()
    stack = DemoStack(portal=portal)
    network = NetworkMonitor(portal.health, interval_s=3600)  # never polls on its own here
    changes: list[bool] = []
    seen = threading.Event()
    network.subscribe(lambda online: (changes.append(online), seen.set()))
    controls = DemoControls(stack, network)
    assert controls.toggle_network() is False and portal.fault == "down"
    assert seen.wait(5) and changes == [False] and not network.is_online
    seen.clear()
    assert controls.toggle_network() is True and portal.fault == "none"
    assert seen.wait(5) and changes == [False, True] and network.is_online


def test_the_printer_button_cycles_the_stand_in_through_its_states() -> None:
    printer = Printer()
    controls = DemoControls(DemoStack(printer=printer))
    seen = [controls.cycle_printer() for _ in range(len(PRINTER_CYCLE))]
    assert seen == ["near-end", "paper-out", "cover-open", "ready"] and printer.status == "ready"
    printer.status = "offline"  # a status outside the cycle starts it again
    assert controls.cycle_printer() == "ready"


def test_buttons_with_nothing_behind_them_do_nothing() -> None:
    controls = DemoControls(DemoStack())
    assert controls.cycle_printer() == "offline"
    controls.insert_card()
    controls.remove_card()
    assert controls.toggle_network() is False


def test_a_stack_only_built_leaves_no_folder_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each of these tests built one: the suite left three empty kiosk-demo-* folders in /tmp.
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    stack = DemoStack()
    stack.stop()
    assert stack.workdir is None and list(tmp_path.iterdir()) == []

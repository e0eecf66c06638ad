"""Pytest fixtures for the real PC/SC stack: a private pcscd per worker, virtual cards,
the card reader service, and the test PKI.

pcsc-lite reads ``PCSCLITE_CSOCK_NAME`` once, at a process's first PC/SC call,
so it is set here at import time (when conftest loads the plugin), before any
test can touch PC/SC, with a path unique to this xdist worker and run. Each
worker then owns its own pcscd, and a test that kills or restarts it affects
no other worker. Everything started here is stopped by a finalizer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID", "solo")[:8]
PCSC_BASE = Path(tempfile.gettempdir()) / f"kiosk-pcsc-{_RUN}-{_WORKER}-{os.getpid()}"
os.environ["PCSCLITE_CSOCK_NAME"] = str(PCSC_BASE / "run" / "pcscd.comm")

# Deadlines for conditions: pcscd polls vpcd about every 400 ms.
EVENT_TIMEOUT_S = 3.0


@pytest.fixture(scope="session")
def pcsc_stack() -> Iterator:
    """This worker's private pcscd with a vpcd reader (skipped where it cannot run)."""
    from devices.pcsc_stack import PcscStack, can_run_private_pcscd, pick_port

    reason = can_run_private_pcscd()
    if reason:
        pytest.skip(reason)
    stack = PcscStack(PCSC_BASE / "run", pick_port(os.getpid()), die_with_parent=True)
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(PCSC_BASE, ignore_errors=True)  # its socket, reader config and log


@pytest.fixture
def pcsc(pcsc_stack):  # type: ignore[no-untyped-def]
    """The worker's pcscd, running with its reader (a previous test may have stopped it)."""
    if pcsc_stack.pid is None or not pcsc_stack.with_reader:
        pcsc_stack.restart(with_reader=True)
    yield pcsc_stack
    if pcsc_stack.pid is None or not pcsc_stack.with_reader:
        pcsc_stack.restart(with_reader=True)


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo test PKI (citizen, expired, revoked) plus a second valid citizen."""
    from kiosk.testpki import TestPki

    pki = TestPki(tmp_path_factory.mktemp("pki"))
    pki.make_demo()
    pki.issue_citizen("second", "01001099999", "ლევან", "გელაშვილი")
    return pki


@pytest.fixture
def make_card(pcsc, test_pki) -> Iterator[Callable]:  # type: ignore[no-untyped-def]
    """Factory for virtual cards on this worker's reader; every card is removed afterwards."""
    from devices.virtual_card import Faults, VirtualCard

    cards: list[VirtualCard] = []

    def make(citizen: str = "citizen", pin: str = "1234", profile: str = "virtual",
             faults: Faults | None = None) -> VirtualCard:
        card = VirtualCard.from_pki(test_pki.dir, citizen, pin, pcsc.port, profile=profile,
                                    faults=faults)
        cards.append(card)
        return card

    yield make
    for card in cards:
        card.remove()
    if pcsc.pid is not None and pcsc.with_reader:
        # The next test's card must not arrive before pcscd has seen this one leave.
        pcsc.wait_slot_empty()


class StateRecorder:
    """Collects the reader service's callbacks and waits for conditions with deadlines."""

    def __init__(self) -> None:
        self.states: list = []
        self._changed = threading.Condition()
        self.threads: set[str] = set()

    def __call__(self, state) -> None:  # type: ignore[no-untyped-def]
        with self._changed:
            self.states.append(state)
            self.threads.add(threading.current_thread().name)
            self._changed.notify_all()

    @property
    def statuses(self) -> list[str]:
        return [s.status.value for s in self.states]

    def wait_for(self, status: str, timeout: float = EVENT_TIMEOUT_S, after: int = 0):  # type: ignore[no-untyped-def]
        """The first state with ``status`` at index >= ``after``; fails at the deadline."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for state in self.states[after:]:
                    if state.status.value == status:
                        return state
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {status!r} within {timeout}s; saw {self.statuses}")
                self._changed.wait(left)


@pytest.fixture
def reader_service(pcsc) -> Iterator[Callable]:  # type: ignore[no-untyped-def]
    """Factory: a started CardReaderService and its recorder; stopped afterwards."""
    from devices.card_reader import CardReaderService

    services: list[CardReaderService] = []

    def start(**options):  # type: ignore[no-untyped-def]
        recorder = StateRecorder()
        options.setdefault("allow_test_cards", True)
        service = CardReaderService(recorder, **options)
        services.append(service)
        service.start()
        return service, recorder

    yield start
    for service in services:
        service.stop()

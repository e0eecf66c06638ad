"""A USB reader pulled out while pcscd keeps running, and plugged back in.

vpcd's readers come from pcscd's configuration and cannot leave while pcscd
runs, so this is played by a stand-in for pyscard's ``scard`` module that
answers as pcsc-lite does. Drivers tell a reader's departure in three ways,
and each must end in ``no_reader`` without treating pcscd as broken (the
context is kept) and heal to ``no_card`` when the reader returns.
"""

from __future__ import annotations

import threading
import time

import pytest
from smartcard import scard as real_scard

import devices.card_reader as card_reader_module
from devices.card_reader import PNP_READER, CardReaderService
from tests.pcsc_fixtures import StateRecorder

READER = "Fake USB Reader 00 00"
S = real_scard


class UnpluggableScard:
    """pcsc-lite as seen through pyscard, with one reader that can be pulled out.

    ``mode`` is how a departure is told: ``unknown_reader`` (SCardGetStatusChange
    fails with SCARD_E_UNKNOWN_READER), ``state_unknown`` (the reader's state turns
    UNKNOWN while the PnP pseudo reader stays silent) or ``pnp_only`` (only the PnP
    pseudo reader says the list changed; the reader's own state is stale).
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.plugged = True
        self.contexts = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(real_scard, name)  # constants and messages as pyscard has them

    def unplug(self) -> None:
        with self._lock:
            self.plugged = False

    def plug(self) -> None:
        with self._lock:
            self.plugged = True

    def SCardEstablishContext(self, scope: int) -> tuple[int, int]:  # noqa: N802
        self.contexts += 1
        return S.SCARD_S_SUCCESS, 1000 + self.contexts

    def SCardReleaseContext(self, context: int) -> int:  # noqa: N802
        return S.SCARD_S_SUCCESS

    def SCardCancel(self, context: int) -> int:  # noqa: N802
        return S.SCARD_S_SUCCESS

    def SCardListReaders(self, context: int, groups: list) -> tuple[int, list[str]]:  # noqa: N802
        with self._lock:
            if self.plugged:
                return S.SCARD_S_SUCCESS, [READER]
        return S.SCARD_E_NO_READERS_AVAILABLE, []

    def _current(self, name: str) -> int:
        if name == PNP_READER:
            if self.mode == "state_unknown":
                return 1 << 16  # a PnP pseudo reader that never tells: only polling notices
            return (1 if self.plugged else 0) << 16  # pcsc-lite: the reader count, high word
        if self.plugged or self.mode == "pnp_only":
            return S.SCARD_STATE_EMPTY  # pnp_only: the stale answer some drivers give
        return S.SCARD_STATE_UNKNOWN | S.SCARD_STATE_IGNORE

    def SCardGetStatusChange(self, context: int, timeout_ms: int, states: list):  # noqa: N802
        with self._lock:
            names = [name for name, _known in states]
            if READER in names and not self.plugged and self.mode == "unknown_reader":
                return S.SCARD_E_UNKNOWN_READER, []
            answer, changed = [], False
            for name, known in states:
                current = self._current(name)
                if current != known & ~S.SCARD_STATE_CHANGED:
                    changed = True
                    current |= S.SCARD_STATE_CHANGED
                answer.append((name, current, []))
        if changed:
            return S.SCARD_S_SUCCESS, answer
        time.sleep(min(timeout_ms, 20) / 1000)
        return S.SCARD_E_TIMEOUT, [(name, known, []) for name, known in states]


@pytest.mark.parametrize("mode", ["unknown_reader", "state_unknown", "pnp_only"])
def test_reader_pulled_with_pcscd_running_and_plugged_back(monkeypatch, mode):
    fake = UnpluggableScard(mode)
    monkeypatch.setattr(card_reader_module, "scard", fake)
    seen = StateRecorder()
    service = CardReaderService(seen, allow_test_cards=True, poll_ms=50)
    service.start()
    try:
        seen.wait_for("no_card")
        fake.unplug()
        gone = seen.wait_for("no_reader", timeout=2)
        assert gone.detail == "no reader connected"
        assert fake.contexts == 1, "a reader leaving is not pcscd failing: the context is kept"
        mark = len(seen.states)
        fake.plug()
        back = seen.wait_for("no_card", after=mark, timeout=2)
        assert back.reader == READER
        assert seen.statuses == ["no_card", "no_reader", "no_card"]
        assert fake.contexts == 1
    finally:
        service.stop()
    assert not service._thread  # stopped cleanly


def test_named_reader_unplugged_leaves_no_reader_even_if_others_remain(monkeypatch):
    fake = UnpluggableScard("state_unknown")
    monkeypatch.setattr(card_reader_module, "scard", fake)
    seen = StateRecorder()
    service = CardReaderService(seen, reader_name="Some Other Reader", poll_ms=50)
    service.start()
    try:
        assert seen.wait_for("no_reader").detail == "no reader connected"
        time.sleep(0.2)
        assert seen.statuses == ["no_reader"]  # the fake's reader is not the configured one
    finally:
        service.stop()

"""Card timings with the virtual card through a real private pcscd + vpcd.

Medians over repeated runs of:
  - PC/SC reports the card -> status ready: the kiosk's own share (target <= 100 ms);
  - card inserted (socket connect) -> ready, end to end (target <= 0.6 s; pcscd's
    ~400 ms polling of vpcd dominates, real CCID readers report faster);
  - PIN verify + challenge sign (VERIFY, MSE:SET, INTERNAL AUTHENTICATE);
  - certificate read (cold, ~1 KB in chunks);
  - card removed -> status no_card.

Needs root (private pcscd in a mount namespace). Run: .venv/bin/python bench/card_login.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE = Path(tempfile.mkdtemp(prefix="kiosk-bench-card-"))
os.environ["PCSCLITE_CSOCK_NAME"] = str(BASE / "run" / "pcscd.comm")  # before any PC/SC call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.card_reader import CardReaderService, ReaderState  # noqa: E402
from devices.pcsc_stack import PcscStack, can_run_private_pcscd, pick_port  # noqa: E402
from devices.virtual_card import VirtualCard  # noqa: E402
from kiosk.testpki import TestPki  # noqa: E402


class Waiter:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.last: ReaderState | None = None
        self.at = 0.0

    def __call__(self, state: ReaderState) -> None:
        with self.cond:
            self.last, self.at = state, time.monotonic()
            self.cond.notify_all()

    def wait(self, status: str, timeout: float = 5.0) -> tuple[ReaderState, float]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.last is None or self.last.status.value != status:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(status)
                self.cond.wait(left)
            return self.last, self.at


def ms(values: list[float]) -> str:
    low, high = min(values) * 1000, max(values) * 1000
    return f"median {statistics.median(values) * 1000:7.1f} ms  (min {low:.1f}, max {high:.1f})"


def main(runs: int = 15) -> int:
    reason = can_run_private_pcscd()
    if reason:
        print(f"card bench skipped: {reason}")
        return 0
    pki = TestPki(BASE / "pki")
    pki.make_demo()
    stack = PcscStack(BASE / "run", pick_port(os.getpid()))
    stack.start()
    waiter = Waiter()
    service = CardReaderService(waiter, allow_test_cards=True)
    service.start()
    share, end_to_end, pin_sign, cert_read, removal = [], [], [], [], []
    try:
        waiter.wait("no_card")
        for _ in range(runs):
            card = VirtualCard.from_pki(pki.dir, "citizen", "1234", stack.port)
            inserted = time.monotonic()
            card.insert()
            state, ready_at = waiter.wait("ready")
            end_to_end.append(ready_at - inserted)
            assert service.card_seen_at is not None
            share.append(ready_at - service.card_seen_at)
            eid = state.card
            started = time.monotonic()
            eid.read_auth_certificate()
            cert_read.append(time.monotonic() - started)
            started = time.monotonic()
            assert eid.verify_pin(bytearray(b"1234")).ok
            eid.sign(os.urandom(32))
            pin_sign.append(time.monotonic() - started)
            removed = time.monotonic()
            card.remove()
            _, gone_at = waiter.wait("no_card")
            removal.append(gone_at - removed)
            stack.wait_slot_empty()
    finally:
        service.stop()
        stack.stop()
    print(f"card bench, {runs} runs, virtual card over private pcscd + vpcd:")
    print(f"  PC/SC reports card -> ready (kiosk share): {ms(share)}   target <= 100 ms")
    print(f"  card inserted -> ready (end to end):      {ms(end_to_end)}   target <= 600 ms")
    print(f"  certificate read (cold):                  {ms(cert_read)}")
    print(f"  PIN verify + challenge sign:              {ms(pin_sign)}")
    print(f"  card removed -> no_card:                  {ms(removal)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15))

"""Faults the simulator can inject, so tests reproduce a bad day at the portal.

`drop_after_process` is the one that matters most: the portal stores a
submission and the answer never arrives, which is exactly how duplicates
are made unless idempotency keys hold.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

MODES = ("none", "down", "slow", "error500", "unavailable503", "drop_after_process",
         "timeout408", "throttle429")


class FaultError(ValueError):
    """A fault request that cannot be applied."""


@dataclass(frozen=True)
class Fault:
    mode: str = "none"
    delay_s: float = 0.0
    retry_after_s: int = 5
    count: int | None = None  # None: every request until cleared


class Faults:
    """The active fault, shared by all handler threads; each hit uses up one of ``count``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault = Fault()
        self._left: int | None = None
        self.hits = 0

    def set(self, mode: str, delay_s: float = 0.0, retry_after_s: int = 5,
            count: int | None = None) -> Fault:
        if mode not in MODES:
            raise FaultError(f"mode must be one of {', '.join(MODES)}")
        if delay_s < 0 or delay_s > 120 or retry_after_s < 0 or (count is not None and count < 1):
            raise FaultError("delay_s must be 0..120, retry_after_s >= 0 and count >= 1")
        with self._lock:
            self._fault = Fault(mode, float(delay_s), int(retry_after_s), count)
            self._left = count
            self.hits = 0
        return self._fault

    def current(self) -> Fault:
        with self._lock:
            return self._fault

    def take(self) -> Fault:
        """The fault for the request now arriving (using up one count), or no fault."""
        with self._lock:
            fault = self._fault
            if fault.mode == "none":
                return fault
            self.hits += 1
            if self._left is not None:
                self._left -= 1
                if self._left <= 0:
                    self._fault, self._left = Fault(), None
            return fault

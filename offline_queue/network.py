"""Is the portal reachable? A background health check that does not flap.

The kiosk shows "working offline" and the forwarder holds back when the
portal's health endpoint stops answering; one lost packet on a justice
house's line must not flip the whole hall's screens, so going offline
takes ``failures_to_offline`` failed checks in a row, while one good answer
is enough to come back (being wrongly online costs one failed attempt,
being wrongly offline delays every citizen's receipt).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kiosk.logs import event

log = logging.getLogger("kiosk.network")


class NetworkMonitor:
    """Polls ``check`` (e.g. ``PortalClient.health``) every ``interval_s`` seconds."""

    def __init__(self, check: Callable[[], Any], interval_s: float = 15.0, *,
                 failures_to_offline: int = 2, initially_online: bool = True) -> None:
        self._check = check
        self.interval_s = interval_s
        self.failures_to_offline = failures_to_offline
        self._online = initially_online
        self._failures = 0
        self._lock = threading.Lock()  # check_now() may run on two threads at once
        self._listeners: list[Callable[[bool], None]] = []
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_online(self) -> bool:
        return self._online

    def subscribe(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """``listener(online)`` on every change, from the monitor's thread; returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def check_now(self) -> bool:
        """Check at once on the caller's thread (a technician's button); return the state."""
        reason = ""
        try:
            self._check()
            ok = True
        except Exception as exc:  # any failure to answer counts; its kind goes to the log
            ok = False
            reason = type(exc).__name__
        with self._lock:
            was = self._online
            if ok:
                self._failures = 0
                self._online = True
            else:
                self._failures += 1
                if self._failures >= self.failures_to_offline:
                    self._online = False
            now = self._online
        if now != was:
            if now:
                event(log, "portal reachable again")
            else:
                event(log, "portal unreachable; working offline", reason=reason,
                      failures=self._failures)
            for listener in list(self._listeners):
                try:
                    listener(now)
                except Exception:
                    log.exception("network listener failed")
        return now

    def start(self) -> NetworkMonitor:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="network-monitor", daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Ask the monitor thread to check now instead of at its next interval."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.check_now()
            self._wake.wait(self.interval_s)
            self._wake.clear()

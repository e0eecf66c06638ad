"""The heartbeat: every N seconds, tell the portal this kiosk is alive and how it is.

The portal's fleet dashboard shows which kiosks are up, their queues,
printers and readers, and their visits, logins by result and submissions
by outcome (the Prometheus endpoint's own counts: `kiosk.tally`), from
these beats. The thread is a daemon with its own
PortalClient (requests sessions are not shared between threads here), and
every call is bounded by the client's time-outs, so a dead portal costs
this thread time and nobody else any.

A kiosk offline for a day would otherwise log 1 440 identical failures;
the log says "heartbeat failing" once when beats start failing (or the
error's kind changes) and "heartbeat restored" once when they come back.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kiosk.logs import event
from kiosk.metrics import PortalProbe, Sources

log = logging.getLogger("kiosk.heartbeat")


class Heartbeat:
    """Sends ``sources.summary()`` with ``client.heartbeat`` every ``interval_s`` seconds.

    With a ``probe`` (sharing ``client``), each beat first measures the
    portal's latency, so the summary, the metrics and the maintenance screen
    all show the same, fresh number.
    """

    def __init__(self, client: Any, sources: Sources, interval_s: float = 60.0,
                 probe: PortalProbe | None = None) -> None:
        self.client = client
        self.sources = sources
        self.interval_s = interval_s
        self.probe = probe
        self.sent = 0
        self.failed = 0
        self.failing: str | None = None  # error kind while beats fail, else None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Heartbeat:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.beat_once()
            self._stopping.wait(self.interval_s)

    def beat_once(self) -> bool:
        """One beat on the caller's thread; True when the portal took it. Never raises."""
        try:
            if self.probe is not None:
                self.probe.probe()
            self.client.heartbeat(self.sources.summary())
        except Exception as exc:  # any failure is the same to a heartbeat: try again later
            kind = type(exc).__name__
            if self.failing != kind:
                event(log, "heartbeat failing", error=kind, interval_s=self.interval_s)
                self.failing = kind
            self.failed += 1  # last: a reader that sees the count also sees the kind
            return False
        self.sent += 1
        if self.failing is not None:
            event(log, "heartbeat restored", failed_beats=self.failed)
            self.failing = None
        return True


def start_heartbeat(controller: Any, interval_s: float = 60.0, audit: Any = None
                    ) -> tuple[Heartbeat, PortalProbe]:
    """The kiosk's heartbeat with its own client; stopped with the controller.

    Returns the probe too, for `kiosk.metrics.start_metrics` and the
    maintenance screen to share.
    """
    from kiosk.portal.client import PortalClient

    config = controller.config
    client = PortalClient(config.portal.url, config.portal.ca_bundle, config.portal.connect_timeout_s,
                          min(config.portal.read_timeout_s, 10.0), kiosk_id=config.kiosk.id)
    probe = PortalProbe(client.health)
    beat = Heartbeat(client, Sources.from_controller(controller, probe, audit), interval_s, probe)
    controller.parts.extra_stop += [beat.stop, client.close]
    return beat.start(), probe

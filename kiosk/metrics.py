"""Fleet numbers: a Prometheus endpoint on 127.0.0.1, and the summary the heartbeat sends.

A fleet tool scrapes each kiosk through an SSH tunnel or a local agent, so
the endpoint listens on 127.0.0.1 only (never 0.0.0.0: a justice house's LAN
is not the fleet's network) on ``maintenance.metrics_port``; 0 turns it off.
It uses its own CollectorRegistry, so nothing another library registers in
the global one leaks out, and tests can run many side by side.

Visits, logins by result and submissions by outcome are counted by the
controller's one `kiosk.tally.Tally` (rules there); the endpoint and the
heartbeat's summary both read it, so they always agree.

Labels only ever take values from fixed sets (statuses, results): no label
can carry a name, a personal number or a reference.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Info
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import start_http_server

from kiosk import __version__
from kiosk.tally import Tally

log = logging.getLogger("kiosk.metrics")

PRINTER_STATUSES = ("ready", "near_end", "paper_out", "cover_open", "offline")
READER_STATUSES = ("no_reader", "no_card", "card_error", "unknown_card", "ready")


class PortalProbe:
    """The portal's last health round trip, shared by the heartbeat, metrics and maintenance.

    ``check`` is e.g. ``PortalClient.health`` (returns seconds, raises when
    down). The client must be this probe's own: requests sessions are not
    shared across threads in this kiosk.
    """

    def __init__(self, check: Callable[[], float]) -> None:
        self._check = check
        self._lock = threading.Lock()
        self.up: bool | None = None  # None: not asked yet
        self.latency_s: float | None = None
        self.error: str = ""
        self.checked_at: float | None = None  # monotonic

    def probe(self) -> bool:
        """Ask now, on the caller's thread (bounded by the client's time-outs)."""
        try:
            latency = float(self._check())
            up, error = True, ""
        except Exception as exc:  # any failure means "not reachable"; the kind is enough
            latency, up, error = None, False, type(exc).__name__
        with self._lock:
            self.up, self.latency_s, self.error, self.checked_at = up, latency, error, time.monotonic()
        return up


@dataclass
class Sources:
    """Where the fleet numbers come from; every part is optional."""

    kiosk_id: str = "unknown"
    status: Callable[[], Any] | None = None  # -> DeviceStatus
    outbox: Any = None
    probe: PortalProbe | None = None
    audit: Any = None  # AuditLog: its head goes to the portal as an off-kiosk witness
    tally: Tally = field(default_factory=Tally)
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    def from_controller(cls, controller: Any, probe: PortalProbe | None = None,
                        audit: Any = None) -> Sources:
        return cls(kiosk_id=controller.config.kiosk.id, status=lambda: controller.status,
                   outbox=controller.parts.outbox, probe=probe, audit=audit, tally=Tally.of(controller))

    def uptime_s(self) -> float:
        return time.monotonic() - self.started_at

    def queue(self) -> dict[str, Any]:
        """Depth (pending + in flight), oldest age and dead letters; None values if unknown."""
        if self.outbox is None:
            return {"depth": None, "oldest_age_s": None, "dead": None}
        try:
            stats = self.outbox.stats()
        except Exception as exc:  # a locked or damaged outbox must not break a scrape
            log.warning("queue statistics unavailable: %s", type(exc).__name__)
            return {"depth": None, "oldest_age_s": None, "dead": None}
        # In-flight entries are still `pending` rows (the outbox only marks them in memory).
        return {"depth": stats.get("pending", 0),
                "oldest_age_s": stats.get("oldest_pending_age_s"), "dead": stats.get("dead", 0)}

    def device(self) -> tuple[str, str, bool | None]:
        if self.status is None:
            return "unknown", "unknown", None
        status = self.status()
        return str(status.printer), str(status.reader), bool(status.network_online)

    def portal(self) -> tuple[bool | None, float | None]:
        if self.probe is not None and self.probe.up is not None:
            return self.probe.up, self.probe.latency_s
        return self.device()[2], None

    def summary(self) -> dict[str, Any]:
        """The heartbeat's body: the machine's state, never a citizen's."""
        printer, reader, _online = self.device()
        up, latency = self.portal()
        queue = self.queue()
        summary: dict[str, Any] = {
            "kiosk_id": self.kiosk_id, "version": __version__, "uptime_s": round(self.uptime_s()),
            "queue_depth": queue["depth"], "queue_oldest_age_s": _round(queue["oldest_age_s"]),
            "queue_dead": queue["dead"], "printer": printer, "reader": reader, "portal_up": up,
            "portal_latency_ms": None if latency is None else round(latency * 1000, 1),
            **self.tally.snapshot(),
        }
        if self.audit is not None:
            head = self.audit.head()
            summary["audit_head"] = None if head is None else {"seq": head[0], "hash": head[1]}
        return summary


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class _ScrapeTimeCollector:
    """Queue and portal gauges read when Prometheus asks, so they are never stale."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = self.sources.queue()
        oldest = None if queue["depth"] is None else queue["oldest_age_s"] or 0.0
        metrics = [
            ("kiosk_queue_depth", "Submissions waiting to be sent (in flight included).", queue["depth"]),
            ("kiosk_queue_oldest_age_seconds", "Age of the oldest waiting submission (0: none).",
             oldest),
            ("kiosk_queue_dead", "Dead letters waiting for a technician.", queue["dead"]),
        ]
        up, latency = self.sources.portal()
        metrics += [("kiosk_portal_up", "1 when the portal answered its last health check.",
                     None if up is None else float(up)),
                    ("kiosk_portal_latency_seconds", "The last health check's round trip.", latency)]
        for name, doc, value in metrics:
            if value is not None:  # unknown is absent, not a misleading 0
                yield GaugeMetricFamily(name, doc, value=float(value))

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # unknown until scraped; keeps registration from calling collect()


class _CountCollector:
    """The tally's counts as Prometheus counters, read when Prometheus asks."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = self.sources.tally.snapshot()
        yield CounterMetricFamily("kiosk_visits", "Visits started (the attract screen left).",
                                  value=counts["visits"])
        for name, doc, label, values in (
                ("kiosk_logins", "Login attempts by result.", "result", counts["logins"]),
                ("kiosk_submissions", "Submissions by outcome.", "outcome", counts["submissions"])):
            family = CounterMetricFamily(name, doc, labels=[label])
            for key, value in values.items():
                family.add_metric([key], value)
            yield family

    def describe(self) -> Iterator[CounterMetricFamily]:
        return iter(())


class KioskMetrics:
    """The controller's counts (its tally) and status gauges, served over HTTP; gauges read at scrape time."""

    def __init__(self, controller: Any = None, *, sources: Sources | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sources = sources or (Sources.from_controller(controller) if controller is not None
                                   else Sources())
        r = self.registry
        self.printer = Gauge("kiosk_printer_status", "1 for the printer's current status.", ["status"],
                             registry=r)
        self.reader = Gauge("kiosk_reader_status", "1 for the card reader's current status.", ["status"],
                            registry=r)
        self.network = Gauge("kiosk_network_online", "1 when the kiosk believes the portal reachable.",
                             registry=r)
        uptime = Gauge("kiosk_uptime_seconds", "Seconds since the kiosk started.", registry=r)
        uptime.set_function(self.sources.uptime_s)
        Info("kiosk_version", "The kiosk's software version.", registry=r).info(
            {"version": __version__, "kiosk_id": self.sources.kiosk_id})
        r.register(_CountCollector(self.sources))
        r.register(_ScrapeTimeCollector(self.sources))
        self._seen = {"printer": set(PRINTER_STATUSES), "reader": set(READER_STATUSES)}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        if controller is not None:
            self.attach(controller)

    # ------------------------------------------------------------------ feeding
    def attach(self, controller: Any) -> None:
        """Count the controller's events (its one shared tally) and follow its device status."""
        self.sources.tally = Tally.of(controller)
        controller.subscribe_status(self.on_status)
        self.on_status(controller.status)

    def on_status(self, status: Any) -> None:
        _one_hot(self.printer, self._seen["printer"], str(status.printer))
        _one_hot(self.reader, self._seen["reader"], str(status.reader))
        self.network.set(1.0 if status.network_online else 0.0)

    # ------------------------------------------------------------------ serving
    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Listen on ``host:port`` (port 0: any free one, for tests); returns the port."""
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the metrics endpoint listens on loopback only")
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        bound = int(self._server.server_port)
        log.info("metrics on http://%s:%d/metrics", host, bound)
        return bound

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def start_metrics(config: Any, controller: Any, probe: PortalProbe | None = None,
                  audit: Any = None) -> KioskMetrics | None:
    """The kiosk's metrics as configured: None when ``maintenance.metrics_port`` is 0.

    A port already taken is logged, not raised: a kiosk must serve citizens
    even if its metrics cannot be served.
    """
    port = int(config.maintenance.metrics_port)
    if port == 0:
        return None
    metrics = KioskMetrics(sources=Sources.from_controller(controller, probe, audit))
    metrics.attach(controller)
    try:
        metrics.serve(port)
    except OSError as exc:
        log.error("metrics endpoint not started on 127.0.0.1:%d: %s", port, exc.strerror)
        return None
    return metrics


def _one_hot(gauge: Gauge, seen: set[str], current: str) -> None:
    """1 for ``current``, 0 for every status seen before (a status this build does
    not know still shows up, and goes back to 0 when it passes)."""
    seen.add(current)
    for value in seen:
        gauge.labels(value).set(1.0 if value == current else 0.0)

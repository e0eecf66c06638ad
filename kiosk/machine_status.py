"""The machine's side of the controller: device statuses, the catalog, systemd's notifications.

What the screens show about the kiosk itself (reader, printer, network,
queue, disk) changes on many threads: the card reader's, the network
monitor's, the forwarder's, the printer poll. Each change goes through
``_set_status`` under one lock and reaches the listeners only when the
status really changed. Kept apart from kiosk/controller.py, which conducts
the visit; `KioskController` mixes this in and owns the attributes used here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from kiosk.logs import event
from kiosk.portal.errors import PortalError
from kiosk.session import State

log = logging.getLogger("kiosk.controller")


@dataclass(frozen=True)
class DeviceStatus:
    """What the screens show about the machine itself (never personal data)."""

    reader: str = "no_reader"  # no_reader, no_card, card_error, unknown_card, ready
    printer: str = "offline"  # ready, near_end, paper_out, cover_open, offline
    network_online: bool = False
    queue_pending: int = 0
    can_accept: bool = True  # False when the disk is too full to take a submission


class MachineStatus:
    """Device statuses, catalog refresh and the systemd pings (mixed into `KioskController`)."""

    # Set by KioskController.__init__.
    config: Any
    parts: Any
    machine: Any
    notifier: Any
    catalog: Any
    status: DeviceStatus
    _status_listeners: list[Callable[[DeviceStatus], None]]
    _status_lock: threading.Lock
    _catalog_listeners: list[Callable[[Any], None]]
    _last_ping: float
    _stopped: threading.Event
    _printer_wake: threading.Event
    _requests: Any
    _work: Callable[..., None]

    # ------------------------------------------------------------ systemd
    def window_shown(self) -> None:
        """The first frame is on screen: tell systemd the kiosk is up."""
        self.notifier.ready("serving citizens" if self.machine.state != State.OUT_OF_SERVICE
                            else f"out of service: {self.machine.reason}")

    def main_loop_alive(self) -> None:
        """Called from the UI's main loop (about once a second): the watchdog ping.

        From the main loop on purpose: a frozen screen stops the pings and
        systemd restarts the kiosk.
        """
        interval = self.notifier.watchdog_interval_s()
        now = time.monotonic()
        if interval is not None and now - self._last_ping >= min(interval, 5.0):
            self._last_ping = now
            self.notifier.ping()

    # ------------------------------------------------------------ statuses
    def subscribe_status(self, listener: Callable[[DeviceStatus], None]) -> None:
        self._status_listeners.append(listener)

    def _set_status(self, **changes: Any) -> None:
        with self._status_lock:
            new = replace(self.status, **changes)
            if new == self.status:
                return
            self.status = new
        tell(self._status_listeners, new, "status")

    def card_reader_missing(self) -> bool:
        """Whether the card reader service finds no reader (unplugged, or pcscd lost it).

        What the attract screen tells a citizen, so that nobody stands there
        pushing a card into a reader that cannot see it. A kiosk built
        without a reader service (password logins only) never says so.
        """
        return self.parts.reader is not None and self.status.reader == "no_reader"

    def _on_network(self, online: bool) -> None:
        self._set_status(network_online=bool(online))
        if online:
            self._work(self.refresh_catalog)
            visit = self.machine.visit
            if visit.token and "transactions_error" in visit.data:
                # The page said "cannot be shown now": now it can.
                self._work(self._requests.fetch, visit)

    def refresh_catalog(self) -> None:
        """Ask the portal for a newer catalog (If-None-Match); keep the last good one.

        A kiosk that boots offline shows its cached or bundled copy; a bad
        document from the network is refused and never replaces a good one.
        """
        store, portal = self.parts.catalog_store, self.parts.portal
        if store is None or portal is None:
            return
        try:
            document, etag = portal.catalog(store.etag)
            if document is not None and etag:
                self.catalog = self.parts.catalog = store.update(document, etag)
                self._catalog_changed(self.catalog)
        except PortalError as exc:
            event(log, "catalog not refreshed", error=type(exc).__name__)
        except (ValueError, OSError) as exc:  # CatalogError is a ValueError; a full disk an OSError
            event(log, "catalog from the portal refused", error=type(exc).__name__, detail=str(exc)[:200])

    def subscribe_catalog(self, listener: Callable[[Any], None]) -> None:
        """``listener(catalog)`` when a newer catalog replaces the current one, on a worker thread.

        The screens build their lists and forms from the catalog ahead of the
        first citizen; a new catalog means building them again.
        """
        self._catalog_listeners.append(listener)

    def _catalog_changed(self, catalog: Any) -> None:
        tell(self._catalog_listeners, catalog, "catalog")

    def _refresh_queue_status(self) -> None:
        outbox = self.parts.outbox
        if outbox is None:
            return
        try:
            pending = outbox.count("pending") + outbox.count("in_flight")
            can_accept = outbox.can_accept(self.config.storage.min_free_mb)
        except Exception:
            log.exception("queue status unavailable")
            return
        self._set_status(queue_pending=pending, can_accept=can_accept)

    def _poll_printer(self) -> None:
        while not self._stopped.is_set():
            printer = self.parts.printer
            if printer is not None:
                try:
                    self._set_status(printer=str(printer.status(timeout_s=0.5)))
                except Exception:
                    self._set_status(printer="offline")
            self._printer_wake.wait(5.0)
            self._printer_wake.clear()


def tell(listeners: list[Callable[[Any], None]], value: Any, what: str) -> None:
    """Call each listener with ``value``; one that fails is logged and the others still hear."""
    for listener in list(listeners):
        try:
            listener(value)
        except Exception:
            log.exception("%s listener failed", what)

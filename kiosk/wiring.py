"""Builds the controller's real parts from the configuration.

Kept apart from the controller so that the controller's rules can be
tested with any parts, and so that `kiosk run`, `kiosk demo` and the
end-to-end tests assemble the kiosk the same way. A part that cannot be
built (a printer that is not plugged in, a missing portal key) is logged
and left out: the kiosk still starts and says what is missing, because a
kiosk that crashes at boot is a kiosk in a restart loop.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.controller import KioskController, Parts
from kiosk.logs import event

log = logging.getLogger("kiosk.wiring")


def _try(what: str, build: Any) -> Any:
    try:
        return build()
    except Exception as exc:
        event(log, "part unavailable", part=what, error=type(exc).__name__, detail=str(exc)[:200])
        return None


def build_parts(config: Config) -> Parts:
    from kiosk.catalog import CatalogStore
    from kiosk.portal.client import PortalClient

    storage = Path(config.storage.dir)
    storage.mkdir(parents=True, exist_ok=True, mode=0o700)

    def client() -> PortalClient:
        return PortalClient(config.portal.url, config.portal.ca_bundle, config.portal.connect_timeout_s,
                            config.portal.read_timeout_s, kiosk_id=config.kiosk.id)

    # One client per thread that uses it: requests' Session is not meant to be
    # shared between threads, and the forwarder and the UI's workers run apart.
    portal = client()
    store = CatalogStore(storage)
    parts = Parts(portal=portal, catalog=store.current(), catalog_store=store)
    parts.extra_stop.append(portal.close)

    from offline_queue.forwarder import Forwarder
    from offline_queue.network import NetworkMonitor
    from offline_queue.outbox import Outbox

    health_client = client()
    parts.network = NetworkMonitor(health_client.health, interval_s=10.0)
    parts.extra_stop.append(health_client.close)
    parts.outbox = _try("outbox", lambda: Outbox.from_config(config))
    if parts.outbox is not None:
        forwarder_client = client()
        parts.forwarder = Forwarder(parts.outbox, forwarder_client, parts.network)
        parts.extra_stop += [forwarder_client.close, parts.outbox.close]

    from devices.printer import Printer

    parts.printer = _try("printer", lambda: Printer.from_config(config))
    parts.journal = _try("receipt journal", lambda: _journal(config))
    return parts


def _journal(config: Config) -> Any:
    from kiosk.receipt_journal import ReceiptJournal

    return ReceiptJournal(config.storage.dir)


def _attach_card(controller: KioskController, config: Config) -> None:
    """The card reader service and the card login, reporting to ``controller``."""
    try:
        from devices.card_reader import CardReaderService
        from kiosk.login import card_login_function
    except ImportError as exc:
        event(log, "card part unavailable", error=str(exc))
        return
    controller.parts.login = card_login_function(config)
    controller.parts.reader = CardReaderService(
        lambda state: controller.on_reader_status(state.status, state.card, state.card_session_id),
        reader_name=config.reader.name,
        allow_test_cards=config.reader.allow_virtual_reader,
    )


def build_controller(config: Config, parts: Parts | None = None) -> KioskController:
    controller = KioskController(config, parts if parts is not None else build_parts(config))
    if controller.parts.reader is None:
        _attach_card(controller, config)
    return controller

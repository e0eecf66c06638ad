"""The service desk: what happens between "confirm" and the result screen.

Every submission goes through the outbox first (write-ahead), online or
not, and the citizen sees "accepted" only after that durable commit. When
the portal answers within a moment the result says "reached the portal";
otherwise "waiting to be sent", and the forwarder delivers it later. Then
the receipt: journal first, then the printer; if the printer cannot print,
the receipt is shown on screen with its QR code instead.

Payments and lookups (fines, tax debt, utility bills) are never queued:
they need the portal's answer now, so offline they are refused with a
plain reason the screens turn into words.

Runs on the controller's worker threads; reports through the machine.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

from kiosk.forms import validate
from kiosk.i18n import translate
from kiosk.logs import event
from kiosk.payments import PortalPayments
from kiosk.portal.errors import PortalError, PortalOffline, PortalRejected, SessionExpired

log = logging.getLogger("kiosk.desk")
DELIVERY_WAIT_S = 2.5  # how long the result screen waits for "reached the portal"


class ServiceDesk:
    def __init__(self, controller: Any) -> None:
        self.controller = controller

    @property
    def parts(self) -> Any:
        return self.controller.parts

    @property
    def visit(self) -> Any:
        return self.controller.machine.visit

    def service(self) -> Any:
        catalog = self.controller.catalog
        if catalog is None or not self.visit.service_id:
            return None
        return catalog.service(self.visit.service_id)

    # ------------------------------------------------------------ the form
    def check_form(self, values: dict[str, Any], language: str) -> dict[str, str]:
        """Field name -> message in ``language``; empty when the form may be confirmed."""
        service = self.service()
        if service is None:
            return {"": translate(language, "This service is not available now.")}
        result = validate(service.form, values, catalog=self.controller.catalog)
        if not result.ok:
            return {name: error.text(language) for name, error in result.errors.items()}
        self.controller.machine.form_completed(result.values)
        return {}

    def refusal_before_form(self) -> str | None:
        """Why this service cannot be used now (said before the citizen types), or None."""
        service = self.service()
        status = self.controller.status
        if service is None:
            return "service_unavailable"
        if not service.queueable and (not status.network_online or self.visit.offline):
            return "online_only_offline"
        if service.queueable and not status.can_accept:
            return "disk_full"
        return None

    # ------------------------------------------------------------ submitting
    def submit(self) -> None:
        """Runs on a worker after CONFIRM -> SUBMITTING."""
        machine, service = self.controller.machine, self.service()
        if service is None:
            machine.submission_failed("service_unavailable")
            return
        if service.kind == "lookup_payment":
            self._pay(service)
            return
        outbox = self.parts.outbox
        if outbox is None or not outbox.can_accept(self.controller.config.storage.min_free_mb):
            machine.submission_failed("disk_full")
            return
        request = {
            "service_id": service.id,
            "values": dict(self.visit.form_values),
            "personal_number": self.visit.citizen.get("personal_number"),
            "language": self.controller.translator.language,
        }
        watcher = _DeliveryWatcher(self.parts.forwarder)
        try:
            entry = outbox.enqueue(request, sign_with_card=self._card_signer())
        except Exception as exc:
            watcher.close()
            event(log, "enqueue failed", error=type(exc).__name__)
            machine.submission_failed("store_failed")
            return
        event(log, "submission accepted", service=service.id, local_ref=entry.local_ref)
        if self.parts.forwarder is not None:
            self.parts.forwarder.send_now()
        wait_s = DELIVERY_WAIT_S if self.controller.status.network_online else 0.2
        portal_ref = watcher.wait_for(entry.local_ref, wait_s)
        watcher.close()
        result = {"service_id": service.id, "local_ref": entry.local_ref,
                  "status": "delivered" if portal_ref else "queued", "portal_ref": portal_ref}
        self._finish(service, result)

    def _card_signer(self) -> Any:
        """The citizen's card signs the request digest while it is in and the PIN verified."""
        card = self.controller.current_card()
        if card is None or self.visit.login_method != "card":
            return None
        cache: dict[str, bytes] = {}

        def sign(data: bytes) -> tuple[bytes, bytes]:
            if "certificate" not in cache:
                cache["certificate"] = card.read_auth_certificate()
            return cache["certificate"], card.sign(data)

        return sign

    # ------------------------------------------------------------ payments
    def lookup(self) -> None:
        """Fetch the citizen's unpaid items for a lookup_payment service (online only)."""
        service, portal, token = self.service(), self.parts.portal, self.visit.token
        data = self.controller.visit_data
        data.pop("lookup", None)
        if service is None or service.kind != "lookup_payment":
            return
        if portal is None or token is None or self.visit.offline:
            data["lookup_error"] = "online_only_offline"
        else:
            try:
                data["lookup"] = portal.lookup(token, service.lookup).get("items", [])
                data.pop("lookup_error", None)
            except PortalOffline:
                data["lookup_error"] = "online_only_offline"
            except SessionExpired:
                data["lookup_error"] = "session_expired"
            except PortalError:
                data["lookup_error"] = "portal_error"
        self.controller.visit_data_changed("lookup")

    def _pay(self, service: Any) -> None:
        machine, portal, token = self.controller.machine, self.parts.portal, self.visit.token
        items = [i for i in self.controller.visit_data.get("lookup", [])
                 if i.get("id") in set(self.visit.form_values.get("item_ids", []))]
        if portal is None or token is None or self.visit.offline:
            machine.submission_failed("online_only_offline")
            return
        if not items:
            machine.submission_failed("nothing_selected")
            return
        amount = sum((Decimal(str(i["amount_gel"])) for i in items), Decimal("0"))
        fee = Decimal(service.fee_gel or "0")
        key = self.controller.visit_data.setdefault("payment_key", str(uuid.uuid4()))
        try:
            payments = self.parts.payments or PortalPayments(portal)
            answer = payments.authorise(token, idempotency_key=key, kind=service.lookup,
                                        item_ids=[i["id"] for i in items], amount_gel=f"{amount:.2f}",
                                        fee_gel=f"{fee:.2f}")
        except PortalOffline:
            # Never queued: the citizen is told, and may try again (same key, so no double charge).
            machine.submission_failed("online_only_offline")
            return
        except PortalRejected as exc:
            machine.submission_failed(exc.code or "payment_rejected")
            return
        except PortalError:
            machine.submission_failed("portal_error")
            return
        self.controller.visit_data.pop("payment_key", None)
        approved = answer.get("status") == "approved"
        result = {"service_id": service.id, "local_ref": answer.get("reference") or key[:8],
                  "status": "payment_approved" if approved else "payment_declined",
                  "portal_ref": answer.get("reference"), "reason": answer.get("reason"),
                  "amounts": [(i.get("description", ""), str(i["amount_gel"])) for i in items],
                  "fee": f"{fee:.2f}"}
        self._finish(service, result)

    # ------------------------------------------------------------ the receipt
    def _finish(self, service: Any, result: dict[str, Any]) -> None:
        result.update(self._issue_receipt(service, result))
        self.controller.machine.submission_done(result)

    def build_receipt(self, service: Any, result: dict[str, Any]) -> Any:
        from devices.receipt import Receipt

        config, language = self.controller.config, self.controller.translator.language
        citizen = self.visit.citizen
        track = config.portal.track_url + (result.get("portal_ref") or result["local_ref"])
        return Receipt(
            site_name=config.kiosk.site_name, kiosk_id=config.kiosk.id,
            created_at=dt.datetime.now(dt.UTC), language=language,
            service_name=service.name(language),
            citizen_name=" ".join(filter(None, (citizen.get("given_name"), citizen.get("surname")))),
            personal_number=str(citizen.get("personal_number") or ""),
            local_reference=result["local_ref"], status=result["status"],
            amounts=tuple(result.get("amounts", ())), fee=Decimal(result.get("fee", "0")),
            portal_reference=result.get("portal_ref"), tracking_url=track,
        )

    def _issue_receipt(self, service: Any, result: dict[str, Any]) -> dict[str, Any]:
        """Journal, then print; on any printer trouble the receipt goes on screen."""
        from devices.receipt import render_png_bytes
        from kiosk.receipt_journal import issue

        started = time.monotonic()
        receipt = self.build_receipt(service, result)
        outcome: dict[str, Any] = {"tracking_url": receipt.tracking_url}
        journal, printer = self.parts.journal, self.parts.printer
        try:
            if journal is None or printer is None:
                raise RuntimeError("no printer or journal")
            issue(journal, printer, receipt)
            outcome["receipt"] = "printed"
        except Exception as exc:
            event(log, "receipt not printed", error=type(exc).__name__)
            outcome["receipt"] = "on_screen"
            outcome["receipt_png"] = render_png_bytes(receipt, self.controller.config.printer.width_dots)
        event(log, "receipt issued", outcome=outcome["receipt"],
              ms=round((time.monotonic() - started) * 1000))
        return outcome


class _DeliveryWatcher:
    """Hears the forwarder's "delivered" events from before the enqueue returns.

    The forwarder may deliver an entry before `enqueue` has even handed its
    local reference back, so every delivery is remembered, not just ours.
    """

    def __init__(self, forwarder: Any) -> None:
        self._seen: dict[str, str | None] = {}
        self._changed = threading.Condition()
        self._unsubscribe = forwarder.subscribe(self._on_event) if forwarder is not None else None

    def _on_event(self, item: Any) -> None:
        if item.kind == "delivered":
            with self._changed:
                self._seen[item.local_ref] = item.portal_ref
                self._changed.notify_all()

    def wait_for(self, local_ref: str, timeout_s: float) -> str | None:
        with self._changed:
            self._changed.wait_for(lambda: local_ref in self._seen, timeout_s)
            return self._seen.get(local_ref)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

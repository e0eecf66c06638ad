"""Who authorises a payment: the portal today, a card terminal one day.

The desk asks one `PaymentAuthoriser` for an approval or a decline and
never cares how it was reached. Today the portal authorises payments
itself (the citizen pays from the portal's own payment methods), so the
only implementation forwards to the portal. A physical payment terminal is
out of scope for now; it would be a second class with the same method,
chosen in wiring from configuration, with no change to the desk or screens.
"""

from __future__ import annotations

from typing import Any, Protocol


class PaymentAuthoriser(Protocol):
    def authorise(self, token: str, *, idempotency_key: str, kind: str, item_ids: list[str],
                  amount_gel: str, fee_gel: str) -> dict[str, Any]:
        """``{"status": "approved" | "declined", "reference", "reason"}``; raises PortalError types."""
        ...


class PortalPayments:
    """Payments authorised by the portal (`POST /v1/payments`, idempotency-keyed)."""

    def __init__(self, portal: Any) -> None:
        self.portal = portal

    def authorise(self, token: str, *, idempotency_key: str, kind: str, item_ids: list[str],
                  amount_gel: str, fee_gel: str) -> dict[str, Any]:
        return self.portal.pay(token, idempotency_key, kind, item_ids, amount_gel, fee_gel)

"""The personal page's latest requests: the portal's list and this visit's own outbox entries.

The portal knows only what reached it. A request the citizen made a
minute ago while the network was down is in the outbox, not on the portal,
and it is exactly the one they will look for: so this visit's own local
references are kept in the visit and looked up in the outbox, and those
still waiting are listed as "waiting to be sent" next to (or, with the
portal unreachable, instead of) the portal's list. The outbox holds in
clear only the service id, times, status and references, which is all a
row needs; the service's name comes from the catalog.

Rows are plain dicts shaped like the portal's `TransactionStatus`
(`reference`, `status`, `service_id`, `received_at`, and for letters
`answer`, `agency`, `subject`, `answered_at`); a local row's status is
`queued`. Nothing here imports Kivy.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from kiosk.logs import event
from kiosk.portal.errors import PortalError, PortalOffline

log = logging.getLogger("kiosk.requests")

SUBMITTED = "submitted_refs"  # visit.data key: local references this visit put in the outbox
WAITING = ("pending", "in_flight")  # outbox statuses a citizen reads as "waiting to be sent"


def remember_submission(data: dict[str, Any], result: dict[str, Any]) -> None:
    """Note a result's local reference when it went through the outbox (not a payment)."""
    ref = result.get("local_ref")
    if ref and result.get("status") in ("queued", "delivered"):
        refs = data.setdefault(SUBMITTED, [])
        if ref not in refs:
            refs.append(str(ref))


def local_rows(outbox: Any, refs: Iterable[str]) -> list[dict[str, Any]]:
    """This visit's outbox entries as rows: waiting ones as `queued`, delivered ones as `received`.

    A dead entry (the portal refused it) is left out: the result screen
    already said so, and the portal's list does not have it either.
    """
    if outbox is None:
        return []
    rows = []
    for ref in refs:
        try:
            entry = outbox.get(ref)
        except Exception as exc:  # a locked or damaged outbox must not take the page with it
            event(log, "outbox entry not read", error=type(exc).__name__)
            continue
        if entry is None:
            continue
        if entry.status in WAITING:
            rows.append({"reference": entry.local_ref, "status": "queued",
                         "service_id": entry.service_id, "received_at": entry.created_at})
        elif entry.status == "delivered" and entry.portal_ref:
            rows.append({"reference": entry.portal_ref, "status": "received",
                         "service_id": entry.service_id, "received_at": entry.created_at})
    return rows


def merge(portal_items: list[dict[str, Any]] | None, local: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One list, newest first. With the portal's list, only the still waiting local rows are
    added (the portal's own row for a delivered one says more: it may have been answered)."""
    if portal_items is None:
        combined = list(local)
    else:
        known = {str(item.get("reference")) for item in portal_items}
        combined = [row for row in local if row["status"] == "queued" and row["reference"] not in known]
        combined += portal_items
    # Stable: rows without a readable time keep the order they came in.
    return sorted(combined, key=lambda row: _epoch(row.get("received_at")), reverse=True)


def fetch_recent(portal: Any, outbox: Any, visit: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(rows, error): rows is None only when there is nothing at all to show.

    error is `online_only_offline` (no portal for this visit, or it cannot
    be reached) or `portal_error`; rows may still hold this visit's own
    requests then, and the page says the rest cannot be shown now.
    """
    items: list[dict[str, Any]] | None = None
    error = None
    if portal is None or visit.token is None or visit.offline:
        error = "online_only_offline"
    else:
        try:
            items = [i for i in portal.citizen_transactions(visit.token).get("items", [])
                     if isinstance(i, dict)]
        except PortalOffline:
            error = "online_only_offline"
        except PortalError as exc:
            event(log, "transactions not fetched", error=type(exc).__name__)
            error = "portal_error"
    local = local_rows(outbox, list(visit.data.get(SUBMITTED, ())))
    if items is None and not local:
        return None, error
    return merge(items, local), error


def _epoch(value: Any) -> float:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


# ------------------------------------------------------------ reading an answer
PARAGRAPH_CHARS = 700  # one label per piece: a whole 5000-character letter is too tall a texture


def answer_paragraphs(text: str) -> list[str]:
    """The answer in pieces to show one under the other, the agency's words untouched.

    Split at its own line breaks; a paragraph longer than PARAGRAPH_CHARS
    is cut at the last space before the limit (a label's texture has a
    maximum height, and software GL reaches it with a long letter).
    """
    pieces: list[str] = []
    for paragraph in str(text).replace("\r\n", "\n").split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        while len(paragraph) > PARAGRAPH_CHARS:
            cut = paragraph.rfind(" ", 0, PARAGRAPH_CHARS)
            cut = cut if cut > PARAGRAPH_CHARS // 2 else PARAGRAPH_CHARS
            pieces.append(paragraph[:cut].rstrip())
            paragraph = paragraph[cut:].lstrip()
        if paragraph:
            pieces.append(paragraph)
    return pieces


def local_date(value: Any) -> str:
    """An ISO time as the kiosk's local date, DD.MM.YYYY as Georgians write it; "" if unreadable."""
    if not value:
        return ""
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%d.%m.%Y")


def service_name(catalog: Any, service_id: str, language: str) -> str:
    if catalog is not None and catalog.has_service(service_id):
        return str(catalog.service(service_id).name(language))
    return service_id


def agency_name(catalog: Any, item: dict[str, Any], language: str) -> str:
    """Whom the letter went to: the agency the citizen chose, else the service's own agency."""
    agency_id = str(item.get("agency") or "")
    service_id = str(item.get("service_id") or "")
    if not agency_id and catalog is not None and catalog.has_service(service_id):
        agency_id = str(catalog.service(service_id).agency or "")
    agency = catalog.agency_or_none(agency_id) if catalog is not None and agency_id else None
    return str(agency.name(language)) if agency is not None else agency_id


class RecentRequests:
    """Fetches the page's rows into the visit; when two fetches overlap, the newest wins.

    Two workers may fetch at once (the page opened, then a delivery): an
    older, slower answer (the portal was down) must not overwrite a newer
    one, and a visit that has ended is never written to, so nothing of one
    citizen reaches the next one's page.
    """

    def __init__(self, parts: Any, current_visit: Callable[[], Any], changed: Callable[[str], None]) -> None:
        self._parts = parts  # the controller's Parts: portal and outbox read at each fetch
        self._current_visit, self._changed = current_visit, changed
        self._asked = 0
        self._lock = threading.Lock()

    def fetch(self, visit: Any) -> None:
        """Fetch ``visit``'s rows (blocking: call it on a worker); listeners hear "transactions"."""
        with self._lock:
            self._asked += 1
            asked = self._asked
        items, error = fetch_recent(self._parts.portal, self._parts.outbox, visit)
        with self._lock:
            if asked != self._asked or self._current_visit() is not visit:
                return
            if items is None:
                visit.data.pop("transactions", None)
            else:
                visit.data["transactions"] = items
            if error is None:
                visit.data.pop("transactions_error", None)
            else:
                visit.data["transactions_error"] = error
        self._changed("transactions")

    @staticmethod
    def concerns(visit: Any, item: Any) -> bool:
        """Whether a forwarder event is the delivery of a request this visit made."""
        return getattr(item, "kind", "") == "delivered" and item.local_ref in visit.data.get(SUBMITTED, ())

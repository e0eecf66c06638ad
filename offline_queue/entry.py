"""One outbox entry as the rest of the kiosk sees it, and the small formats it uses."""

from __future__ import annotations

import base64
import calendar
import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

# Letters and digits that cannot be misread aloud or on thermal paper:
# no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B.
_READABLE = "ACDEFHJKMNPRTUVWXY3479"


# What the kiosk says about an error code. The portal's own message is
# never stored (it may quote the form), so this is all a technician sees
# beside the code in `kiosk queue list`.
ERROR_TEXTS = {
    "sealed_unreadable": "the portal cannot open the sealed envelope (sealing key?)",
    "envelope_malformed": "the portal found the envelope malformed",
    "digest_mismatch": "the envelope's digest does not match its request",
    "kiosk_signature_invalid": "the portal does not accept this kiosk's signature",
    "card_certificate_invalid": "the card certificate was not accepted (expired, revoked, unknown)",
    "card_signature_invalid": "the card signature was not accepted",
    "envelope_mismatch": "the submission and its envelope name different entries",
    "invalid_submission": "the portal found the submission incomplete",
    "invalid_form": "the portal refused the form's contents",
    "idempotency_key_reused": "the portal holds another request under this key",
    "idempotency_key_missing": "the request carried no idempotency key",
    "in_progress": "the portal is still working on this key",
    "offline": "the portal did not answer",
    "batch_item": "the portal did not take this item of a batch yet",
    "unrecognised_code": "the portal's error code was not recognisable",
}


def error_text(code: str | None) -> str | None:
    """The kiosk's words for an error code (None for no error)."""
    if not code:
        return None
    if code.startswith("http_") and code[5:].isdigit():
        return f"the portal answered HTTP {code[5:]}"
    return ERROR_TEXTS.get(code, "refused by the portal (its message is not kept)")


def utc_iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_utc_iso(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


def reference_prefix(kiosk_id: str) -> str:
    """A two-character kiosk code for local references, e.g. ``K7``.

    Short enough for a citizen to read to a clerk over the counter; derived
    from the kiosk id so two kiosks of one justice house rarely share it.
    """
    digest = hashlib.sha256(kiosk_id.encode("utf-8")).digest()
    return "K" + _READABLE[digest[0] % len(_READABLE)]


def _retired(text: str | None) -> tuple[tuple[str, str, str], ...]:
    return tuple(tuple(item) for item in json.loads(text)) if text and text != "[]" else ()


# What `QueuedEntry.from_stored` reads, in this order (last_error_reason is derived).
STORED_COLUMNS = ("id, local_ref, idempotency_key, kiosk_id, service_id, order_key, status,"
                  " created_at, updated_at, size, attempts, next_attempt_at, last_error_code,"
                  " portal_ref, retired_keys, sealed")


@dataclass(frozen=True)
class QueuedEntry:
    """Metadata of one submission; ``sealed`` is only filled for forwarding and export."""

    id: int
    local_ref: str
    idempotency_key: str
    kiosk_id: str
    service_id: str
    order_key: str
    status: str
    created_at: str
    updated_at: str
    size: int
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error_code: str | None = None
    # Derived from the code (`error_text`), not read from the disk.
    last_error_reason: str | None = None
    portal_ref: str | None = None
    # (idempotency key, error code it was refused with, UTC time retired), oldest first.
    retired_keys: tuple[tuple[str, str, str], ...] = ()
    sealed: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any], with_sealed: bool = True) -> QueuedEntry:
        values = {key: value for key, value in row.items() if key in _FIELD_NAMES}
        values["last_error_reason"] = error_text(values.get("last_error_code"))
        values["retired_keys"] = _retired(values.get("retired_keys"))
        if not with_sealed:
            values["sealed"] = None
        return cls(**values)

    @classmethod
    def from_stored(cls, row: tuple[Any, ...]) -> QueuedEntry:
        """From a row selected as `STORED_COLUMNS` lists (the forwarder's hot path)."""
        (entry_id, local_ref, idempotency_key, kiosk_id, service_id, order_key, status,
         created_at, updated_at, size, attempts, next_attempt_at, last_error_code, portal_ref,
         retired_keys, sealed) = row
        return cls(entry_id, local_ref, idempotency_key, kiosk_id, service_id, order_key, status,
                   created_at, updated_at, size, attempts, next_attempt_at, last_error_code,
                   error_text(last_error_code), portal_ref, _retired(retired_keys), sealed)

    def with_status(self, status: str) -> QueuedEntry:
        return dataclasses.replace(self, status=status)

    def submission(self) -> dict[str, str]:
        """The contract's Submission body (docs/CONTRACTS.md)."""
        if self.sealed is None:
            raise ValueError(f"entry {self.local_ref} was loaded without its sealed payload")
        return {"kiosk_id": self.kiosk_id, "service_id": self.service_id,
                "local_ref": self.local_ref, "created_at": self.created_at,
                "sealed": base64.b64encode(self.sealed).decode("ascii")}

    def as_dict(self, with_sealed: bool = False) -> dict[str, Any]:
        """For `kiosk queue list/export --json`: metadata, and the sealed payload in base64."""
        data = dataclasses.asdict(self)
        data.pop("sealed")
        if with_sealed and self.sealed is not None:
            data["sealed"] = base64.b64encode(self.sealed).decode("ascii")
        return data


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(QueuedEntry))

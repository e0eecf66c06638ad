"""One outbox entry as the rest of the kiosk sees it, and the small formats it uses."""

from __future__ import annotations

import base64
import calendar
import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

# Letters and digits that cannot be misread aloud or on thermal paper:
# no 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B.
_READABLE = "ACDEFHJKMNPRTUVWXY3479"


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
    last_error_reason: str | None = None
    portal_ref: str | None = None
    sealed: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_row(cls, row: dict[str, Any], with_sealed: bool = True) -> QueuedEntry:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in row.items() if key in names}
        if not with_sealed:
            values["sealed"] = None
        return cls(**values)

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

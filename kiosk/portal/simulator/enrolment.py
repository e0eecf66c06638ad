"""Which Ed25519 key speaks for which kiosk: the portal's kiosk enrolment.

A valid kiosk signature only proves that *some* key signed; the portal can
tell which kiosk asked only if it knows each kiosk's key. A technician
enrols a kiosk's public key (`PUT /v1/admin/kiosks/{kiosk_id}`, with the
portal's admin token); until then, in the default ``first_use`` mode, the
first envelope that verifies under a kiosk id binds that id to its key
(trust on first use, as SSH does with host keys). In ``required`` mode only
enrolled kiosks are heard. Either way a second key under a known id is
refused with `kiosk_key_mismatch`.

Both refusals depend on what the portal knows, not on the request alone,
so they are not stored against the idempotency key: once the kiosk is
enrolled, the technician's retry of the same entry is judged afresh.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from kiosk.portal.simulator.api import Reply, Request, error
from kiosk.portal.simulator.store import Store, iso
from kiosk.portal.simulator.verify import OpenedEnvelope, Rejected

MODES = ("first_use", "required")


def load_or_create_admin_token(path: Path) -> str:
    """The simulator's admin token, kept owner-only next to its database."""
    if not path.exists():
        # Written aside and linked into place: two simulators starting in one
        # folder agree on one token, and neither reads a half-written file.
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, secrets.token_urlsafe(24).encode())
            os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _raw_key(text: Any) -> bytes | None:
    """32 raw Ed25519 bytes from base64 text, or None."""
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (ValueError, binascii.Error):
        return None
    return raw if len(raw) == 32 else None


class KioskRegistry:
    """Admits an opened envelope only under its kiosk's own key; serves the admin operations."""

    def __init__(self, store: Store, admin_token: str, mode: str = "first_use") -> None:
        self.store = store
        self.admin_token = admin_token
        self.mode = mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"kiosk_enrolment must be one of {', '.join(MODES)}")
        self.mode = mode

    def admit(self, opened: OpenedEnvelope) -> OpenedEnvelope:
        """``opened`` if its key is the one on record for its kiosk_id (recording it on first use)."""
        kiosk_id = str(opened.request["kiosk_id"])
        record = self.store.kiosk(kiosk_id)
        if record is None:
            if self.mode == "required":
                raise Rejected("kiosk_not_enrolled",
                               f"kiosk {kiosk_id} has no enrolled key", final=False)
            record = self.store.bind_kiosk_key(kiosk_id, opened.kiosk_public_key)
        if _raw_key(record["public_key"]) != _raw_key(opened.kiosk_public_key):
            raise Rejected("kiosk_key_mismatch",
                           f"the envelope is signed by a key that is not kiosk {kiosk_id}'s",
                           final=False)
        return opened

    # -- the admin operations -------------------------------------------------------
    def _is_admin(self, req: Request) -> bool:
        auth = req.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        return bool(token) and secrets.compare_digest(token.encode(), self.admin_token.encode())

    @staticmethod
    def _record(row: dict[str, Any]) -> dict[str, Any]:
        return {"kiosk_id": row["kiosk_id"], "public_key": row["public_key"],
                "source": row["source"], "enrolled_at": iso(row["enrolled_at"])}

    def admin_enrol_kiosk(self, req: Request) -> Reply:
        if not self._is_admin(req):
            return error(401, "admin_unauthorised", "the admin token is required",
                         **{"WWW-Authenticate": 'Bearer realm="portal-admin"'})
        body = req.json if isinstance(req.json, dict) else {}
        raw = _raw_key(body.get("public_key"))
        if raw is None:
            return error(422, "invalid_public_key",
                         "public_key is the base64 of a raw 32-byte Ed25519 key")
        key = base64.b64encode(raw).decode("ascii")
        return Reply(200, self._record(self.store.enrol_kiosk(req.params["kiosk_id"], key)))

    def admin_get_kiosk(self, req: Request) -> Reply:
        if not self._is_admin(req):
            return error(401, "admin_unauthorised", "the admin token is required",
                         **{"WWW-Authenticate": 'Bearer realm="portal-admin"'})
        row = self.store.kiosk(req.params["kiosk_id"])
        if row is None:
            return error(404, "not_found", "no key is on record for this kiosk")
        return Reply(200, self._record(row))

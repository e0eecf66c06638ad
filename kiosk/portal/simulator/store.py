"""The simulated portal's state in SQLite (sqlite-utils, WAL).

One connection guarded by one lock: the simulator is a test and demo
server, and serialising its few writes is what makes the idempotency claim
atomic (two concurrent requests with one key cannot both win). The claim
also uses INSERT OR IGNORE on the primary key, so it stays atomic if two
simulator processes ever share a database file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.portal.simulator import seed


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    _, salt_hex, digest_hex = stored.split("$")
    candidate = hash_password(password, bytes.fromhex(salt_hex)).split("$")[2]
    return secrets.compare_digest(candidate, digest_hex)


@dataclass(frozen=True)
class Claim:
    """Outcome of claiming an idempotency key: new, busy, mismatch or a stored answer."""

    state: str  # "new" | "in_progress" | "mismatch" | "done"
    status: int = 0
    body: dict[str, Any] | None = None


class Store:
    """Everything the portal remembers: citizens, sessions, items, payments, submissions."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._batch_depth = 0
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")  # a simulator: WAL keeps it consistent
        self._create()
        self._seed()

    @contextmanager
    def _tx(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            if self._batch_depth:  # inside batch(): its one commit covers this step
                self._batch_depth += 1
                try:
                    yield self.db
                finally:
                    self._batch_depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._batch_depth = 1
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self._batch_depth = 0
            self.db.execute("COMMIT")

    def batch(self) -> AbstractContextManager[sqlite_utils.Database]:
        """One transaction for many steps: a batch of submissions commits once.

        Three commits per submission (claim, record, finish) were most of the
        simulator's time in a drain (bench/queue_bench.py). A step that fails
        inside rolls the whole batch back, so its items are processed again
        when the kiosk resends; other requests wait for the lock meanwhile.
        """
        return self._tx()

    def _create(self) -> None:
        db = self.db
        schemas: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
            "citizens": ({"personal_number": str, "given_name": str, "surname": str,
                          "date_of_birth": str, "mobile": str, "email": str,
                          "created_at": float}, "personal_number"),
            "users": ({"username": str, "password_hash": str, "personal_number": str}, "username"),
            "challenges": ({"id": str, "challenge": str, "kiosk_id": str, "expires_at": float,
                            "used": int}, "id"),
            "sessions": ({"token": str, "personal_number": str, "expires_at": float}, "token"),
            "items": ({"id": str, "personal_number": str, "kind": str, "data": str,
                       "paid_reference": str}, "id"),
            "payments": ({"reference": str, "personal_number": str, "kind": str,
                          "item_ids": str, "amount_gel": str, "fee_gel": str, "status": str,
                          "reason": str, "created_at": float}, "reference"),
            "idempotency": ({"scope": str, "key": str, "fingerprint": str, "state": str,
                             "status": int, "body": str, "created_at": float}, ("scope", "key")),
            "transactions": ({"reference": str, "idempotency_key": str, "kiosk_id": str,
                              "service_id": str, "local_ref": str, "personal_number": str,
                              "received_at": float, "is_letter": int, "answer": str,
                              "answered_at": float, "request": str, "card_signed": int},
                             "reference"),
            "kiosks": ({"kiosk_id": str, "public_key": str, "source": str,
                        "enrolled_at": float}, "kiosk_id"),
        }
        with self._lock:
            for name, (columns, pk) in schemas.items():
                db[name].create(columns, pk=pk, if_not_exists=True)  # type: ignore[arg-type]
            db["transactions"].create_index(["personal_number", "received_at"],
                                            if_not_exists=True)
            db["items"].create_index(["personal_number", "kind"], if_not_exists=True)

    def _seed(self) -> None:
        with self._lock:
            for username, password, number in seed.SEEDED_USERS:
                if not self.db["users"].count_where("username = ?", [username]):
                    self.db["users"].insert({"username": username, "personal_number": number,
                                             "password_hash": hash_password(password)})

    # -- citizens -------------------------------------------------------------------
    def citizen(self, personal_number: str) -> dict[str, Any] | None:
        with self._lock:
            rows = list(self.db["citizens"].rows_where("personal_number = ?", [personal_number]))
        if not rows:
            return None
        row = rows[0]
        return {k: row[k] for k in ("personal_number", "given_name", "surname",
                                     "date_of_birth", "mobile", "email")}

    def ensure_citizen(self, personal_number: str, given_name: str, surname: str) -> bool:
        """Create the citizen on first login; True when the record is new."""
        with self._tx() as db:
            if db["citizens"].count_where("personal_number = ?", [personal_number]):
                return False
            known = seed.SEEDED_CITIZENS.get(personal_number, {})
            db["citizens"].insert({
                "personal_number": personal_number,
                "given_name": known.get("given_name", given_name),
                "surname": known.get("surname", surname),
                "date_of_birth": known.get("date_of_birth"), "mobile": None, "email": None,
                "created_at": time.time(),
            })
            db["items"].insert_all(
                ({"id": item["id"], "personal_number": personal_number, "kind": item["kind"],
                  "data": json.dumps(item, ensure_ascii=False), "paid_reference": None}
                 for item in seed.items_for(personal_number)),
                replace=True,
            )
            return True

    def update_contacts(self, personal_number: str, mobile: str, email: str) -> None:
        with self._tx() as db:
            db["citizens"].update(personal_number, {"mobile": mobile, "email": email})

    def user(self, username: str) -> dict[str, Any] | None:
        with self._lock:
            rows = list(self.db["users"].rows_where("username = ?", [username]))
        return rows[0] if rows else None

    # -- challenges and sessions ----------------------------------------------------
    def new_challenge(self, kiosk_id: str, ttl_s: float) -> dict[str, Any]:
        row = {"id": secrets.token_urlsafe(16),
               "challenge": base64.b64encode(secrets.token_bytes(32)).decode(),
               "kiosk_id": kiosk_id, "expires_at": time.time() + ttl_s, "used": 0}
        with self._tx() as db:
            db["challenges"].insert(row)
        return row

    def take_challenge(self, challenge_id: str) -> dict[str, Any] | None:
        """A challenge is good for one login attempt; expired ones are returned marked."""
        with self._tx() as db:
            rows = list(db["challenges"].rows_where("id = ? AND used = 0", [challenge_id]))
            if not rows:
                return None
            db["challenges"].update(challenge_id, {"used": 1})
        return rows[0]

    def new_session(self, personal_number: str, ttl_s: float) -> dict[str, Any]:
        row = {"token": secrets.token_urlsafe(32), "personal_number": personal_number,
               "expires_at": time.time() + ttl_s}
        with self._tx() as db:
            db["sessions"].insert(row)
        return row

    def session_citizen(self, token: str) -> str | None:
        with self._lock:
            rows = list(self.db["sessions"].rows_where(
                "token = ? AND expires_at > ?", [token, time.time()]))
        return rows[0]["personal_number"] if rows else None

    def expire_sessions(self) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET expires_at = 0")

    # -- lookups and payments -------------------------------------------------------
    def unpaid_items(self, personal_number: str, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.db["items"].rows_where(
                "personal_number = ? AND kind = ? AND paid_reference IS NULL",
                [personal_number, kind], order_by="id")
            return [json.loads(r["data"]) for r in rows]

    def items_by_id(self, personal_number: str, ids: list[str]) -> list[dict[str, Any]]:
        with self._lock:
            marks = ",".join("?" for _ in ids)
            return list(self.db["items"].rows_where(
                f"personal_number = ? AND id IN ({marks})", [personal_number, *ids]))  # noqa: S608

    def record_payment(self, payment: dict[str, Any], paid_ids: list[str]) -> None:
        with self._tx() as db:
            db["payments"].insert(payment)
            for item_id in paid_ids:
                db["items"].update(item_id, {"paid_reference": payment["reference"]})

    # -- idempotency ----------------------------------------------------------------
    def claim(self, scope: str, key: str, fingerprint: str) -> Claim:
        """Claim ``key`` for this request, or say why not (the IETF draft's rules)."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO idempotency (scope, key, fingerprint, state, created_at)"
                " VALUES (?, ?, ?, 'in_progress', ?)", [scope, key, fingerprint, time.time()])
            if cursor.rowcount == 1:
                return Claim("new")
            row = next(db["idempotency"].rows_where("scope = ? AND key = ?", [scope, key]))
        if row["fingerprint"] != fingerprint:
            return Claim("mismatch")
        if row["state"] == "in_progress":
            return Claim("in_progress")
        return Claim("done", row["status"], json.loads(row["body"]))

    def finish(self, scope: str, key: str, status: int, body: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("UPDATE idempotency SET state = 'done', status = ?, body = ?"
                       " WHERE scope = ? AND key = ?",
                       [status, json.dumps(body, ensure_ascii=False), scope, key])

    def release(self, scope: str, key: str) -> None:
        """Forget a claim whose processing crashed, so the client's retry can run."""
        with self._tx() as db:
            db.execute("DELETE FROM idempotency WHERE scope = ? AND key = ? AND state = "
                       "'in_progress'", [scope, key])

    # -- kiosk keys -----------------------------------------------------------------
    def kiosk(self, kiosk_id: str) -> dict[str, Any] | None:
        # db.query, not rows_where: read for every submission, and rows_where reads the
        # table's schema first.
        with self._lock:
            return next(self.db.query("SELECT * FROM kiosks WHERE kiosk_id = ?", [kiosk_id]), None)

    def bind_kiosk_key(self, kiosk_id: str, public_key: str) -> dict[str, Any]:
        """Record ``public_key`` for a kiosk not seen before; return the record in force.

        INSERT OR IGNORE makes first use atomic: of two kiosks racing under one
        id with different keys exactly one is bound and the other is refused.
        """
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO kiosks (kiosk_id, public_key, source, enrolled_at)"
                       " VALUES (?, ?, 'first_use', ?)", [kiosk_id, public_key, time.time()])
            return next(db["kiosks"].rows_where("kiosk_id = ?", [kiosk_id]))

    def enrol_kiosk(self, kiosk_id: str, public_key: str) -> dict[str, Any]:
        """The administrator's word: this key is the kiosk's, replacing any earlier one."""
        row = {"kiosk_id": kiosk_id, "public_key": public_key, "source": "enrolled",
               "enrolled_at": time.time()}
        with self._tx() as db:
            db["kiosks"].insert(row, replace=True)
        return row

    # -- transactions ---------------------------------------------------------------
    def add_transaction(self, row: dict[str, Any]) -> None:
        # Plain SQL rather than Table.insert: sqlite-utils reads the table's
        # schema on every insert, which made the store the limit of a drain.
        columns = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with self._tx() as db:
            db.execute(f"INSERT INTO transactions ({columns}) VALUES ({marks})", row)  # noqa: S608

    def transaction(self, reference: str) -> dict[str, Any] | None:
        with self._lock:
            rows = list(self.db["transactions"].rows_where("reference = ?", [reference]))
        return rows[0] if rows else None

    def transactions(self, personal_number: str | None = None,
                     limit: int = 1000) -> list[dict[str, Any]]:
        where, args = ("personal_number = ?", [personal_number]) if personal_number else (None, [])
        with self._lock:
            return list(self.db["transactions"].rows_where(
                where, args, order_by="received_at DESC", limit=limit))

    def answer(self, reference: str, text: str, at: float) -> bool:
        with self._tx() as db:
            cursor = db.execute("UPDATE transactions SET answer = ?, answered_at = ? "
                                "WHERE reference = ?", [text, at, reference])
            return cursor.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

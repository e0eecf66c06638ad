"""The maintenance audit log: append-only, each entry chained to the one before.

Every maintenance action (opening the screen, a reprint, a dead letter sent
again, a restart) is one entry. Each entry holds the SHA-256 of the entry
before it (``prev_hash``) and its own ``hash`` over the canonical JSON of
its fields, so `verify` finds an entry edited, deleted or moved, and names
the first one that breaks the chain.

Why SQLite (WAL, ``synchronous=FULL``) and not a JSON-lines file: an append
is one transaction, so a power cut mid-append leaves the old log, never a
torn last line that `verify` could not tell from tampering; `kiosk audit`
can read while the kiosk writes; and the outbox and the receipt journal
already live in SQLite in the same directory, so backups treat all alike.
``BEGIN IMMEDIATE`` makes "read the last hash, insert the next entry" one
step even across processes.

Deleting the newest entries leaves an intact, shorter chain. So after each
append the head (seq and hash of the newest entry) is also written to
``audit.head``; `verify` fails when the log is shorter than the head or its
entry at the head's seq differs. The head is a lower bound (a crash between
the commit and the head write leaves it one behind, which is fine). What a
hash chain cannot stop: someone able to rewrite both files can recompute
every hash. The heartbeat therefore sends the head to the portal, which
keeps an off-kiosk witness of how far the log had reached.

Details never hold personal data: keys that name it are refused outright (a
programming error caught by tests) and 11-digit runs in values are masked.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk.logs import redact
from kiosk.store_schema import apply_steps, require_columns

DB_FILE = "audit.sqlite3"
HEAD_FILE = "audit.head"
GENESIS = "0" * 64
# Keys that would only ever carry a citizen's or a technician's secret or identity.
FORBIDDEN_KEYS = frozenset({"pin", "password", "personal_number", "given_name", "surname", "name",
                            "citizen", "date_of_birth", "mobile", "email", "subject", "certificate"})
MAX_TEXT = 200


def canonical(data: dict[str, Any]) -> bytes:
    """The bytes that are hashed: sorted keys, no spaces, UTF-8 (as docs/CONTRACTS.md's canonical)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over every field of the entry except ``hash`` itself."""
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def clean_details(details: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe, short, redacted details; refuses keys that name personal data."""
    cleaned: dict[str, Any] = {}
    for key, value in details.items():
        if key.lower() in FORBIDDEN_KEYS:
            raise ValueError(f"audit details must not carry {key!r}")
        if value is None or isinstance(value, bool | int | float):
            cleaned[key] = value
        else:
            cleaned[key] = redact(str(value))[:MAX_TEXT]
    return cleaned


# Version 1 is the table every release before schema versions made (their
# files carry user_version 0); IF NOT EXISTS adopts such a file unchanged, so
# no entry is rewritten and every hash in the chain still holds. A later step
# must never change a stored entry's fields either: the hashes cover them.
_COLUMNS_V1 = ("seq", "time", "actor", "action", "details", "prev_hash", "hash")


def _v1(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, "
        "actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL, "
        "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)")
    require_columns(db, "audit", _COLUMNS_V1)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the audit log up to the newest schema (`kiosk migrate` calls this); return its version."""
    return apply_steps(db, MIGRATIONS, "audit log")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    first_broken_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuditLog:
    """The chained log in ``storage_dir``; thread-safe, and safe with other processes."""

    def __init__(self, storage_dir: str | os.PathLike[str], clock: Callable[[], float] = time.time) -> None:
        self.dir = Path(storage_dir)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.dir / DB_FILE
        self.head_path = self.dir / HEAD_FILE
        self._clock = clock
        self._lock = threading.Lock()
        self.path.touch(mode=0o600, exist_ok=True)  # WAL and SHM files take the db's mode
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), not the module's guesses.
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "busy_timeout = 10000"):
            conn.execute(f"PRAGMA {pragma}")
        self._conn = conn
        self.db = sqlite_utils.Database(conn)
        migrate(self.db)

    @classmethod
    def from_config(cls, config: Any) -> AuditLog:
        return cls(config.storage.dir)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def append(self, action: str, actor: str = "technician", **details: Any) -> dict[str, Any]:
        """Add one entry durably (one fsync) and return it; raises on personal-data keys."""
        cleaned = clean_details(details)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                entry = {"seq": seq, "time": _iso(self._clock()), "actor": actor, "action": action,
                         "details": cleaned, "prev_hash": prev}
                entry["hash"] = entry_hash(entry)
                conn.execute("INSERT INTO audit (seq, time, actor, action, details, prev_hash, hash) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (seq, entry["time"], actor, action, canonical(cleaned).decode(), prev,
                              entry["hash"]))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._write_head(seq, entry["hash"])
        return entry

    def _write_head(self, seq: int, digest: str) -> None:
        current = self.head()
        if current is not None and current[0] >= seq:
            return  # another process got further meanwhile: the head only moves forward
        tmp = self.head_path.with_name(HEAD_FILE + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps({"seq": seq, "hash": digest}).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.head_path)

    # ------------------------------------------------------------------ reading
    def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry as last recorded beside the log, or None."""
        try:
            data = json.loads(self.head_path.read_text(encoding="utf-8"))
            return int(data["seq"]), str(data["hash"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return (-1, "")  # present but unreadable: verify reports it

    def entries(self, limit: int | None = None, newest_first: bool = False) -> list[dict[str, Any]]:
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT seq, time, actor, action, details, prev_hash, hash FROM audit "  # noqa: S608 - fixed
                f"ORDER BY seq {order} LIMIT ?", (-1 if limit is None else limit,)).fetchall()
        return [_row_entry(row) for row in rows]

    def _iter_rows(self) -> Iterator[tuple[Any, ...]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, time, actor, action, details, prev_hash, hash FROM audit ORDER BY seq"
            ).fetchall()
        yield from rows

    def verify(self) -> VerifyResult:
        """Walk the chain from the first entry; report the first one that does not fit."""
        expected_seq, prev, count = 1, GENESIS, 0
        for row in self._iter_rows():
            try:
                entry = _row_entry(row)
            except ValueError:
                return VerifyResult(False, count, row[0], f"entry {row[0]} has unreadable details")
            seq = entry["seq"]
            if seq != expected_seq:
                return VerifyResult(False, count, expected_seq,
                                    f"entry {expected_seq} is missing (the next one is {seq})")
            if entry["prev_hash"] != prev:
                return VerifyResult(False, count, seq,
                                    f"entry {seq} does not follow entry {seq - 1} (deleted or moved)")
            if entry_hash(entry) != entry["hash"]:
                return VerifyResult(False, count, seq, f"entry {seq} was changed after it was written")
            prev, expected_seq, count = entry["hash"], seq + 1, count + 1
        head = self.head()
        if head is not None:
            head_seq, head_hash = head
            if head_seq < 0:
                return VerifyResult(False, count, None, f"{self.head_path} is unreadable")
            if head_seq > count:
                return VerifyResult(False, count, count + 1,
                                    f"entries {count + 1} to {head_seq} were removed from the end")
            if head_seq > 0 and self._hash_at(head_seq) != head_hash:
                return VerifyResult(False, count, head_seq,
                                    f"entry {head_seq} differs from the one recorded in {HEAD_FILE}")
        return VerifyResult(True, count)

    def _hash_at(self, seq: int) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None


def _row_entry(row: tuple[Any, ...]) -> dict[str, Any]:
    seq, when, actor, action, details, prev_hash, digest = row
    return {"seq": seq, "time": when, "actor": actor, "action": action,
            "details": json.loads(details), "prev_hash": prev_hash, "hash": digest}


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))

"""The receipt journal: every receipt kept, so a technician can reprint it.

When the paper ends halfway through a receipt the citizen is often still
standing there; the technician refills the paper and reprints that receipt
(`kiosk receipts reprint ID`). So the journal keeps the last N receipts
(default 50) with a print status (`pending`, `printed`, `failed`), and older
ones are pruned as new ones arrive.

Privacy and its trade-off. The citizen's name and personal number must not
sit in clear on the kiosk's disk, yet the kiosk must read them back to
reprint. Each receipt is therefore sealed with HPKE (`kiosk.sealing`) to a
kiosk-local X25519 key pair kept beside the database (owner-only, 0600),
not to the portal's key as submissions are. This protects against the
database being copied alone (backups, support bundles, a technician
emailing the file), against grep and recovery tools on the raw file, and
pruning with SQLite's secure_delete bounds what exists at all to N
receipts. It does NOT protect against someone who takes the whole disk or
gets root on the kiosk: they have the key too. Keeping the key in a TPM or
on a separate token would close that gap; until then, N is kept small.
Only non-personal metadata (time, language, references, statuses) is in
clear, so `recent()` and `failed()` can list receipts without opening them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import sqlite_utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.receipt import Receipt
from kiosk.sealing import load_private_key, open_sealed, seal
from kiosk.store_schema import apply_steps, require_columns

JOURNAL_INFO = b"ge.justice-house.kiosk/receipt-journal/v1"
DB_NAME = "receipts.db"
KEY_NAME = "receipt-journal-key.pem"
PRINT_STATUSES = ("pending", "printed", "failed")
DEFAULT_KEEP = 50


class JournalError(LookupError):
    """A receipt id that the journal does not hold (never kept, or pruned)."""


@dataclass(frozen=True)
class JournalEntry:
    """What can be listed without opening the sealed part: no personal data."""

    id: int
    created_at: str
    language: str
    receipt_status: str
    local_reference: str
    print_status: str
    attempts: int
    last_error: str
    updated_at: str


def load_or_create_key(path: Path) -> X25519PrivateKey:
    """The journal's private key; made on first use, readable by the kiosk user only."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a copied-in key with loose rights is tightened, not refused
        return load_private_key(path)
    key = X25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL with mode 0600: no moment when the key is readable by others, and two
    # processes starting at once cannot both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_private_key(path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


# Version 1 is, to the byte, the table and index sqlite-utils made for every
# release before schema versions (their files carry user_version 0): CREATE
# ... IF NOT EXISTS adopts such a file unchanged, and sqlite_master keeps the
# same text whichever way the table was made.
_COLUMNS_V1 = ("id", "created_at", "language", "receipt_status", "local_reference", "print_status",
               "attempts", "last_error", "updated_at", "sealed")


def _v1(db: sqlite_utils.Database) -> None:
    db.execute(
        'CREATE TABLE IF NOT EXISTS "receipts" (\n   "id" INTEGER PRIMARY KEY,\n'
        '   "created_at" TEXT NOT NULL,\n   "language" TEXT,\n   "receipt_status" TEXT,\n'
        '   "local_reference" TEXT,\n   "print_status" TEXT NOT NULL,\n   "attempts" INTEGER,\n'
        '   "last_error" TEXT,\n   "updated_at" TEXT,\n   "sealed" BLOB NOT NULL\n)')
    require_columns(db, "receipts", _COLUMNS_V1)
    # Its own statement in the old releases too (a crash could fall between them).
    db.execute('CREATE INDEX IF NOT EXISTS "idx_receipts_print_status"\n    ON "receipts" ("print_status")')


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the journal up to the newest schema (`kiosk migrate` calls this); return its version."""
    return apply_steps(db, MIGRATIONS, "receipt journal")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ReceiptJournal:
    """Receipts in SQLite (WAL, synchronous FULL) under the storage dir; thread-safe."""

    def __init__(self, storage_dir: str | Path, keep: int = DEFAULT_KEEP) -> None:
        if keep < 1:
            raise ValueError("the journal must keep at least one receipt")
        self.dir = Path(storage_dir)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keep = keep
        self._private_key = load_or_create_key(self.dir / KEY_NAME)
        self._public_key = self._private_key.public_key()
        self.path = self.dir / DB_NAME
        self.path.touch(mode=0o600, exist_ok=True)  # WAL and SHM files take the db's mode
        connection = sqlite3.connect(self.path, check_same_thread=False)
        self._lock = threading.Lock()
        self.db = sqlite_utils.Database(connection)
        self.db.enable_wal()
        # FULL: a receipt recorded just before a power cut is still there to reprint.
        self.db.execute("PRAGMA synchronous=FULL")
        # Pruned rows are overwritten, so old sealed receipts do not linger in free pages.
        self.db.execute("PRAGMA secure_delete=ON")
        migrate(self.db)
        self.table = self.db.table("receipts")

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> ReceiptJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, receipt: Receipt) -> int:
        """Keep ``receipt`` as `pending`; returns its id. Prunes beyond the last ``keep``."""
        plaintext = json.dumps(receipt.to_dict(), ensure_ascii=False, sort_keys=True).encode()
        sealed = seal(plaintext, self._public_key, JOURNAL_INFO)
        row = {"created_at": receipt.created_at.isoformat(), "language": receipt.language,
               "receipt_status": receipt.status, "local_reference": receipt.local_reference,
               "print_status": "pending", "attempts": 0, "last_error": "",
               "updated_at": _now(), "sealed": sealed}
        with self._lock, self.db.conn:
            receipt_id = int(self.table.insert(row).last_pk)
            self.db.execute("DELETE FROM receipts WHERE id <= ?", [receipt_id - self.keep])
        return receipt_id

    def mark(self, receipt_id: int, status: str, error: str = "") -> None:
        """Record a print attempt's outcome; ``error`` is an error class name, never receipt text."""
        if status not in PRINT_STATUSES:
            raise ValueError(f"print status must be one of {PRINT_STATUSES}, not {status!r}")
        attempt = 1 if status in ("printed", "failed") else 0
        with self._lock, self.db.conn:
            cursor = self.db.execute(
                "UPDATE receipts SET print_status = ?, attempts = attempts + ?, last_error = ?, "
                "updated_at = ? WHERE id = ?",
                [status, attempt, error[:80], _now(), receipt_id])
            if cursor.rowcount == 0:
                raise JournalError(f"no receipt {receipt_id} in the journal")

    def _entries(self, where: str, args: list[object], limit: int) -> list[JournalEntry]:
        columns = ", ".join(JournalEntry.__dataclass_fields__)
        with self._lock:
            rows = self.db.execute(
                f"SELECT {columns} FROM receipts {where} ORDER BY id DESC LIMIT ?",  # noqa: S608 - fixed names
                [*args, limit]).fetchall()
        return [JournalEntry(*row) for row in rows]

    def recent(self, n: int = 10) -> list[JournalEntry]:
        """The newest ``n`` receipts, newest first, without opening them."""
        return self._entries("", [], n)

    def failed(self) -> list[JournalEntry]:
        """Receipts whose last print failed, newest first: the technician's reprint list."""
        return self._entries("WHERE print_status = ?", ["failed"], self.keep)

    def entry(self, receipt_id: int) -> JournalEntry:
        found = self._entries("WHERE id = ?", [receipt_id], 1)
        if not found:
            raise JournalError(f"no receipt {receipt_id} in the journal (only the last {self.keep} are kept)")
        return found[0]

    def load(self, receipt_id: int) -> Receipt:
        """Open the sealed receipt for a reprint."""
        with self._lock:
            row = self.db.execute("SELECT sealed FROM receipts WHERE id = ?", [receipt_id]).fetchone()
        if row is None:
            raise JournalError(f"no receipt {receipt_id} in the journal (only the last {self.keep} are kept)")
        plaintext = open_sealed(row[0], self._private_key, JOURNAL_INFO)
        return Receipt.from_dict(json.loads(plaintext))


class ReceiptPrinter(Protocol):
    def print_receipt(self, receipt: Receipt) -> None: ...


def issue(journal: ReceiptJournal, printer: ReceiptPrinter, receipt: Receipt) -> int:
    """Journal first, then print, then record the outcome; the printer's error is re-raised.

    The journal write comes first so that a crash or a paper end during the
    print still leaves the receipt there to reprint.
    """
    receipt_id = journal.add(receipt)
    _print_and_mark(journal, printer, receipt_id, receipt)
    return receipt_id


def reprint(journal: ReceiptJournal, printer: ReceiptPrinter, receipt_id: int) -> Receipt:
    """Print a kept receipt again (same content, same time) and record the outcome."""
    receipt = journal.load(receipt_id)
    _print_and_mark(journal, printer, receipt_id, receipt)
    return receipt


def _print_and_mark(journal: ReceiptJournal, printer: ReceiptPrinter, receipt_id: int,
                    receipt: Receipt) -> None:
    try:
        printer.print_receipt(receipt)
    except Exception as exc:
        journal.mark(receipt_id, "failed", type(exc).__name__)
        raise
    journal.mark(receipt_id, "printed")

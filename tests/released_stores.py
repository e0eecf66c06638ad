"""Stores as released kiosks wrote them, for the "migrated from each released schema" tests.

Schema 0 of the receipt journal and the audit log is what every release up
to 0.1.0 made: the tables below, created if missing, no version stamped
(``PRAGMA user_version`` 0). The statements are kept here verbatim, as
SQLite recorded them in sqlite_master for those releases, so a change to
what version 1 creates cannot pass unnoticed by also changing the fixture.
Entries are then written by today's code told it knows no schema version
(its ``MIGRATIONS`` emptied): the rows are what the released code wrote,
since writing them has not changed. The outbox's rows have (version 2), so
`write_schema_1_outbox` copies version 1's columns instead.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from devices.receipt import Receipt
from kiosk import audit as audit_module
from kiosk import receipt_journal as journal_module
from kiosk.audit import AuditLog
from kiosk.receipt_journal import ReceiptJournal

JOURNAL_SCHEMA_0 = (
    'CREATE TABLE "receipts" (\n   "id" INTEGER PRIMARY KEY,\n   "created_at" TEXT NOT NULL,\n'
    '   "language" TEXT,\n   "receipt_status" TEXT,\n   "local_reference" TEXT,\n'
    '   "print_status" TEXT NOT NULL,\n   "attempts" INTEGER,\n   "last_error" TEXT,\n'
    '   "updated_at" TEXT,\n   "sealed" BLOB NOT NULL\n)',
    'CREATE INDEX "idx_receipts_print_status"\n    ON "receipts" ("print_status")',
)
AUDIT_SCHEMA_0 = (
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, "
    "action TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
)


def _create(path: Path, statements: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")  # both released stores ran in WAL
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


@contextlib.contextmanager
def _knowing_no_schema() -> Iterator[None]:
    saved = journal_module.MIGRATIONS, audit_module.MIGRATIONS
    journal_module.MIGRATIONS, audit_module.MIGRATIONS = [], []
    try:
        yield
    finally:
        journal_module.MIGRATIONS, audit_module.MIGRATIONS = saved


def write_schema_0_journal(storage: Path, receipts: list[Receipt]) -> list[int]:
    """A receipt journal at schema 0 holding ``receipts``; their ids."""
    _create(storage / journal_module.DB_NAME, JOURNAL_SCHEMA_0)
    with _knowing_no_schema(), ReceiptJournal(storage) as journal:
        ids = [journal.add(receipt) for receipt in receipts]
        journal.mark(ids[0], "failed", "PaperOut")
    return ids


def write_schema_0_audit(storage: Path, actions: list[str]) -> None:
    """An audit log at schema 0 with one chained entry per action (and its head file)."""
    _create(storage / audit_module.DB_FILE, AUDIT_SCHEMA_0)
    with _knowing_no_schema(), AuditLog(storage) as log:
        for action in actions:
            log.append(action, reason="released")


def schema_of(path: Path) -> tuple[int, list[tuple[str, str]]]:
    """(user_version, sorted (name, sql) of every table and index) of a database file."""
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                            "ORDER BY name").fetchall()
        return version, rows
    finally:
        conn.close()


def rows_of(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608 - test names
    finally:
        conn.close()


OUTBOX_V1_COLUMNS = ("id", "local_ref", "idempotency_key", "kiosk_id", "service_id", "order_key", "status",
                     "created_at", "updated_at", "size", "attempts", "next_attempt_at", "last_error_code",
                     "last_error_reason", "portal_ref", "sealed")


def write_schema_1_outbox(storage: Path, entries: list[dict], public_key: object) -> list[str]:
    """An outbox as 0.1.0 left it: schema version 1, its entries pending.

    Unlike the journal's rows, an outbox row is no longer written the old
    way (version 2 added the `head` flag and the counts), so today's code
    seals and queues the entries in a scratch outbox and the version-1
    columns of its rows are copied into a file made by step 1 alone.
    """
    from offline_queue import schema
    from offline_queue.outbox import Outbox

    scratch = storage.parent / f"{storage.name}-scratch"
    outbox = Outbox(scratch, kiosk_id="test-kiosk", portal_public_key=public_key)
    refs = [outbox.enqueue(entry).local_ref for entry in entries]
    outbox.close()
    storage.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(storage / "outbox.sqlite3")
    try:
        import sqlite_utils

        schema.MIGRATIONS[0](sqlite_utils.Database(target))
        target.execute("PRAGMA user_version = 1")
        target.execute("ATTACH DATABASE ? AS scratch", (str(scratch / "outbox.sqlite3"),))
        columns = ", ".join(OUTBOX_V1_COLUMNS)
        target.execute(f"INSERT INTO entries ({columns}) SELECT {columns} FROM scratch.entries")  # noqa: S608
        target.execute("INSERT INTO ref_counters SELECT * FROM scratch.ref_counters")
        target.commit()
        target.execute("DETACH DATABASE scratch")
    finally:
        target.close()
    for leftover in scratch.iterdir():
        leftover.unlink()
    scratch.rmdir()
    return refs

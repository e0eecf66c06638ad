"""The outbox's SQLite schema and its forward-only migrations.

A kiosk is upgraded in the field with entries still waiting in its outbox,
so the schema carries its version in ``PRAGMA user_version`` and a new
release appends a migration instead of editing an old one: each kiosk
runs exactly the steps it has not run yet, each in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils


class SchemaTooNew(RuntimeError):
    """The database was written by a newer release; refuse rather than guess."""


# The columns below are all that is ever in clear on disk: no name, no
# personal number, no form value; those live only inside ``sealed``.
def _v1(db: sqlite_utils.Database) -> None:
    # Written out rather than made by Table.create(): sqlite-utils has no
    # AUTOINCREMENT, and without it a drained queue hands out id 1 again,
    # so "kiosk queue retry 12" could one day name a different entry.
    # INTEGER PRIMARY KEY is the rowid: "oldest first" is a B-tree walk.
    db.execute(
        """
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            local_ref TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            service_id TEXT NOT NULL,
            order_key TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'in_flight', 'delivered', 'dead')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            size INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            last_error_code TEXT,
            last_error_reason TEXT,
            portal_ref TEXT,
            sealed BLOB NOT NULL
        )
        """
    )
    db["entries"].create_index(["local_ref"], unique=True)
    db["entries"].create_index(["idempotency_key"], unique=True)
    # (status, id): the pending scan stays a range walk in id order even when
    # delivered entries are kept for storage.keep_delivered_days.
    db["entries"].create_index(["status", "id"])
    # (order_key, id): "is there an earlier pending entry of this citizen?"
    db["entries"].create_index(["order_key", "id"])
    db["ref_counters"].create({"period": str, "last_seq": int}, pk="period")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the database up to the newest schema; return the version it is at."""
    conn: sqlite3.Connection = db.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise SchemaTooNew(
            f"the outbox has schema version {version}, this release knows up to "
            f"{len(MIGRATIONS)}; install the newer release again or export the queue"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                conn.execute("ROLLBACK")
                continue
            MIGRATIONS[number - 1](db)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)

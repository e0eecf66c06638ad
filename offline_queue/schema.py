"""The outbox's SQLite schema and its forward-only migrations.

A kiosk is upgraded in the field with entries still waiting in its outbox,
so the schema carries its version in ``PRAGMA user_version`` and a new
release appends a migration instead of editing an old one: each kiosk
runs exactly the steps it has not run yet, each in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

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


def _v2(db: sqlite_utils.Database) -> None:
    """Dequeue cost independent of the backlog; less in clear; a re-keyable retry.

    * ``head`` marks the one pending entry per ordering key that may go next
      (the oldest). v1 found it with a NOT EXISTS per candidate, which walks
      the whole backlog when a few citizens own it; the flag turns "due
      entries" and "next due time" into index range reads.
    * ``queue_counts`` is kept by triggers, so "how many are pending" is one
      primary-key read for every connection, including a technician's shell.
    * ``order_key`` is cut to 16 bits and ``last_error_reason`` (the portal's
      free text, which may quote a form) is no longer kept: see outbox.py.
    * ``retired_keys`` records idempotency keys a refused entry was sent
      under before a technician's retry gave it a fresh one.
    """
    conn: sqlite3.Connection = db.conn
    # The cut keys and the dropped messages must not survive in freed space
    # inside the rewritten pages; the caller's checkpoint then replaces the
    # old pages in the main file (Outbox.__init__, or the last close).
    secure_delete = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")
    db.execute("ALTER TABLE entries ADD COLUMN head INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE entries ADD COLUMN retired_keys TEXT NOT NULL DEFAULT ''")
    # 4 hex digits written out, not imported: a released step must not
    # change when a later release changes kiosk_key.ORDER_KEY_HEX_CHARS.
    db.execute("UPDATE entries SET order_key = substr(order_key, 1, 4) "
               "WHERE order_key NOT LIKE 'none:%'")
    db.execute("UPDATE entries SET order_key = '' WHERE status = 'delivered'")
    db.execute("UPDATE entries SET last_error_reason = NULL")
    db.execute("UPDATE entries SET head = 1 WHERE status = 'pending' AND id = "
               "(SELECT p.id FROM entries AS p WHERE p.order_key = entries.order_key "
               "AND p.status = 'pending' ORDER BY p.id LIMIT 1)")
    db.execute("DROP INDEX IF EXISTS idx_entries_order_key_id")
    # (order_key, status): "the oldest pending entry of this key" without
    # walking the key's delivered history.
    db["entries"].create_index(["order_key", "status"])
    # (status, head) ends in the rowid: heads in id order, no sort.
    db["entries"].create_index(["status", "head"])
    db["entries"].create_index(["status", "head", "next_attempt_at"])
    db.execute("CREATE TABLE queue_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) "
               "WITHOUT ROWID")
    db.execute("INSERT INTO queue_counts (status, n) VALUES "
               "('pending', 0), ('in_flight', 0), ('delivered', 0), ('dead', 0)")
    db.execute("UPDATE queue_counts SET n = (SELECT count(*) FROM entries "
               "WHERE entries.status = queue_counts.status)")
    db.execute("CREATE TRIGGER entries_count_insert AFTER INSERT ON entries BEGIN "
               "UPDATE queue_counts SET n = n + 1 WHERE status = NEW.status; END")
    db.execute("CREATE TRIGGER entries_count_delete AFTER DELETE ON entries BEGIN "
               "UPDATE queue_counts SET n = n - 1 WHERE status = OLD.status; END")
    db.execute("CREATE TRIGGER entries_count_update AFTER UPDATE OF status ON entries "
               "WHEN OLD.status <> NEW.status BEGIN "
               "UPDATE queue_counts SET n = n - 1 WHERE status = OLD.status; "
               "UPDATE queue_counts SET n = n + 1 WHERE status = NEW.status; END")
    conn.execute(f"PRAGMA secure_delete = {int(secure_delete)}")


def _v3(db: sqlite_utils.Database) -> None:
    """Two B-trees and three triggers fewer to write on every store and acknowledgement.

    * ``queue_counts`` is kept by the outbox's own statements in the same
      transaction as each change of status (`outbox.Outbox`), no longer by
      triggers: a trigger program per row cost more CPU than the whole
      rest of an acknowledgement's upkeep (measured with the bench's drain,
      see README "Offline queue"). Every writer goes through the Outbox
      class, a technician's ``kiosk queue retry`` included.
    * The (status, id) index goes: the pending scans read (status, head)
      (the oldest pending entry is always its citizen's head), and listing
      delivered or dead entries, a technician's rare request, walks the
      (status, head) range whose head is 0 for every such entry, in id order.
    """
    for trigger in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER IF EXISTS entries_count_{trigger}")
    db.execute("DROP INDEX IF EXISTS idx_entries_status_id")
    recount(db.conn)


def recount(conn: sqlite3.Connection) -> None:
    """Set ``queue_counts`` from the entries themselves (a migration; tests that bulk-insert)."""
    conn.execute("UPDATE queue_counts SET n = (SELECT count(*) FROM entries "
                 "WHERE entries.status = queue_counts.status)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3]


def apply_steps(db: sqlite_utils.Database, steps: Sequence[Callable[[sqlite_utils.Database], None]],
                store: str, advice: str = "install the newer release again") -> int:
    """Run the steps ``db`` has not run yet; return the version reached (``len(steps)``).

    The one runner for every versioned store (this outbox, and through
    kiosk/store_schema.py the receipt journal and the audit log), so they
    cannot drift apart in how a half-run step or a newer file is handled.
    """
    conn: sqlite3.Connection = db.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(steps):
        raise SchemaTooNew(
            f"the {store} has schema version {version}, this release knows up to "
            f"{len(steps)}; {advice}")
    for number in range(version + 1, len(steps) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have run this step while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                conn.execute("ROLLBACK")
                continue
            steps[number - 1](db)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return len(steps)


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the outbox up to the newest schema; return the version it is at."""
    return apply_steps(db, MIGRATIONS, "outbox", "install the newer release again or export the queue")

"""Forward-only, versioned schema steps for the kiosk's own SQLite stores.

The receipt journal and the audit log follow the outbox's rule
(`offline_queue.schema`): the schema version lives in ``PRAGMA user_version``,
a release appends a step instead of editing one, and each kiosk runs exactly
the steps it has not run yet, each in its own transaction. This is the one
runner for the stores under ``kiosk/`` so they cannot drift apart in how a
half-run step or a newer file is handled.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import sqlite_utils

# The outbox's exception, so `kiosk migrate` and callers catch one type for every store.
from offline_queue.schema import SchemaTooNew

Step = Callable[[sqlite_utils.Database], None]

__all__ = ["SchemaTooNew", "Step", "apply_steps", "require_columns"]


def apply_steps(db: sqlite_utils.Database, steps: Sequence[Step], store: str) -> int:
    """Run the steps ``db`` has not run yet; return the version reached (``len(steps)``)."""
    conn: sqlite3.Connection = db.conn
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(steps):
        raise SchemaTooNew(
            f"the {store} has schema version {version}, this release knows up to "
            f"{len(steps)}; install the newer release again")
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


def require_columns(db: sqlite_utils.Database, table: str, columns: Sequence[str]) -> None:
    """Refuse to stamp a version on a table that is not the shape that version means.

    Version 1 of a store adopts the unversioned table earlier releases made;
    a table of the same name with other columns was made by something else,
    and calling it version 1 would let later steps run on a guess.
    """
    found = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")').fetchall()]
    if found != list(columns):
        raise RuntimeError(f"table {table} has the columns {found}, expected {list(columns)}")

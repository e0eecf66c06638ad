"""Forward-only, versioned schema steps for the kiosk's own SQLite stores.

The receipt journal and the audit log follow the outbox's rule
(`offline_queue.schema`): the schema version lives in ``PRAGMA user_version``,
a release appends a step instead of editing one, and each kiosk runs exactly
the steps it has not run yet, each in its own transaction, through the
outbox's own runner (`offline_queue.schema.apply_steps`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlite_utils

# The outbox's runner and exception: one way to migrate, one type to catch, for every store.
from offline_queue.schema import SchemaTooNew, apply_steps

Step = Callable[[sqlite_utils.Database], None]

__all__ = ["SchemaTooNew", "Step", "apply_steps", "require_columns"]


def require_columns(db: sqlite_utils.Database, table: str, columns: Sequence[str]) -> None:
    """Refuse to stamp a version on a table that is not the shape that version means.

    Version 1 of a store adopts the unversioned table earlier releases made;
    a table of the same name with other columns was made by something else,
    and calling it version 1 would let later steps run on a guess.
    """
    found = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")').fetchall()]
    if found != list(columns):
        raise RuntimeError(f"table {table} has the columns {found}, expected {list(columns)}")

"""The outbox's read side: what lists, screens, metrics and the technician look at.

Kept apart from `outbox.py` (the write path and its durability rules) so
each file reads in one sitting. Every read here is an index or
primary-key lookup: the controller refreshes the queue figure on every
forwarder event, so none of them may grow with the backlog.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from offline_queue import order
from offline_queue.entry import QueuedEntry, parse_utc_iso

STATUSES = ("pending", "in_flight", "delivered", "dead")


def ref_params(ref_or_id: str | int) -> dict[str, Any]:
    """A technician names an entry by its local reference (printed on the
    receipt) or by its row number (shown by `kiosk queue list`)."""
    text = str(ref_or_id)
    return {"ref": text, "id": int(text) if text.isdigit() else -1}


class OutboxReads:
    """Mixed into `Outbox`, which opens the connection these use."""

    path: Path
    dir: Path
    db: sqlite_utils.Database
    _conn: sqlite3.Connection
    _lock: threading.RLock
    _in_flight: dict[int, str]

    def get(self, ref_or_id: str | int) -> QueuedEntry | None:
        with self._lock:
            rows = list(self.db.query("SELECT * FROM entries WHERE local_ref = :ref OR id = :id",
                                      ref_params(ref_or_id)))
        return self._with_live_status(QueuedEntry.from_row(rows[0])) if rows else None

    def _with_live_status(self, entry: QueuedEntry) -> QueuedEntry:
        if entry.status == "pending" and entry.id in self._in_flight:
            return entry.with_status("in_flight")
        return entry

    def entries(self, status: str | None = None, limit: int | None = 100,
                with_sealed: bool = False) -> list[QueuedEntry]:
        """Entries oldest first, optionally of one status, for lists and export."""
        with self._lock:
            rows = list(self.db.query(
                "SELECT * FROM entries WHERE (:status IS NULL OR status = :status) "
                "ORDER BY id LIMIT :limit",
                {"status": status, "limit": -1 if limit is None else limit}))
        return [self._with_live_status(QueuedEntry.from_row(row, with_sealed)) for row in rows]

    def count(self, status: str) -> int:
        """Entries of ``status`` as stored ("pending" includes those in flight):
        one primary-key read of ``queue_counts`` (kept by the outbox's writes), whatever the backlog."""
        if status not in STATUSES:
            raise ValueError(f"no such status: {status}")
        with self._lock:
            return self._conn.execute(order.PENDING_COUNT, {"status": status}).fetchone()[0]

    def pending_count(self) -> int:
        """Entries not yet delivered nor dead, in flight included: for the screens' queue figure."""
        return self.count("pending")

    def stats(self) -> dict[str, Any]:
        """What the maintenance screen and the metrics show; no personal data."""
        with self._lock:
            counts = dict(self._conn.execute("SELECT status, n FROM queue_counts").fetchall())
            # The oldest pending entry is always the head of its citizen's line,
            # so the (status, head) index finds it in one step at any backlog.
            oldest = self._conn.execute(
                "SELECT created_at FROM entries WHERE status = 'pending' AND head = 1 "
                "ORDER BY id LIMIT 1").fetchone()
            in_flight = len(self._in_flight)
        oldest_age = max(0.0, time.time() - parse_utc_iso(oldest[0])) if oldest else None
        wal = Path(f"{self.path}-wal")
        return {
            "pending": counts.get("pending", 0),
            "in_flight": in_flight,
            "delivered_kept": counts.get("delivered", 0),
            "dead": counts.get("dead", 0),
            "oldest_pending_age_s": oldest_age,
            "db_bytes": self.path.stat().st_size,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
            "free_mb": shutil.disk_usage(self.dir).free // (1024 * 1024),
        }

    def integrity_check(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA integrity_check").fetchone()[0]


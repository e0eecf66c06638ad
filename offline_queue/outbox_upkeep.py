"""What happens to outbox entries after the forwarder is done with them.

A technician's retry of a refused entry, the purge of delivered entries
and giving their pages back to the disk. Kept apart from `outbox.py`
(submission, hand-out and acknowledgement: the durable hot path) so each
file reads in one sitting; `Outbox` mixes this in and opens the
connection it uses.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from offline_queue import order
from offline_queue.entry import QueuedEntry, utc_iso
from offline_queue.outbox_reads import ref_params


class OutboxUpkeep:
    """Mixed into `Outbox`: the technician's retry and the delivered entries' clean-up."""

    keep_delivered_days: int
    _conn: sqlite3.Connection
    _lock: threading.RLock
    _listeners: list[Callable[[QueuedEntry], None]]
    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]
    get: Callable[[str | int], Any]

    def retry(self, ref_or_id: str | int) -> QueuedEntry | None:
        """A technician's decision to send a dead letter again; None if no such dead entry.

        The entry goes out under a fresh idempotency key. The portal keeps
        the refusal it gave under the old key and replays it to every
        repeat, as an idempotency key promises (the IETF Idempotency-Key
        draft), so resending under the old key could never succeed, even
        after the cause was fixed. A fresh key is safe because an entry is
        dead only on a 4xx refusal, and a key whose first answer was a
        refusal created nothing at the portal: had any attempt under it
        created a transaction, every later answer would be that 201 replayed.

        Re-keying needs neither the citizen nor the card: the key travels
        beside the sealed envelope (the Idempotency-Key header, a batch
        item's ``idempotency_key``), not inside it. What the card and the
        kiosk signed names the entry by its ``local_ref``, which never
        changes, so the portal can still tie every attempt to one
        submission. The retired key and the refusal it got stay in the
        entry's ``retired_keys`` for the technician and the portal's staff.
        """
        params = ref_params(ref_or_id)
        now = utc_iso(time.time())
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, idempotency_key, last_error_code, order_key, retired_keys FROM entries"
                " WHERE (local_ref = :ref OR id = :id) AND status = 'dead'", params).fetchone()
            if row is None:
                return None
            entry_id, old_key, code, order_key, retired = row
            history = [*json.loads(retired or "[]"), [old_key, code or "", now]]
            conn.execute(
                "UPDATE entries SET status = 'pending', idempotency_key = ?, retired_keys = ?, "
                "next_attempt_at = 0, updated_at = ? WHERE id = ?",
                (str(uuid.uuid4()), json.dumps(history), now, entry_id))
            order.move_counts(conn, {"dead": -1, "pending": 1})
            order.reorder(conn, order_key)
        entry = self.get(ref_or_id)
        for listener in list(self._listeners):
            listener(entry)  # wakes the forwarder
        return entry

    def compact(self) -> None:
        """Purge delivered entries not kept, give back free pages, empty the WAL."""
        with self._write() as conn:
            self._purge_delivered(conn)
        self._give_back_space()

    def _purge_delivered(self, conn: sqlite3.Connection) -> None:
        """Delete the delivered entries ``keep_delivered_days`` does not keep, in the caller's
        transaction."""
        if self.keep_delivered_days > 0:
            cutoff = utc_iso(time.time() - self.keep_delivered_days * 86400)
            purged = conn.execute("DELETE FROM entries WHERE status = 'delivered' "
                                  "AND updated_at < ?", (cutoff,)).rowcount
        else:
            purged = conn.execute("DELETE FROM entries WHERE status = 'delivered'").rowcount
        order.move_counts(conn, {"delivered": -purged})

    def _give_back_space(self) -> None:
        with self._lock:
            # executescript, not execute: Python steps a row-less statement
            # once, and incremental_vacuum frees one page per step.
            self._conn.executescript("PRAGMA incremental_vacuum;")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

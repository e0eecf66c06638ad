"""Which pending entries may go next (the outbox's ordering rule, kept index-driven), and the
per-status counts kept beside it in the same transactions.

The rule: a citizen's submissions reach the portal in the order made, so
of the pending entries sharing an ordering key only the oldest may be
sent; a dead letter does not hold the others back. Entries without a
personal number have an ordering key of their own and are never held.

Version 1 of the schema checked the rule per candidate with a NOT EXISTS,
so when a few citizens owned a long backlog the scan walked every blocked
entry before it found the few it could send (30 ms per round at 20,000
entries of 12 citizens). Now the rule is stored: ``head = 1`` on exactly
the oldest pending entry of each key, kept in the same transaction as
every change of status, so "due entries" reads the (status, head) index in
id order and stops after ``limit`` rows, and "next due time" is the first
row of the (status, head, next_attempt_at) index. Each upkeep statement
touches one key and reads its (order_key, status) index range.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping

from offline_queue.entry import STORED_COLUMNS

# The head flag is set in the INSERT itself: the new entry goes first
# exactly when no entry of its key is pending.
INSERT_ENTRY = (
    "INSERT INTO entries (local_ref, idempotency_key, kiosk_id, service_id, order_key, status,"
    " created_at, updated_at, size, attempts, next_attempt_at, sealed, head) VALUES (:local_ref,"
    " :idempotency_key, :kiosk_id, :service_id, :order_key, :status, :created_at, :updated_at,"
    " :size, :attempts, :next_attempt_at, :sealed, NOT EXISTS (SELECT 1 FROM entries AS p"
    " WHERE p.order_key = :order_key AND p.status = 'pending'))"
)
# INDEXED BY: with a range on next_attempt_at the planner may prefer the
# (status, head, next_attempt_at) index and sort every head by id; id
# order with LIMIT must stop early whatever the statistics say.
DUE = (
    f"SELECT {STORED_COLUMNS} FROM entries INDEXED BY idx_entries_status_head"  # noqa: S608
    " WHERE status = 'pending' AND head = 1 AND next_attempt_at <= :now ORDER BY id LIMIT :limit"
)
NEXT_DUE = (
    "SELECT next_attempt_at FROM entries WHERE status = 'pending' AND head = 1"
    " ORDER BY next_attempt_at LIMIT 1"
)
PENDING_COUNT = "SELECT n FROM queue_counts WHERE status = :status"
_MOVE_COUNT = "UPDATE queue_counts SET n = n + ? WHERE status = ? RETURNING n"
_OLDEST_OF_KEY = (
    "UPDATE entries SET head = 1 WHERE head = 0 AND id = (SELECT p.id FROM entries AS p"
    " WHERE p.order_key = ? AND p.status = 'pending' ORDER BY p.id LIMIT 1)"
)
# A portal's code is stored, its message never (it may quote the form);
# a "code" that does not look like one is not stored either.
_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def promote(conn: sqlite3.Connection, order_keys: Iterable[str]) -> None:
    """After entries left "pending": the oldest still pending of each key goes next.

    A ``none:`` key (no personal number) is its entry's own: nobody waits behind it
    (`reorder`, which brings such an entry back, promotes every key).
    """
    for key in {key for key in order_keys if not key.startswith("none:")}:
        conn.execute(_OLDEST_OF_KEY, (key,))


def move_counts(conn: sqlite3.Connection, moves: Mapping[str, int]) -> dict[str, int]:
    """Apply changes of ``queue_counts`` in the caller's transaction; return the new counts.

    Every change of an entry's status calls this in the same transaction
    (schema step 3 replaced the triggers that did it, for their cost), so a
    reader of ``queue_counts`` never sees a count that disagrees with the rows.
    """
    # One short statement per status: a single one reading the moves from
    # JSON cost several times as much CPU per acknowledgement.
    return {status: conn.execute(_MOVE_COUNT, (delta, status)).fetchone()[0]
            for status, delta in moves.items() if delta}


def reorder(conn: sqlite3.Connection, order_key: str) -> None:
    """After an older entry became pending again (a retry): it goes first, not the one
    that was first until now."""
    conn.execute("UPDATE entries SET head = 0 WHERE order_key = ? AND status = 'pending'"
                 " AND head = 1", (order_key,))
    conn.execute(_OLDEST_OF_KEY, (order_key,))


def error_code(code: object) -> str:
    """``code`` if it is a code (letters, digits, ``_.:-``, at most 64), else a fixed stand-in."""
    text = str(code)
    return text if _CODE.fullmatch(text) else "unrecognised_code"

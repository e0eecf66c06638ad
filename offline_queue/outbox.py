"""The outbox: every submission is sealed and made durable here first.

Write-ahead: the citizen sees "accepted" only after one durable SQLite
commit (WAL, ``synchronous=FULL``: one fsync of the WAL per submission and
none besides), whether the portal is reachable or not; the forwarder then
sends from here. Its acknowledgements and failed attempts commit without an
fsync of their own: one lost to a power cut only sends the entry again, with
the same idempotency key, and the portal answers it from its record of the
first delivery (tests/test_queue_power_cut.py). A refusal (dead letter) is
committed durably: it must not be sent again by itself.

What reaches the disk is the HPKE-sealed envelope plus metadata that names
no citizen (see `schema._v1`): service id, times, size, attempts, status,
local and portal references, the portal's error code (never its message,
which may quote what the citizen typed) and a 16-bit ordering key
(kiosk_key.ordering_key), emptied once the entry is delivered.

One process writes (the kiosk); it holds ``outbox.lock`` so a second kiosk
process started by mistake fails at once instead of handing out the same
local references. Within it, the UI's worker and the forwarder thread share
one connection behind a lock. Maintenance commands open the database
without the lock; SQLite's own locking and ``busy_timeout`` keep them safe.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from offline_queue import envelope as env
from offline_queue import kiosk_key, order
from offline_queue.entry import QueuedEntry, reference_prefix, utc_iso
from offline_queue.outbox_reads import OutboxReads
from offline_queue.outbox_upkeep import OutboxUpkeep
from offline_queue.schema import migrate

DB_FILE = "outbox.sqlite3"
LOCK_FILE = "outbox.lock"
# The WAL is cut back to this after each checkpoint, so a burst of
# submissions does not leave a file the size of the burst behind.
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024
# Delivered entries (when none are to be kept) are deleted together once
# this many wait, if the queue has not run dry first (`Outbox.mark_delivered`).
SWEEP_AFTER = 256
_BUMP_REF_COUNTER = (
    "INSERT INTO ref_counters (period, last_seq) VALUES (?, ?) "
    "ON CONFLICT(period) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)")


def _storable(text: str) -> str:
    """Text SQLite can store: a lone surrogate (JSON from the portal may carry one) becomes "?"."""
    return str(text).encode("utf-8", "replace").decode("utf-8")


class OutboxError(RuntimeError):
    """The outbox cannot do what was asked (no sealing key, already open elsewhere)."""


class Outbox(OutboxUpkeep, OutboxReads):
    """Durable, sealed store of submissions waiting for (or done with) the portal."""

    def __init__(
        self,
        storage_dir: str | os.PathLike[str],
        *,
        kiosk_id: str = "",
        portal_public_key: X25519PublicKey | None = None,
        keep_delivered_days: int = 0,
        writer: bool = True,
        ref_prefix: str | None = None,
    ) -> None:
        self.dir = kiosk_key.ensure_private_dir(storage_dir)
        self.path = self.dir / DB_FILE
        self.kiosk_id = kiosk_id
        self.keep_delivered_days = keep_delivered_days
        self._public_key = portal_public_key
        self._lock = threading.RLock()
        # Entry id -> ordering key of the entries due_entries handed out: the
        # acknowledgement needs the key to promote the citizen's next entry.
        self._in_flight: dict[int, str] = {}
        self._listeners: list[Callable[[QueuedEntry], None]] = []
        self._lock_fd: int | None = None
        if writer:
            self._take_writer_lock()
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0)
        if writer:
            os.chmod(self.path, 0o600)  # sealed, but still nobody else's business
        self.db = sqlite_utils.Database(conn)
        self._conn = conn
        # auto_vacuum first: it only takes on a new, empty file, and lets a
        # drained outbox give its pages back to the disk (see compact()).
        # secure_delete FAST, not Debian's default ON: deleted content is
        # still zeroed in every page the commit writes anyway, but a freed
        # page is not written once more just to zero a sealed envelope the
        # kiosk could not read (a page less per acknowledgement); a drained
        # queue's free pages are cut off the file by compact().
        for pragma in ("auto_vacuum = INCREMENTAL", "journal_mode = WAL", "synchronous = FULL",
                       f"journal_size_limit = {JOURNAL_SIZE_LIMIT}", "busy_timeout = 10000",
                       "secure_delete = FAST"):
            conn.execute(f"PRAGMA {pragma}")
        released = conn.execute("PRAGMA user_version").fetchone()[0]
        migrate(self.db)
        if writer and 0 < released < 2:
            # Step 2 cut ordering keys and dropped portal messages; the main
            # file still holds the old pages until the WAL is written back.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._counters: dict[str, int] = {}
        self._seen_data_version: int | None = None
        self._signing_key = kiosk_key.load_or_create_signing_key(self.dir) if writer else None
        self._order_secret = kiosk_key.load_or_create_order_secret(self.dir) if writer else b""
        self.ref_prefix = ref_prefix or reference_prefix(kiosk_id)

    @classmethod
    def from_config(cls, config: Any, *, writer: bool = True) -> Outbox:
        """The kiosk's outbox as its configuration places it."""
        from kiosk.sealing import load_public_key

        public = load_public_key(config.portal.public_key) if config.portal.public_key else None
        return cls(config.storage.dir, kiosk_id=config.kiosk.id, portal_public_key=public,
                   keep_delivered_days=config.storage.keep_delivered_days, writer=writer)

    def _take_writer_lock(self) -> None:
        fd = os.open(self.dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutboxError(f"another kiosk process is using the outbox in {self.dir}") from None
        self._lock_fd = fd

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction = one commit; a durable one is one fsync of the WAL.

        A commit that is not durable (``synchronous = NORMAL`` for it alone)
        is atomic all the same and is made durable by the next durable commit
        or checkpoint, whose fsync covers the whole WAL before it: a power cut
        can only take the newest such commits, never one without those before.
        """
        with self._lock:
            if not durable:
                self._conn.execute("PRAGMA synchronous = NORMAL")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous = FULL")

    # --- the citizen's side -------------------------------------------------

    def can_accept(self, min_free_mb: int) -> bool:
        """False when the disk is too full to promise a submission will be kept.

        Asked before the citizen starts a form, so nobody types for ten
        minutes to be told at the end that nothing could be stored.
        """
        try:
            free = shutil.disk_usage(self.dir).free
        except OSError:
            return False
        return free >= min_free_mb * 1024 * 1024 and os.access(self.dir, os.W_OK)

    def on_enqueue(self, listener: Callable[[QueuedEntry], None]) -> None:
        """Call ``listener`` after each durable enqueue (the forwarder wakes on it)."""
        self._listeners.append(listener)

    def enqueue(self, request: Mapping[str, Any],
                sign_with_card: env.CardSigner | None = None) -> QueuedEntry:
        """Seal ``request`` and store it durably; return its local reference at once.

        ``request`` holds ``service_id``, ``values``, ``personal_number`` (or
        None) and ``language``; the outbox adds ``kiosk_id``, ``created_at``
        and ``local_ref``. Nothing in clear touches the disk: the envelope is
        signed and sealed in memory first (`prepare`), then stored in one
        durable commit (`commit`).
        """
        return self.commit(self.prepare(request, sign_with_card))

    def prepare(self, request: Mapping[str, Any],
                sign_with_card: env.CardSigner | None = None) -> dict[str, Any]:
        """Sign and seal in memory; nothing is written. The row `commit` will store."""
        if self._public_key is None or self._signing_key is None:
            raise OutboxError("this outbox was opened without the portal's sealing key")
        if not request.get("service_id"):
            raise OutboxError("the request has no service_id")
        now = time.time()
        created_at = utc_iso(now)
        period = time.strftime("%y%m", time.localtime(now))
        seq = self._reserve_seq(period)
        local_ref = f"{self.ref_prefix}-{period}-{seq:04d}"
        full = {"values": {}, "personal_number": None, "language": "ka", **request,
                "kiosk_id": self.kiosk_id, "created_at": created_at, "local_ref": local_ref}
        plaintext = env.build_envelope(full, self._signing_key, sign_with_card)
        sealed = env.seal_envelope(plaintext, self._public_key)
        del plaintext  # best effort: Python cannot wipe bytes, but keep no reference
        idempotency_key = str(uuid.uuid4())
        personal_number = request.get("personal_number")
        order_key = (kiosk_key.ordering_key(self._order_secret, str(personal_number))
                     if personal_number else "none:" + idempotency_key)
        return {"local_ref": local_ref, "idempotency_key": idempotency_key,
                "kiosk_id": self.kiosk_id, "service_id": str(request["service_id"]),
                "order_key": order_key, "status": "pending", "created_at": created_at,
                "updated_at": created_at, "size": len(sealed), "attempts": 0,
                "next_attempt_at": 0.0, "sealed": sealed, "period": period, "seq": seq}

    def commit(self, prepared: dict[str, Any]) -> QueuedEntry:
        """Store a prepared entry: one transaction, one fsync; then tell the listeners."""
        p = prepared
        with self._write() as conn:
            entry_id = conn.execute(order.INSERT_ENTRY, p).lastrowid
            conn.execute(_BUMP_REF_COUNTER, (p["period"], p["seq"]))
            order.move_counts(conn, {p["status"]: 1})
        # Built from what was just written, not read back.
        entry = QueuedEntry(entry_id, p["local_ref"], p["idempotency_key"], p["kiosk_id"],
                            p["service_id"], p["order_key"], p["status"], p["created_at"],
                            p["updated_at"], p["size"], p["attempts"], p["next_attempt_at"],
                            sealed=p["sealed"])
        for listener in list(self._listeners):
            listener(entry)
        return entry

    def _reserve_seq(self, period: str) -> int:
        with self._lock:
            if period not in self._counters:
                row = self._conn.execute(
                    "SELECT last_seq FROM ref_counters WHERE period = ?", (period,)).fetchone()
                self._counters[period] = row[0] if row else 0
            self._counters[period] += 1
            return self._counters[period]

    # --- the forwarder's side -----------------------------------------------

    def due_entries(self, limit: int, now: float | None = None) -> list[QueuedEntry]:
        """Oldest pending entries that may be sent now, at most one per citizen.

        An entry waits while an earlier one of the same citizen is pending,
        so a citizen's submissions reach the portal in the order made; one
        per citizen per batch keeps that true even if the portal handled a
        batch's items out of order (`order`: an index read, whatever the
        backlog). Marks the returned entries in flight.
        """
        now = time.time() if now is None else now
        with self._lock:
            entries = [QueuedEntry.from_stored(row) for row in
                       self._conn.execute(order.DUE, {"now": now, "limit": limit})]
            self._in_flight.update((entry.id, entry.order_key) for entry in entries)
        return entries

    def changed_elsewhere(self) -> bool:
        """Whether another connection (a technician's `kiosk queue retry`) committed since
        the last call: SQLite's ``data_version`` moves only for other connections' commits."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        changed = self._seen_data_version is not None and version != self._seen_data_version
        self._seen_data_version = version
        return changed

    def next_due_at(self) -> float | None:
        """Wall time at which the soonest sendable entry may go, or None when none waits.

        Only entries first in their citizen's line count: one held back
        behind an earlier entry is not due, however old, so the forwarder
        sleeps instead of spinning through rounds that send nothing.
        """
        with self._lock:
            row = self._conn.execute(order.NEXT_DUE).fetchone()
        return row[0] if row else None

    def _keys_and_statuses(self, conn: sqlite3.Connection,
                           ids: list[int]) -> dict[int, tuple[str, str]]:
        """Entry id -> (ordering key, status), read in the caller's transaction."""
        return {entry_id: (key, status) for entry_id, key, status in conn.execute(
            "SELECT id, order_key, status FROM entries WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),))}

    def _forget(self, ids: list[int]) -> None:
        for entry_id in ids:
            self._in_flight.pop(entry_id, None)

    def mark_delivered(self, delivered: list[tuple[int, str]]) -> None:
        """Acknowledge (entry id, portal reference) pairs in one commit.

        The entries are marked delivered, not deleted: a sealed entry fills
        a page of its own, and deleting it frees that page and rebalances its
        neighbours, 12 pages to the WAL per acknowledgement against 5 for
        the update (counted in tests/test_queue_sweep.py). Delivered entries
        then go together (`_purge_delivered`) in the commit of the
        acknowledgement that empties the queue or brings ``SWEEP_AFTER`` of
        them together, so an online kiosk still commits once per delivery;
        with ``keep_delivered_days`` they wait that long instead. The commit
        has no fsync of its own (see the module's docstring): the
        submission's own commit was the durable one.
        """
        if not delivered:
            return
        now = utc_iso(time.time())
        ids = [entry_id for entry_id, _ in delivered]
        keys = {entry_id: self._in_flight.get(entry_id) for entry_id in ids}
        with self._write(durable=False) as conn:
            if None in keys.values():  # not handed out by due_entries (a tool, a test)
                keys.update({entry_id: key for entry_id, (key, _) in
                             self._keys_and_statuses(conn, ids).items()})
            # A delivered entry needs no place in line: its ordering key
            # would only link a citizen's kept entries to each other.
            done = conn.executemany(
                "UPDATE entries SET status = 'delivered', head = 0, order_key = '', "
                "portal_ref = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                [(_storable(ref), now, entry_id) for entry_id, ref in delivered]).rowcount
            counts = order.move_counts(conn, {"pending": -done, "delivered": done})
            order.promote(conn, [key for key in keys.values() if key is not None])
            dry = counts.get("pending") == 0
            if dry or (self.keep_delivered_days <= 0 and counts.get("delivered", 0) >= SWEEP_AFTER):
                self._purge_delivered(conn)
        self._forget(ids)
        if dry:
            self._give_back_space()

    def mark_retry(self, ids: list[int], code: str, reason: str | None = None,
                   next_attempt_at: float = 0.0, count_attempt: bool = True) -> None:
        """Record a failed attempt; the entries stay pending (one commit, no fsync: a
        count lost to a power cut only brings the next attempt sooner).

        Only ``code`` is stored; ``reason`` is taken for the callers' symmetry
        with the forwarder's events and never reaches the disk.
        """
        if not ids:
            return
        with self._write(durable=False) as conn:
            conn.executemany(
                "UPDATE entries SET attempts = attempts + ?, last_error_code = ?, "
                "next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                [(int(count_attempt), order.error_code(code), next_attempt_at,
                  utc_iso(time.time()), entry_id) for entry_id in ids])
        self._forget(ids)

    def mark_dead(self, entry_id: int, code: str, reason: str | None = None) -> None:
        """The portal refused the entry: park it for a technician, never resend by itself.

        As in `mark_retry`, only the code is stored. The citizen's next
        entry, if any, no longer waits for this one.
        """
        with self._write() as conn:
            left = self._keys_and_statuses(conn, [entry_id]).values()
            conn.execute(
                "UPDATE entries SET status = 'dead', head = 0, attempts = attempts + 1, "
                "last_error_code = ?, updated_at = ? WHERE id = ?",
                (order.error_code(code), utc_iso(time.time()), entry_id))
            moves = Counter({"dead": len(left)})
            moves.subtract(status for _, status in left)
            order.move_counts(conn, moves)
            order.promote(conn, [key for key, _ in left])
        self._forget([entry_id])

    def release(self, ids: list[int]) -> None:
        """Forget in-flight marks without recording anything (the forwarder stopped)."""
        self._forget(ids)

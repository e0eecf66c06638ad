"""Schema step 2 on an outbox a version-1 release left behind: what it kept in clear is
cut or dropped (down to the bytes on disk), and the stored line per citizen and the
counts are right from the first dequeue."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import sqlite_utils

from kiosk.sealing import write_keypair
from offline_queue import schema
from offline_queue.outbox import DB_FILE, Outbox

QUOTED = "address 'Rustaveli 12 marker-q7zx' of 01001012345 is wrong"


def write_v1_outbox(storage: Path) -> list[str]:
    """60 entries as release 1 stored them: full 128-bit HMAC ordering keys, portal messages."""
    storage.mkdir(mode=0o700)
    conn = sqlite3.connect(storage / DB_FILE)
    conn.execute("PRAGMA journal_mode = WAL")
    schema.MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    # Three citizens own the pending entries, so their lines must be rebuilt.
    keys = [hashlib.sha256(f"citizen {i % 13 if i >= 20 else i}".encode()).hexdigest()[:32]
            for i in range(60)]
    rows = []
    for i in range(60):
        status = "dead" if i < 10 else "delivered" if i < 20 else "pending"
        rows.append((f"KA-2601-{i:04d}", f"key-{i}", keys[i], status,
                     "invalid_form" if i < 10 else None, QUOTED if i < 10 else None))
    conn.executemany(
        "INSERT INTO entries (local_ref, idempotency_key, kiosk_id, service_id, order_key, status,"
        " created_at, updated_at, size, sealed, last_error_code, last_error_reason) VALUES"
        " (?, ?, 'k', 'letter-to-agency', ?, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
        " 3, x'000102', ?, ?)", rows)
    conn.commit()
    conn.close()
    return keys


def test_step_2_cuts_keys_drops_messages_and_leaves_no_copy_on_disk(tmp_path):
    storage = tmp_path / "kiosk"
    keys = write_v1_outbox(storage)
    public = write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")
    box = Outbox(storage, kiosk_id="k", portal_public_key=public)
    assert box._conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
    blob = b"".join(p.read_bytes() for p in storage.iterdir() if p.name.startswith(DB_FILE))
    for key in keys:  # neither the full key nor the part that was cut off
        assert key.encode() not in blob and key[4:].encode() not in blob
    assert b"marker-q7zx" not in blob and b"01001012345" not in blob
    stored = dict(box._conn.execute("SELECT local_ref, order_key FROM entries").fetchall())
    assert stored["KA-2601-0000"] == keys[0][:4]  # a dead letter keeps its place in line
    assert stored["KA-2601-0010"] == ""  # delivered: none to keep
    assert stored["KA-2601-0020"] == keys[20][:4]
    dead = box.get("KA-2601-0000")
    assert dead.last_error_code == "invalid_form" and "marker" not in dead.last_error_reason
    assert dead.idempotency_key == "key-0" and dead.retired_keys == ()
    box.close()


def test_step_2_rebuilds_the_line_per_citizen_and_the_counts(tmp_path):
    storage = tmp_path / "kiosk"
    write_v1_outbox(storage)
    public = write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")
    box = Outbox(storage, kiosk_id="k", portal_public_key=public, keep_delivered_days=30)
    stats = box.stats()
    assert (stats["pending"], stats["dead"], stats["delivered_kept"]) == (40, 10, 10)
    sent: list[str] = []
    while batch := box.due_entries(50):
        # One per citizen per round, oldest first: 13 citizens, then their next ones.
        assert len({e.order_key for e in batch}) == len(batch)
        sent.extend(e.local_ref for e in batch)
        box.mark_delivered([(e.id, "MG") for e in batch])
    assert sorted(sent) == [f"KA-2601-{i:04d}" for i in range(20, 60)]
    assert sent[:13] == [f"KA-2601-{i:04d}" for i in range(20, 33)]
    # The 10 delivered under release 1 are past keep_delivered_days: purged on the drain.
    assert box.pending_count() == 0 and box.count("delivered") == 40
    box.close()

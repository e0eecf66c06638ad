"""Acknowledging marks an entry delivered; delivered entries go together (schema step 3).

Written pages are counted from the WAL, not timed: the figure that carries
over to a kiosk's eMMC is how much each durable commit has to write.
"""

from __future__ import annotations

import sqlite3
import struct
import time
from pathlib import Path

import pytest
import sqlite_utils

from kiosk.sealing import write_keypair
from offline_queue import schema
from offline_queue.entry import utc_iso
from offline_queue.outbox import DB_FILE, SWEEP_AFTER, Outbox
from tests.queue_support import bulk_fill

# A sealed envelope fills most of a 4 KiB page, as a real submission's does.
PAGE_SIZED = b"\x5a" * 2048


@pytest.fixture
def public(tmp_path: Path):
    return write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")


def _wal_frames(box: Outbox) -> int:
    return box._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]


def _wal_commits(box: Outbox) -> int:
    """Transactions in the WAL file: frames whose header carries the database size (commit frames)."""
    wal = Path(f"{box.path}-wal").read_bytes()
    page_size = struct.unpack(">I", wal[8:12])[0]
    frames = range(32, len(wal) - 23, 24 + page_size)
    return sum(1 for at in frames if struct.unpack(">I", wal[at + 4:at + 8])[0] != 0)


def _counts_agree(box: Outbox) -> None:
    stored = dict(box._conn.execute("SELECT status, n FROM queue_counts").fetchall())
    actual = dict(box._conn.execute("SELECT status, count(*) FROM entries GROUP BY status"))
    assert {s: n for s, n in stored.items() if n} == actual


def test_an_acknowledgement_writes_a_few_pages_not_a_rebalanced_tree(tmp_path, public):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=public)
    bulk_fill(box, 300, citizens=300, payload=PAGE_SIZED)
    box._conn.execute("PRAGMA wal_autocheckpoint = 0")
    box._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rounds = 20
    for _ in range(rounds):
        box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])
    per_ack = _wal_frames(box) / rounds
    # Deleting each entry at once wrote 12-14 pages (its leaf, two rebalanced
    # neighbours, the freelist, page 1, the pointer map, six index leaves):
    # the row, the three indexes its status is in, and the counts are 5.
    assert per_ack <= 6, per_ack
    _counts_agree(box)
    box.close()


def test_delivered_entries_are_swept_in_one_commit_when_enough_wait(tmp_path, public):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=public)
    bulk_fill(box, SWEEP_AFTER + 5, citizens=SWEEP_AFTER + 5)
    for _ in range(SWEEP_AFTER - 1):
        box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])
    assert box.count("delivered") == SWEEP_AFTER - 1  # kept until the sweep
    _counts_agree(box)
    box._conn.execute("PRAGMA wal_autocheckpoint = 0")
    box._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    changes = box._conn.total_changes
    box.mark_delivered([(e.id, "MG") for e in box.due_entries(1)])
    assert box.count("delivered") == 0 and box.pending_count() == 5
    assert box._conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 5
    assert box._conn.total_changes - changes >= SWEEP_AFTER  # the sweep deleted them all
    _counts_agree(box)
    box.close()


def test_a_queue_running_dry_sweeps_at_once_and_kept_entries_wait_their_days(tmp_path, public):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=public)
    bulk_fill(box, 3, citizens=3)
    box.mark_delivered([(e.id, "MG") for e in box.due_entries(2)])
    assert box.count("delivered") == 2
    box.mark_delivered([(e.id, "MG") for e in box.due_entries(2)])
    assert box._conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 0
    _counts_agree(box)
    box.close()

    kept = Outbox(tmp_path / "kept", kiosk_id="k", portal_public_key=public, keep_delivered_days=1)
    bulk_fill(kept, SWEEP_AFTER + 2, citizens=SWEEP_AFTER + 2)
    for _ in range(SWEEP_AFTER + 1):  # past SWEEP_AFTER: kept entries are not swept by number
        kept.mark_delivered([(e.id, "MG") for e in kept.due_entries(1)])
    assert kept.count("delivered") == SWEEP_AFTER + 1
    two_days_ago = utc_iso(time.time() - 2 * 86400)
    with kept._write() as conn:
        conn.execute("UPDATE entries SET updated_at = ? WHERE id IN (SELECT id FROM entries "
                     "WHERE status = 'delivered' ORDER BY id LIMIT 10)", (two_days_ago,))
    kept.mark_delivered([(e.id, "MG") for e in kept.due_entries(1)])  # runs dry: compact
    assert kept.count("delivered") == SWEEP_AFTER + 2 - 10
    _counts_agree(kept)
    kept.close()


def test_an_online_delivery_is_still_one_commit_with_its_entry_gone(tmp_path, public, monkeypatch):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=public)
    entry = box.enqueue({"service_id": "letter-to-agency", "personal_number": "01001012345",
                         "values": {"body": "x"}})
    box._conn.execute("PRAGMA wal_autocheckpoint = 0")
    box._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    monkeypatch.setattr(box, "_give_back_space", lambda: None)  # keep the WAL to read it
    box.mark_delivered([(e.id, "MG-1") for e in box.due_entries(1)])
    assert _wal_commits(box) == 1  # marked, then purged as the queue ran dry: the same commit
    assert box.get(entry.local_ref) is None
    _counts_agree(box)
    box.close()


def test_an_acknowledgement_of_an_entry_no_longer_pending_changes_nothing(tmp_path, public):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=public)
    bulk_fill(box, 4, citizens=2)  # two citizens, two entries each
    first, second = box.due_entries(5)
    box.mark_dead(first.id, "invalid_form")
    box.mark_delivered([(first.id, "MG-late"), (second.id, "MG-2")])
    assert box.get(first.id).status == "dead" and box.get(first.id).portal_ref is None
    assert box.get(second.id).status == "delivered"
    # Ids not handed out by due_entries (a tool's) still promote the citizen's next entry.
    third = [e for e in box.entries("pending") if e.id not in (first.id, second.id)]
    assert len(box.due_entries(5)) == 2
    box.release([e.id for e in third])
    box.mark_delivered([(third[0].id, "MG-3")])
    assert [e.id for e in box.due_entries(5)] == [third[1].id]
    _counts_agree(box)
    box.close()


def test_step_3_drops_the_triggers_and_the_status_index_and_recounts(tmp_path, public, monkeypatch):
    storage = tmp_path / "s"
    storage.mkdir(mode=0o700)
    conn = sqlite3.connect(storage / DB_FILE)
    db = sqlite_utils.Database(conn)
    schema.apply_steps(db, schema.MIGRATIONS[:2], "outbox")
    conn.executemany(
        "INSERT INTO entries (local_ref, idempotency_key, kiosk_id, service_id, order_key, status,"
        " created_at, updated_at, size, sealed, head) VALUES (?, ?, 'k', 's', ?, ?,"
        " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 3, x'000102', ?)",
        [(f"KA-2601-{i:04d}", f"key-{i}", f"{i:04x}", status, int(status == "pending"))
         for i, status in enumerate(["pending"] * 4 + ["dead"] * 2 + ["delivered"])])
    conn.execute("UPDATE queue_counts SET n = 99 WHERE status = 'dead'")  # off, to see a recount
    conn.commit()
    conn.close()

    box = Outbox(storage, kiosk_id="k", portal_public_key=public, keep_delivered_days=30)
    objects = {name for (name,) in box._conn.execute("SELECT name FROM sqlite_master")}
    assert box._conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert not {n for n in objects if n.startswith("entries_count_")}
    assert "idx_entries_status_id" not in objects
    assert {"idx_entries_status_head", "idx_entries_order_key_status"} <= objects
    assert (box.count("pending"), box.count("dead"), box.count("delivered")) == (4, 2, 1)
    # The counts now follow the outbox's own writes: a retry from a technician's shell too.
    shell = Outbox(storage, writer=False)
    shell.retry("KA-2601-0004")
    assert (box.count("pending"), box.count("dead")) == (5, 1)
    _counts_agree(box)
    shell.close()
    box.close()

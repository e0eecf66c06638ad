"""A power cut after acknowledgements: those not yet on disk are sent again and held once.

Acknowledgements commit without an fsync of their own (offline_queue/outbox.py).
After a power cut the disk holds the WAL as the last fsync left it, and
SQLite's recovery reads it up to its last whole commit. The test builds that
image -- the database file and the WAL as they were after the last durable
commit, a submission's -- as a kiosk finds it when the power comes back, and
checks that every submission is there, that the acknowledgements after the
cut are gone, and that the forwarder sends those entries again under the same
idempotency keys: the portal holds each once and gives back the reference it
gave the first time.
"""

from __future__ import annotations

import shutil
import sqlite3
import time

from kiosk.portal.client import PortalClient
from kiosk.sealing import load_public_key
from offline_queue.forwarder import Forwarder, ForwarderEvent
from offline_queue.outbox import DB_FILE, LOCK_FILE, Outbox


def request(pn: str, n: int) -> dict:
    return {"service_id": "letter-to-agency", "personal_number": pn, "language": "ka",
            "values": {"subject": f"letter {n}", "body": "ტექსტი"}}


def test_acknowledgements_lost_to_a_power_cut_are_sent_again_and_held_once(sim, tmp_path):
    public = load_public_key(sim.public_key_path)
    storage, revived = tmp_path / "kiosk", tmp_path / "after-the-cut"
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id="test-kiosk")
    box = Outbox(storage, kiosk_id="test-kiosk", portal_public_key=public)
    entries = [box.enqueue(request(f"0100400{i:04d}", i)) for i in range(6)]
    wal = storage / f"{DB_FILE}-wal"
    # The last submission's commit fsynced the whole WAL; the main file is
    # written only by checkpoints, which sync too.
    synced_wal, synced_db = wal.read_bytes(), box.path.read_bytes()

    first_refs = {}
    for entry in box.due_entries(4):  # four citizens, one entry each
        body = client.submit_transaction(entry.idempotency_key, entry.submission())
        first_refs[entry.local_ref] = body["reference"]
        box.mark_delivered([(entry.id, body["reference"])])
    assert box.stats()["pending"] == 2 and len(first_refs) == 4
    after_acks = wal.read_bytes()
    # The acknowledgements were appended after the synced part and left it alone:
    # what a power cut now takes is exactly them.
    assert len(after_acks) > len(synced_wal) and after_acks.startswith(synced_wal)
    box.close()

    shutil.copytree(storage, revived, ignore=shutil.ignore_patterns(
        f"{DB_FILE}*", LOCK_FILE))
    (revived / DB_FILE).write_bytes(synced_db)
    (revived / f"{DB_FILE}-wal").write_bytes(synced_wal)

    again = Outbox(revived, kiosk_id="test-kiosk", portal_public_key=public)
    assert again.integrity_check() == "ok"
    assert again.stats()["pending"] == 6  # every submission kept; no acknowledgement
    forwarder = Forwarder(again, client, base_delay_s=0.05, max_delay_s=0.2)
    events: list[ForwarderEvent] = []
    forwarder.subscribe(events.append)
    forwarder.start()
    deadline = time.monotonic() + 15
    while again.stats()["pending"] and time.monotonic() < deadline:
        time.sleep(0.02)
    forwarder.stop()
    assert again.stats()["pending"] == 0 and again.stats()["dead"] == 0
    delivered = {e.local_ref: e.portal_ref for e in events if e.kind == "delivered"}
    assert sorted(delivered) == sorted(entry.local_ref for entry in entries)
    for local_ref, portal_ref in first_refs.items():
        assert delivered[local_ref] == portal_ref  # the first answer, replayed
    again.close()
    client.close()

    conn = sqlite3.connect(tmp_path / "portal.sqlite")
    keys = [key for (key,) in conn.execute("SELECT idempotency_key FROM transactions")]
    conn.close()
    assert sorted(keys) == sorted(entry.idempotency_key for entry in entries)

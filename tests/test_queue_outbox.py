"""The outbox on its own: sealing, what lies on disk, schema, query plans, limits."""

from __future__ import annotations

import re
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from kiosk.sealing import load_private_key, write_keypair
from kiosk.testpki import TestPki
from offline_queue import order, schema
from offline_queue.envelope import EnvelopeError, open_and_verify
from offline_queue.kiosk_key import ORDER_SECRET_FILE, SIGNING_KEY_FILE, ordering_key
from offline_queue.outbox import Outbox, OutboxError

PERSONAL_NUMBER = "01001012345"
GIVEN, SURNAME = "ნინო", "ბერიძე"
FORM_VALUE = "რუსთაველის გამზირი 12, ბინა 7 marker-q7zx"


@pytest.fixture
def keys(tmp_path: Path):
    public = write_keypair(tmp_path / "portal.key", tmp_path / "portal.pub")
    return public, load_private_key(tmp_path / "portal.key")


@pytest.fixture
def outbox(tmp_path: Path, keys):
    box = Outbox(tmp_path / "storage", kiosk_id="tbilisi-07", portal_public_key=keys[0])
    yield box
    box.close()


def request(pn: str = PERSONAL_NUMBER, service: str = "civil-registry.birth-certificate",
            value: str = FORM_VALUE) -> dict:
    return {"service_id": service, "personal_number": pn, "language": "ka",
            "values": {"address": value, "full_name": f"{GIVEN} {SURNAME}"}}


def test_enqueue_seals_and_signs_what_only_the_portal_can_open(outbox, keys, tmp_path):
    entry = outbox.enqueue(request())
    assert re.fullmatch(r"K[A-Z0-9]-\d{4}-\d{4}", entry.local_ref)
    stored = outbox.get(entry.local_ref)
    envelope = open_and_verify(stored.submission()["sealed"], keys[1])
    assert envelope["request"]["personal_number"] == PERSONAL_NUMBER
    assert envelope["request"]["local_ref"] == entry.local_ref
    assert envelope["request"]["kiosk_id"] == "tbilisi-07"
    assert envelope["card"] is None
    # Another key (as the kiosk would have, had it kept one) cannot open it.
    other = tmp_path / "other"
    other.mkdir()
    write_keypair(other / "k", other / "p")
    with pytest.raises(EnvelopeError):
        open_and_verify(stored.sealed, load_private_key(other / "k"))


def test_card_signature_travels_in_the_envelope_and_is_checked(outbox, keys, tmp_path):
    citizen = TestPki(tmp_path / "pki").issue_citizen("c", PERSONAL_NUMBER, GIVEN, SURNAME)
    private = citizen.private_key()
    cert_der = citizen.certificate().public_bytes(Encoding.DER)
    signed: list[bytes] = []

    def sign_with_card(data: bytes) -> tuple[bytes, bytes]:
        signed.append(data)
        return cert_der, private.sign(data, padding.PKCS1v15(), hashes.SHA256())

    entry = outbox.enqueue(request(), sign_with_card)
    envelope = open_and_verify(outbox.get(entry.id).sealed, keys[1])
    assert envelope["card"] is not None and len(signed) == 1
    # A forged card signature is caught.
    forged = outbox.enqueue(request(), lambda data: (cert_der, b"\x00" * 256))
    with pytest.raises(EnvelopeError, match="card signature"):
        open_and_verify(outbox.get(forged.id).sealed, keys[1])


def test_no_personal_data_in_database_or_wal_bytes(outbox, tmp_path):
    for i in range(30):
        outbox.enqueue(request(pn=f"0100101{i:04d}"))
    last = outbox.enqueue(request())
    # A portal's refusal may quote the form back: only its code is kept.
    quoted = f"field address '{FORM_VALUE}' does not match {PERSONAL_NUMBER}"
    outbox.mark_dead(1, "invalid_form", quoted)
    outbox.mark_retry([2], "invalid_form", quoted)
    outbox.mark_dead(3, f"bad {PERSONAL_NUMBER}", quoted)  # not even shaped like a code
    assert outbox.get(1).last_error_code == "invalid_form"
    assert outbox.get(3).last_error_code == "unrecognised_code"
    assert PERSONAL_NUMBER not in outbox.get(1).last_error_reason
    files = [p for p in (tmp_path / "storage").iterdir() if p.name.startswith("outbox.sqlite3")]
    assert any(p.name.endswith("-wal") and p.stat().st_size > 0 for p in files)
    blob = b"".join(p.read_bytes() for p in files)
    # The test reads the right bytes: what is meant to be in clear is found.
    assert last.local_ref.encode() in blob and last.idempotency_key.encode() in blob
    for secret in (PERSONAL_NUMBER, GIVEN, SURNAME, FORM_VALUE, "marker-q7zx", "01001010007"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in blob, (secret, encoding)
        assert secret.encode("unicode_escape") not in blob


@pytest.mark.parametrize("keep_days", [0, 30])
def test_ordering_key_cannot_name_a_citizen_and_goes_with_delivery(tmp_path, keys, keep_days):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0],
                 keep_delivered_days=keep_days)
    secret = (tmp_path / "s" / ORDER_SECRET_FILE).read_bytes()
    entries = [box.enqueue(request(pn=f"0100102{i:04d}")) for i in range(3)]
    # 16 bits: with the secret (it lies on the same disk) a brute force over all
    # personal numbers finds some 1.5 million that fit, never one person.
    assert all(re.fullmatch(r"[0-9a-f]{4}", e.order_key) for e in entries)
    assert entries[0].order_key == ordering_key(secret, "01001020000")
    box.mark_delivered([(entries[0].id, "MG-1")])
    kept = box._conn.execute("SELECT order_key FROM entries WHERE id = ?",
                             (entries[0].id,)).fetchall()
    assert kept == [("",)]  # delivered: no place in line to keep, at once
    # The row itself goes with the next sweep (here: the queue running dry), unless kept.
    box.mark_delivered([(e.id, "MG") for e in box.due_entries(10)])
    rows = box._conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    assert rows == (0 if keep_days == 0 else 3)
    box.close()


def test_kiosk_secrets_are_owner_only_and_stable(tmp_path, keys):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0])
    first = box.enqueue(request())
    box.close()
    for name in (SIGNING_KEY_FILE, ORDER_SECRET_FILE, "outbox.sqlite3"):
        assert stat.S_IMODE((tmp_path / "s" / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o700
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0])
    second = box.enqueue(request())
    # Same citizen -> same ordering key across restarts; same kiosk key.
    assert first.order_key == second.order_key
    e1 = open_and_verify(box.get(first.id).sealed, keys[1])
    e2 = open_and_verify(box.get(second.id).sealed, keys[1])
    assert e1["kiosk"]["public_key"] == e2["kiosk"]["public_key"]
    # References keep counting after a restart instead of starting again.
    assert int(second.local_ref[-4:]) == int(first.local_ref[-4:]) + 1
    box.close()


def test_a_second_writer_is_refused_but_a_reader_may_look(outbox, tmp_path, keys):
    with pytest.raises(OutboxError, match="another kiosk process"):
        Outbox(tmp_path / "storage", kiosk_id="x", portal_public_key=keys[0])
    outbox.enqueue(request())
    reader = Outbox(tmp_path / "storage", writer=False)
    assert reader.stats()["pending"] == 1
    with pytest.raises(OutboxError):
        reader.enqueue(request())
    reader.close()


def _plan(box: Outbox, sql: str, params: dict) -> str:
    return " | ".join(row[3] for row in box._conn.execute("EXPLAIN QUERY PLAN " + sql, params))


@pytest.mark.parametrize("keep_days", [0, 30])
def test_pending_scan_uses_indexes_not_a_table_scan(tmp_path, keys, keep_days):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0],
                 keep_delivered_days=keep_days)
    for i in range(40):
        box.enqueue(request(pn=f"0100100{i:04d}"))
    box.mark_delivered([(e.id, "MG-1") for e in box.due_entries(30)])
    box._conn.execute("ANALYZE")
    due = _plan(box, order.DUE, {"now": 0, "limit": 50})  # the query due_entries runs
    assert "SEARCH entries USING INDEX idx_entries_status_head (status=? AND head=?)" in due, due
    assert "TEMP B-TREE" not in due and "SCAN" not in due, due
    nxt = _plan(box, order.NEXT_DUE, {})
    assert "COVERING INDEX idx_entries_status_head_next_attempt_at (status=? AND head=?)" in nxt
    assert "TEMP B-TREE" not in nxt and "SCAN" not in nxt, nxt
    count = _plan(box, order.PENDING_COUNT, {"status": "pending"})
    assert "SEARCH queue_counts USING PRIMARY KEY (status=?)" in count, count
    row = {name: None for name in re.findall(r":(\w+)", order.INSERT_ENTRY)}
    head = _plan(box, order.INSERT_ENTRY, row)  # the enqueue's "first in its citizen's line?"
    assert "COVERING INDEX idx_entries_order_key_status (order_key=? AND status=?)" in head, head
    assert len(box.due_entries(50)) == 10
    box.close()


def test_schema_is_versioned_and_migrates_forward(tmp_path, keys, monkeypatch):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0])
    entry = box.enqueue(request())
    assert box._conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
    box.close()

    def v_next(db):
        db["entries"].add_column("receipt_printed", int)

    released = len(schema.MIGRATIONS)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v_next])
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0])
    assert box._conn.execute("PRAGMA user_version").fetchone()[0] == released + 1
    assert "receipt_printed" in box.db["entries"].columns_dict
    assert box.get(entry.local_ref).idempotency_key == entry.idempotency_key
    box.close()
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    with pytest.raises(schema.SchemaTooNew):
        Outbox(tmp_path / "s", writer=False)


def test_pragmas_are_durable_ones(outbox):
    conn = outbox._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] > 0


def test_wal_and_file_shrink_after_a_large_batch_drains(tmp_path, keys):
    box = Outbox(tmp_path / "s", kiosk_id="k", portal_public_key=keys[0])
    big = "x" * 2000
    for i in range(2500):
        box.enqueue(request(pn=f"010{i:08d}", value=big))
    wal = tmp_path / "s" / "outbox.sqlite3-wal"
    peak_db = box.path.stat().st_size
    assert peak_db > 5_000_000
    while batch := box.due_entries(100):
        box.mark_delivered([(e.id, "MG") for e in batch])
    assert box.stats()["pending"] == 0
    assert wal.stat().st_size == 0  # checkpointed and truncated on drain
    assert box.path.stat().st_size < peak_db / 5  # pages given back
    assert box.integrity_check() == "ok"
    box.close()


def test_can_accept_compares_free_space(outbox):
    assert outbox.can_accept(1)
    assert not outbox.can_accept(10**9)


def test_stats_counts_and_ages(outbox):
    assert outbox.stats()["pending"] == 0 and outbox.stats()["oldest_pending_age_s"] is None
    a = outbox.enqueue(request())
    outbox.enqueue(request(pn="01001099999"))
    outbox.mark_dead(a.id, "invalid_form", "field x")
    stats = outbox.stats()
    assert (stats["pending"], stats["dead"]) == (1, 1)
    assert 0 <= stats["oldest_pending_age_s"] < 60
    assert outbox.retry(a.local_ref).status == "pending"
    assert outbox.retry(a.local_ref) is None  # no longer dead


def test_one_writer_and_the_forwarder_thread_share_the_outbox(outbox):
    errors: list[BaseException] = []
    done = threading.Event()
    delivered: list[int] = []

    def forward():
        try:
            while not done.is_set() or outbox.stats()["pending"]:
                batch = outbox.due_entries(20)
                outbox.mark_delivered([(e.id, "MG") for e in batch])
                delivered.extend(e.id for e in batch)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=forward)
    thread.start()
    refs = [outbox.enqueue(request(pn=f"0100100{i % 7:04d}")).local_ref for i in range(300)]
    done.set()
    thread.join(20)
    assert not errors
    assert len(set(refs)) == 300 and sorted(delivered) == sorted(set(delivered))
    assert len(delivered) == 300
    assert outbox.integrity_check() == "ok"


def test_sqlite_file_is_plain_sqlite_for_technicians(outbox):
    outbox.enqueue(request())
    conn = sqlite3.connect(outbox.path)
    assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
    conn.close()


@pytest.mark.parametrize("pn", [PERSONAL_NUMBER, None])
def test_the_entries_the_hot_paths_build_are_the_ones_stored(outbox, pn):
    """commit() builds its entry from what it wrote and due_entries() reads listed columns
    (no read-back, no sqlite-utils on the hot path): both must equal a full read of the row."""
    entry = outbox.enqueue(request(pn=pn))
    stored = outbox.get(entry.id)
    assert entry == stored and entry.sealed == stored.sealed and entry.retired_keys == ()
    outbox.mark_dead(entry.id, "invalid_form")
    outbox.retry(entry.local_ref)
    retried = outbox.get(entry.id)
    (due,) = outbox.due_entries(5)
    assert due == retried and len(due.retired_keys) == 1
    assert due.last_error_code == "invalid_form" and due.last_error_reason
    outbox.mark_delivered([(due.id, "MG-9")])
    assert outbox.get(entry.id) is None and outbox.pending_count() == 0

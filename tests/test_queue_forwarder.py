"""The forwarder and the network monitor against a portal over real HTTP.

Delivery, lost answers and dead letters run against the project's portal
simulator with the real PortalClient; ordering under 409 and Retry-After
timing use tests/queue_support.FakePortal, whose faults can be aimed at
one request.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from kiosk.portal import simulator
from kiosk.portal.client import PortalClient
from kiosk.portal.errors import PortalRejected
from kiosk.sealing import load_private_key, load_public_key, write_keypair
from kiosk.testpki import TestPki
from offline_queue.envelope import open_and_verify
from offline_queue.forwarder import Forwarder, ForwarderEvent
from offline_queue.network import NetworkMonitor
from offline_queue.outbox import Outbox
from tests.queue_support import FakePortal, ThinClient


def request(pn: str, n: int = 0, service: str = "letter-to-agency") -> dict:
    return {"service_id": service, "personal_number": pn, "language": "ka",
            "values": {"subject": f"letter {n}", "body": "ტექსტი"}}


def wait_for(condition, timeout: float = 10.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def portal_rows(db_path: Path) -> list[dict]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(
        "SELECT idempotency_key, local_ref, personal_number, reference FROM transactions "
        "ORDER BY rowid")]
    conn.close()
    return rows


class SpyClient:
    """Counts which call the forwarder chose; passes everything through."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[tuple[str, int]] = []

    def submit_transaction(self, key, submission):
        self.calls.append(("single", 1))
        return self.inner.submit_transaction(key, submission)

    def submit_batch(self, items):
        self.calls.append(("batch", len(items)))
        return self.inner.submit_batch(items)


@pytest.fixture
def sim_outbox(sim, tmp_path):
    box = Outbox(tmp_path / "kiosk", kiosk_id="test-kiosk",
                 portal_public_key=load_public_key(sim.public_key_path))
    yield box
    box.close()


@pytest.fixture
def portal_client(sim):
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id="test-kiosk")
    yield client
    client.close()


def test_single_when_idle_batches_for_a_backlog_and_the_receipt_comes_back(
        sim, sim_outbox, portal_client, tmp_path):
    spy = SpyClient(portal_client)
    forwarder = Forwarder(sim_outbox, spy, base_delay_s=0.05)
    events: list[ForwarderEvent] = []
    forwarder.subscribe(events.append)
    forwarder.start()
    first = sim_outbox.enqueue(request("01001012345"))
    assert wait_for(lambda: any(e.kind == "delivered" for e in events))
    assert events[0].local_ref == first.local_ref and events[0].portal_ref.startswith("MG-")
    assert spy.calls == [("single", 1)]
    forwarder.stop()
    for i in range(120):  # a backlog built while the forwarder was stopped
        sim_outbox.enqueue(request(f"0100200{i:04d}", i))
    forwarder = Forwarder(sim_outbox, spy, base_delay_s=0.05).start()
    assert wait_for(lambda: sim_outbox.stats()["pending"] == 0)
    forwarder.stop()
    assert [kind for kind, _ in spy.calls[1:]] == ["batch", "batch", "batch"]
    rows = portal_rows(tmp_path / "portal.sqlite")
    assert len(rows) == 121 and len({r["idempotency_key"] for r in rows}) == 121


def test_lost_answers_are_repeated_under_the_same_key_and_counted_once(
        sim, sim_outbox, portal_client, tmp_path):
    entries = [sim_outbox.enqueue(request(f"0100300{i:04d}", i)) for i in range(5)]
    sim.set_fault("drop_after_process", count=4)
    forwarder = Forwarder(sim_outbox, portal_client, base_delay_s=0.05, max_delay_s=0.2).start()
    assert wait_for(lambda: sim_outbox.stats()["pending"] == 0, timeout=15)
    forwarder.stop()
    rows = portal_rows(tmp_path / "portal.sqlite")
    assert sorted(r["local_ref"] for r in rows) == sorted(e.local_ref for e in entries)


def test_refused_entry_is_a_dead_letter_until_a_technician_retries(sim, tmp_path, portal_client):
    # Sealed to another portal's key: the portal cannot open it and says so (422).
    wrong = write_keypair(tmp_path / "wrong.key", tmp_path / "wrong.pub")
    box = Outbox(tmp_path / "k", kiosk_id="test-kiosk", portal_public_key=wrong)
    bad = box.enqueue(request("01001012345"))
    events: list[ForwarderEvent] = []
    forwarder = Forwarder(box, portal_client, base_delay_s=0.05)
    forwarder.subscribe(events.append)
    forwarder.start()
    assert wait_for(lambda: box.stats()["dead"] == 1)
    dead = box.get(bad.local_ref)
    assert dead.status == "dead" and dead.last_error_code == "sealed_unreadable"
    # The event follows the stored state from the forwarder's thread: a moment later under load.
    assert wait_for(lambda: [e.kind for e in events] == ["dead"]), events
    time.sleep(0.5)  # never retried by itself
    assert box.get(bad.local_ref).attempts == 1
    box.retry(bad.local_ref)  # the technician's decision (e.g. after fixing the key)
    assert wait_for(lambda: box.get(bad.local_ref).attempts == 2)
    again = box.get(bad.local_ref)
    # Still unreadable, and refused afresh: under a new key, the first one on record.
    assert again.status == "dead" and again.last_error_code == "sealed_unreadable"
    assert again.idempotency_key != bad.idempotency_key
    assert [(k, code) for k, code, _ in again.retired_keys] == [
        (bad.idempotency_key, "sealed_unreadable")]
    forwarder.stop()
    box.close()


def test_a_refusal_whose_cause_is_fixed_is_delivered_once_on_the_technicians_retry(
        tmp_path, portal_client):
    """The card was revoked by mistake, so the portal refused the signed submission and
    keeps replaying that refusal for its key; the CA lifts the revocation, the technician
    retries, and the same sealed envelope goes through under a fresh key."""
    pki = TestPki(tmp_path / "own-pki")
    pki.make_demo()
    citizen = pki.issue_citizen("mistaken", "01001077777", "ნინო", "ბერიძე")
    sim = simulator.start(tmp_path / "own-portal" / "portal.sqlite", pki.dir)
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id="test-kiosk")
    box = Outbox(tmp_path / "k", kiosk_id="test-kiosk",
                 portal_public_key=load_public_key(sim.public_key_path))
    key, cert = citizen.private_key(), citizen.certificate().public_bytes(Encoding.DER)
    correct_crl = pki.crl_path.read_bytes()
    pki.revoke(citizen)
    entry = box.enqueue(request(citizen.personal_number),
                        lambda data: (cert, key.sign(data, padding.PKCS1v15(), hashes.SHA256())))
    forwarder = Forwarder(box, client, base_delay_s=0.05).start()
    try:
        assert wait_for(lambda: box.get(entry.id).status == "dead")
        assert box.get(entry.id).last_error_code == "card_certificate_invalid"
        pki.crl_path.write_bytes(correct_crl)  # the CA's corrected list
        # The portal keeps its word for the old key: the refusal, replayed.
        with pytest.raises(PortalRejected, match="card_certificate_invalid"):
            client.submit_transaction(entry.idempotency_key, box.get(entry.id).submission())
        assert box.retry(entry.local_ref) is not None
        assert wait_for(lambda: box.get(entry.id) is None)  # delivered (and not kept)
    finally:
        forwarder.stop()
        client.close()
        sim.stop()
    rows = portal_rows(tmp_path / "own-portal" / "portal.sqlite")
    assert [r["local_ref"] for r in rows] == [entry.local_ref]  # exactly once
    assert rows[0]["idempotency_key"] != entry.idempotency_key
    assert rows[0]["personal_number"] == citizen.personal_number
    # The card signed once, at enqueue; the retry carried that signature, and it held.
    portal = sqlite3.connect(tmp_path / "own-portal" / "portal.sqlite")
    assert portal.execute("SELECT card_signed FROM transactions").fetchall() == [(1,)]
    portal.close()
    box.close()


def test_a_retry_from_the_shell_wakes_the_running_forwarder(sim, tmp_path, portal_client):
    """`kiosk queue retry` is another process: no listener fires, the data_version moves."""
    wrong = write_keypair(tmp_path / "wrong.key", tmp_path / "wrong.pub")
    box = Outbox(tmp_path / "k", kiosk_id="test-kiosk", portal_public_key=wrong)
    bad = box.enqueue(request("01001012345"))
    forwarder = Forwarder(box, portal_client, base_delay_s=0.05, idle_poll_s=60.0,
                          outside_check_s=0.2).start()
    assert wait_for(lambda: box.stats()["dead"] == 1)
    time.sleep(0.5)
    assert box.get(bad.local_ref).attempts == 1
    shell = Outbox(tmp_path / "k", kiosk_id="test-kiosk", writer=False)  # as kiosk/commands/queue.py
    assert shell.retry(bad.local_ref) is not None
    shell.close()
    # Long before the 60 s idle poll: the forwarder saw another connection's commit.
    assert wait_for(lambda: box.get(bad.local_ref).attempts == 2, timeout=5)
    forwarder.stop()
    box.close()


@pytest.fixture
def fake(tmp_path):
    write_keypair(tmp_path / "p.key", tmp_path / "p.pub")
    private = load_private_key(tmp_path / "p.key")
    portal = FakePortal(opener=lambda sealed: open_and_verify(sealed, private))
    box = Outbox(tmp_path / "k", kiosk_id="k1", portal_public_key=load_public_key(tmp_path / "p.pub"))
    client = ThinClient(portal.url)
    yield portal, box, client
    client.close()
    box.close()
    portal.stop()


def test_a_citizens_later_entry_waits_for_the_earlier_one(fake):
    portal, box, client = fake
    a1 = box.enqueue(request("01001000001", 1))
    b1 = box.enqueue(request("01001000002", 1))
    a2 = box.enqueue(request("01001000001", 2))
    portal.set_fault("conflict409", count=1)  # the first item the portal sees: a1
    forwarder = Forwarder(box, client, base_delay_s=0.3)
    assert forwarder.forward_once() == 1  # batch [a1, b1]: a1 409, b1 201
    assert [r["local_ref"] for r in portal.state.received] == [b1.local_ref]
    held = box.get(a1.local_ref)
    assert held.last_error_code == "in_progress" and held.next_attempt_at > time.time()
    assert box.due_entries(10) == []  # a1 waits its turn; a2 must not overtake it
    forwarder.start()
    assert wait_for(lambda: box.stats()["pending"] == 0, timeout=10)
    forwarder.stop()
    order = [r["local_ref"] for r in portal.state.received]
    assert order.index(a1.local_ref) < order.index(a2.local_ref)
    assert sorted(order) == sorted([a1.local_ref, a2.local_ref, b1.local_ref])


def test_one_entry_per_citizen_per_batch(fake):
    portal, box, _ = fake
    for n in range(3):
        box.enqueue(request("01001000001", n))
    other = box.enqueue(request("01001000002"))
    due = box.due_entries(50)
    assert len(due) == 2 and due[1].local_ref == other.local_ref


def test_retry_after_is_honoured_over_a_shorter_backoff(fake):
    portal, box, client = fake
    box.enqueue(request("01001000001"))
    portal.set_fault("unavailable503", retry_after_s=1.0, count=1)
    forwarder = Forwarder(box, client, base_delay_s=0.02, max_delay_s=0.05).start()
    assert wait_for(lambda: box.stats()["pending"] == 0, timeout=5)
    forwarder.stop()
    (t1, _), (t2, _) = portal.state.requests[:2]
    assert t2 - t1 >= 0.95, t2 - t1
    # Control: without Retry-After the same fault is retried after the short back-off.
    box.enqueue(request("01001000001"))
    portal.state.requests.clear()
    portal.set_fault("unavailable503", count=1)
    forwarder = Forwarder(box, client, base_delay_s=0.02, max_delay_s=0.05).start()
    assert wait_for(lambda: box.stats()["pending"] == 0, timeout=5)
    forwarder.stop()
    (t1, _), (t2, _) = portal.state.requests[:2]
    assert t2 - t1 < 0.5


def test_backoff_is_exponential_jittered_and_capped(fake):
    _, box, client = fake
    forwarder = Forwarder(box, client, base_delay_s=1.0, max_delay_s=30.0)
    for failures, ceiling in ((1, 1), (2, 2), (3, 4), (5, 16), (9, 30)):
        samples = [forwarder._jittered(failures) for _ in range(200)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert max(samples) - min(samples) > ceiling / 10  # jitter, not a fixed beat


def test_stop_returns_quickly_while_backing_off(fake):
    portal, box, client = fake
    portal.set_fault("down")
    box.enqueue(request("01001000001"))
    forwarder = Forwarder(box, client, base_delay_s=60, max_delay_s=60).start()
    assert wait_for(lambda: forwarder.waiting_s > 10)
    started = time.monotonic()
    forwarder.stop()
    assert time.monotonic() - started < 1.0
    assert box.get(1).status == "pending" and box.get(1).last_error_code == "offline"


def test_network_monitor_tolerates_one_lost_check():
    script = iter([True, False, True, False, False, True])
    changes: list[bool] = []

    def check():
        if not next(script):
            raise ConnectionError("no answer")

    monitor = NetworkMonitor(check, interval_s=60, failures_to_offline=2)
    monitor.subscribe(changes.append)
    states = [monitor.check_now() for _ in range(6)]
    assert states == [True, True, True, True, False, True]
    assert changes == [False, True]


def test_forwarder_waits_offline_and_sends_when_the_portal_is_back(fake):
    portal, box, client = fake
    portal.set_fault("down")
    monitor = NetworkMonitor(client.health, interval_s=0.1, failures_to_offline=2).start()
    assert wait_for(lambda: not monitor.is_online)
    forwarder = Forwarder(box, client, monitor, base_delay_s=30, max_delay_s=30).start()
    box.enqueue(request("01001000001"))
    time.sleep(0.3)
    tries_while_down = len(portal.state.requests)
    assert tries_while_down <= 1  # the enqueue's own wake-up, then it waits
    portal.set_fault("none")
    # Back online: delivered well before the 30 s back-off would allow.
    assert wait_for(lambda: box.stats()["pending"] == 0, timeout=3)
    forwarder.stop()
    monitor.stop()


def test_flapping_portal_while_citizens_keep_submitting(sim, sim_outbox, portal_client, tmp_path):
    duration = 12.0
    accepted: list = []
    stop = threading.Event()

    def citizens():
        n = 0
        while not stop.is_set():
            accepted.append(sim_outbox.enqueue(request(f"0100400{n % 9:04d}", n)))
            n += 1
            time.sleep(0.01)

    def weather():
        modes = [("down", {}), ("none", {}), ("unavailable503", {"retry_after_s": 1}),
                 ("none", {}), ("drop_after_process", {}), ("error500", {}), ("none", {})]
        i = 0
        while not stop.wait(0.6):
            mode, kwargs = modes[i % len(modes)]
            sim.set_fault(mode, **kwargs)
            i += 1

    monitor = NetworkMonitor(portal_client.health, interval_s=0.2).start()
    forwarder = Forwarder(sim_outbox, portal_client, monitor, base_delay_s=0.05,
                          max_delay_s=0.5).start()
    threads = [threading.Thread(target=citizens), threading.Thread(target=weather)]
    for t in threads:
        t.start()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join()
    sim.set_fault("none")
    forwarder.send_now()
    assert wait_for(lambda: sim_outbox.stats()["pending"] == 0, timeout=15)
    forwarder.stop()
    monitor.stop()
    rows = portal_rows(tmp_path / "portal.sqlite")
    assert len(accepted) > 300
    assert sorted(r["idempotency_key"] for r in rows) == sorted(e.idempotency_key for e in accepted)
    sequence = {e.local_ref: i for i, e in enumerate(accepted)}
    by_citizen: dict[str, list[int]] = {}
    for row in rows:
        by_citizen.setdefault(row["personal_number"], []).append(sequence[row["local_ref"]])
    for arrivals in by_citizen.values():
        assert arrivals == sorted(arrivals)

"""Fault modes, retries, time-outs, TLS and the `kiosk portal-sim` command."""

from __future__ import annotations

import email.utils
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kiosk.portal import simulator
from kiosk.portal.client import PortalClient, parse_retry_after
from kiosk.portal.errors import PortalOffline, PortalServerError
from tests.portal_fixtures import make_submission, sim_get


def test_down_is_offline(client, sim) -> None:
    sim.set_fault("down")
    with pytest.raises(PortalOffline):
        client.health()
    sim.set_fault("none")
    assert client.health() > 0


def test_a_get_is_retried_over_one_dropped_connection(client, sim) -> None:
    sim.set_fault("down", count=1)
    assert client.health() > 0
    assert sim._server.faults.hits == 1  # the first attempt hit the fault; the retry did not


def test_a_login_post_is_never_retried_behind_the_callers_back(client, sim) -> None:
    sim.set_fault("down", count=5)
    with pytest.raises(PortalOffline):
        client.auth_password("demo", "demo-1234")
    assert sim._server.faults.hits == 1


def test_a_heartbeat_post_is_not_retried_either(client, sim) -> None:
    # The heartbeat is a POST without a key: one attempt, then the caller decides.
    sim.set_fault("down", count=5)
    with pytest.raises(PortalOffline):
        client.heartbeat({"queue_depth": 0})
    assert sim._server.faults.hits == 1


def test_slow_beyond_the_read_timeout_is_offline(sim) -> None:
    sim.set_fault("slow", delay_s=1.0, count=1)
    portal = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=0.3)
    started = time.perf_counter()
    with pytest.raises(PortalOffline):
        portal.auth_challenge()  # not retried: one read time-out
    assert time.perf_counter() - started < 0.9
    portal.close()


def test_slow_within_the_read_timeout_answers(client, sim) -> None:
    sim.set_fault("slow", delay_s=0.3)
    assert client.health() >= 0.3


def test_error500_is_a_server_error(client, sim) -> None:
    sim.set_fault("error500", count=1)
    with pytest.raises(PortalServerError) as caught:
        client.submit_transaction("k", make_submission(sim))
    assert caught.value.status == 500 and caught.value.retry_after_s is None
    assert client.submit_transaction("k", make_submission(sim))["status"] == "received"


def test_unavailable503_carries_retry_after(client, sim) -> None:
    sim.set_fault("unavailable503", retry_after_s=42)
    with pytest.raises(PortalServerError) as caught:
        client.catalog(None)
    assert (caught.value.status, caught.value.retry_after_s) == (503, 42.0)


def test_count_limits_how_many_requests_a_fault_hits(client, sim) -> None:
    sim.set_fault("error500", count=2)
    for _ in range(2):
        with pytest.raises(PortalServerError):
            client.health()
    assert client.health() > 0


def test_an_unknown_fault_mode_is_refused(sim, raw) -> None:
    answer = raw.post(sim.url + "/_sim/faults", json={"mode": "explode"})
    assert answer.status_code == 422
    assert raw.get(sim.url + "/_sim/faults").json()["mode"] == "none"


def test_refused_connection_is_offline(tmp_path) -> None:
    portal = PortalClient("http://127.0.0.1:9", connect_timeout_s=0.5)
    with pytest.raises(PortalOffline):
        portal.health()


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (parse_retry_after(when) or 0) <= 30
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


@pytest.fixture
def tls_sim(tmp_path: Path, pki):
    running = simulator.start(tmp_path / "tls.sqlite", pki.dir, tmp_path / "k", tls=True)
    yield running
    running.stop()


def test_tls_with_the_test_root_is_verified(tls_sim, pki, contract) -> None:
    assert tls_sim.url.startswith("https://")
    portal = PortalClient(tls_sim.url, ca_bundle=str(pki.root_cert_path))
    contract.attach(portal.session)
    assert portal.health() > 0
    assert portal.auth_password("demo", "demo-1234")["citizen"]["surname"] == "ბერიძე"
    portal.close()


def test_tls_without_the_test_root_fails_as_offline(tls_sim) -> None:
    portal = PortalClient(tls_sim.url)  # the system store does not know the test root
    with pytest.raises(PortalOffline):
        portal.health()
    assert portal.session.verify is True
    portal.close()


def test_tls_with_another_root_fails_as_offline(tls_sim, tmp_path) -> None:
    from kiosk.testpki import TestPki

    other = TestPki(tmp_path / "other").ensure()
    portal = PortalClient(tls_sim.url, ca_bundle=str(other.root_cert_path))
    with pytest.raises(PortalOffline):
        portal.health()
    portal.close()


def test_the_command_serves_the_same_api(tmp_path: Path, pki) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "portal-sim", "--port", "0", "--db",
         str(tmp_path / "cli.sqlite"), "--pki", str(pki.dir), "--fault", "error500",
         "--fault-count", "1", "--letter-delay", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not url.startswith("http"):
            url = (proc.stdout.readline() if proc.stdout else "").strip()
            if proc.poll() is not None:
                break
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        assert requests.get(url + "/v1/health", timeout=5).status_code == 500  # the --fault
        assert requests.get(url + "/v1/health", timeout=5).json()["status"] == "ok"
        assert (tmp_path / "portal-sealing.pub.pem").exists()  # made next to the database
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_answers_on_a_kept_alive_connection_do_not_stall(client, sim) -> None:
    """Guards against the 40 ms delayed-ACK stall (a two-write answer meeting Nagle).

    With the stall nearly every answer after the first waits ~40 ms more; a
    health check is otherwise ~1 ms, so the sixth fastest of 60 shows it
    however busy the machine is (rates belong to bench/, not to a test).
    """
    for n in range(20):
        client.submit_transaction(f"rate-{n}", make_submission(sim, service_id="civil-extract"))
    assert len(sim_get(sim, "/_sim/transactions")["items"]) == 20
    took = []
    for _ in range(60):
        started = time.perf_counter()
        client.health()
        took.append(time.perf_counter() - started)
    assert sorted(took)[5] < 0.020, f"sixth fastest answer {sorted(took)[5] * 1000:.0f} ms"


@pytest.mark.parametrize(("mode", "status", "retry_after"), [
    ("timeout408", 408, None),
    ("throttle429", 429, 7.0),
])
def test_408_and_429_are_retry_later_not_refusals(client, sim, mode, status, retry_after) -> None:
    sim.set_fault(mode, retry_after_s=7, count=1)
    with pytest.raises(PortalServerError) as caught:  # "again later", never PortalRejected
        client.submit_transaction("k", make_submission(sim))
    assert (caught.value.status, caught.value.retry_after_s) == (status, retry_after)
    assert sim_get(sim, "/_sim/transactions")["items"] == []  # not processed
    assert client.submit_transaction("k", make_submission(sim))["status"] == "received"


@pytest.mark.parametrize("mode", ["timeout408", "throttle429"])
def test_the_forwarder_keeps_an_entry_through_408_and_429(sim, tmp_path, mode) -> None:
    from kiosk.sealing import load_public_key
    from offline_queue.forwarder import Forwarder
    from offline_queue.outbox import Outbox

    box = Outbox(tmp_path / "kiosk", kiosk_id="tbs-01",
                 portal_public_key=load_public_key(sim.public_key_path))
    portal = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=3, kiosk_id="tbs-01")
    forwarder = Forwarder(box, portal, base_delay_s=0.01)
    entry = box.enqueue({"service_id": "civil-extract", "values": {"copies": 1},
                         "personal_number": "01001012345", "language": "ka"})
    sim.set_fault(mode, retry_after_s=30, count=1)
    assert forwarder.forward_once() == 0
    held = box.get(entry.local_ref)
    assert held is not None and held.status == "pending"  # not dead
    assert held.last_error_code == f"http_{mode[-3:]}"
    if mode == "throttle429":
        assert forwarder.waiting_s > 25  # the portal's Retry-After is honoured
    box.mark_retry([held.id], "test", "due now", 0.0)  # as `kiosk queue retry`, not waiting 30 s
    assert forwarder.forward_once() == 1
    portal.close()
    box.close()

"""The heartbeat against the real portal simulator: what it sends, and how it logs failures."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from kiosk import __version__
from kiosk.audit import AuditLog
from kiosk.config import from_mapping
from kiosk.controller import KioskController, Parts
from kiosk.heartbeat import Heartbeat, start_heartbeat
from kiosk.metrics import PortalProbe, Sources, start_metrics
from kiosk.portal.client import PortalClient
from kiosk.sealing import load_public_key
from kiosk.session import State
from kiosk.tally import LOGIN_RESULTS, SUBMISSION_OUTCOMES
from offline_queue.outbox import Outbox


def beats(sim) -> list[dict]:
    return requests.get(sim.url + "/_sim/heartbeats", timeout=5).json()["items"]


CITIZEN = {"personal_number": "01024055123", "given_name": "ნინო", "surname": "ბერიძე",
           "date_of_birth": "1990-04-05", "mobile": "+995599123456", "email": "nino@example.ge"}
NO_COUNTS = {"visits": 0, "logins": dict.fromkeys(LOGIN_RESULTS, 0),
             "submissions": dict.fromkeys(SUBMISSION_OUTCOMES, 0)}


def a_visit(controller: KioskController, outbox: Outbox) -> None:
    """A card visit: one wrong PIN, then in, one request queued, then one the disk refused."""
    machine = controller.machine
    machine.card_inserted("visit-1")
    machine.card_ready(3)
    machine.pin_submitted()
    machine.pin_wrong(2)
    machine.pin_submitted()
    machine.authenticated(dict(CITIZEN), offline=False, token="secret-token")
    outbox.enqueue({"service_id": "letter-to-agency", "personal_number": CITIZEN["personal_number"]})
    machine.navigate(State.SERVICE, service_id="letter-to-agency")
    machine.form_completed({"text": "x"})
    machine.confirmed()
    machine.submission_failed("disk_full")
    machine.logout()


def test_a_beat_carries_the_kiosk_summary(tmp_path: Path, sim) -> None:
    config = from_mapping({"kiosk": {"id": "tbs-07"}, "portal": {"url": sim.url},
                           "storage": {"dir": str(tmp_path)}})
    outbox = Outbox(tmp_path, kiosk_id="tbs-07", portal_public_key=load_public_key(sim.public_key_path))
    controller = KioskController(config, Parts(outbox=outbox))
    controller.on_reader_status("no_card")
    audit = AuditLog(tmp_path)
    audit.append("open", result="Accepted")
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=2, kiosk_id="tbs-07")
    probe = PortalProbe(client.health)
    beat = Heartbeat(client, Sources.from_controller(controller, probe, audit), probe=probe)
    try:
        assert beat.beat_once()
        first = beats(sim)[-1]["summary"]
        assert {k: first[k] for k in NO_COUNTS} == NO_COUNTS and first["queue_depth"] == 0
        a_visit(controller, outbox)
        assert beat.beat_once()
        last = beats(sim)[-1]
        assert last["kiosk_id"] == "tbs-07"
        summary = last["summary"]
        assert summary["kiosk_id"] == "tbs-07" and summary["version"] == __version__
        assert summary["queue_depth"] == 1 and 0 <= summary["queue_oldest_age_s"] < 120
        assert summary["reader"] == "no_card" and summary["printer"] == "offline"
        assert summary["portal_up"] is True and 0 < summary["portal_latency_ms"] < 2000
        assert summary["uptime_s"] >= 0
        assert summary["audit_head"] == {"seq": 1, "hash": audit.entries()[0]["hash"]}
        assert summary["visits"] == 1
        assert summary["logins"] == {**NO_COUNTS["logins"], "ok": 1, "wrong_pin": 1}
        assert summary["submissions"] == {**NO_COUNTS["submissions"], "queued": 1, "refused": 1}
        for secret in (*CITIZEN.values(), "secret-token", "visit-1"):
            assert secret not in str(last), f"{secret!r} went to the portal"
    finally:
        client.close()
        outbox.close()
        audit.close()


def test_the_beat_and_the_endpoint_count_the_same_visits_once(tmp_path: Path, sim) -> None:
    """Both started as `kiosk run` starts them: one tally, not one count per reader."""
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        port = finder.getsockname()[1]
    config = from_mapping({"kiosk": {"id": "tbs-09"}, "portal": {"url": sim.url},
                           "storage": {"dir": str(tmp_path)}, "maintenance": {"metrics_port": port}})
    outbox = Outbox(tmp_path, kiosk_id="tbs-09", portal_public_key=load_public_key(sim.public_key_path))
    controller = KioskController(config, Parts(outbox=outbox))
    beat, probe = start_heartbeat(controller, interval_s=3600)
    metrics = start_metrics(config, controller, probe)
    try:
        assert metrics is not None
        a_visit(controller, outbox)
        assert beat.beat_once()
        summary = [b for b in beats(sim) if b["kiosk_id"] == "tbs-09"][-1]["summary"]
        page = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        scraped = {(s.name, tuple(s.labels.values())): s.value
                   for family in text_string_to_metric_families(page) for s in family.samples}
        assert summary["visits"] == scraped[("kiosk_visits_total", ())] == 1
        for result, count in summary["logins"].items():
            assert scraped[("kiosk_logins_total", (result,))] == count, result
        for outcome, count in summary["submissions"].items():
            assert scraped[("kiosk_submissions_total", (outcome,))] == count, outcome
        assert summary["submissions"]["queued"] == 1
    finally:
        if metrics is not None:
            metrics.stop()
        controller.stop()
        outbox.close()


def test_failures_are_logged_once_per_change_not_per_beat(sim, caplog) -> None:
    client = PortalClient(sim.url, connect_timeout_s=0.5, read_timeout_s=1, kiosk_id="k")
    beat = Heartbeat(client, Sources(kiosk_id="k"))
    caplog.set_level(logging.INFO, logger="kiosk.heartbeat")
    try:
        assert beat.beat_once()
        sim.set_fault("down")
        assert [beat.beat_once() for _ in range(4)] == [False] * 4
        sim.set_fault("error500")
        assert not beat.beat_once() and not beat.beat_once()
        sim.set_fault("none")
        assert beat.beat_once() and beat.beat_once()
    finally:
        client.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "kiosk.heartbeat"]
    errors = [r.fields["error"] for r in caplog.records if r.getMessage() == "heartbeat failing"]
    assert lines == ["heartbeat failing", "heartbeat failing", "heartbeat restored"]
    assert errors == ["PortalOffline", "PortalServerError"]
    assert (beat.sent, beat.failed) == (3, 6)


def test_the_thread_beats_on_its_own_and_stops_at_once(tmp_path: Path, sim) -> None:
    config = from_mapping({"kiosk": {"id": "tbs-08"}, "portal": {"url": sim.url},
                           "storage": {"dir": str(tmp_path)}})
    controller = KioskController(config)
    beat, probe = start_heartbeat(controller, interval_s=0.05)
    try:
        deadline = time.monotonic() + 10
        while len([b for b in beats(sim) if b["kiosk_id"] == "tbs-08"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len([b for b in beats(sim) if b["kiosk_id"] == "tbs-08"]) >= 3
        assert probe.up is True
    finally:
        started = time.monotonic()
        controller.stop()  # the heartbeat registered itself to stop with the controller
        assert time.monotonic() - started < 3
    count = len(beats(sim))
    time.sleep(0.2)
    assert len(beats(sim)) == count, "no beats after stop"


def test_a_hanging_portal_does_not_hold_up_the_caller(sim) -> None:
    client = PortalClient(sim.url, connect_timeout_s=0.5, read_timeout_s=0.5, kiosk_id="k")
    sim.set_fault("slow", delay_s=3)
    beat = Heartbeat(client, Sources(kiosk_id="k"), interval_s=60)
    try:
        started = time.monotonic()
        beat.start()
        assert time.monotonic() - started < 0.2
        time.sleep(0.1)
        assert beat.failed == 0  # still waiting on the portal, on its own thread
        deadline = time.monotonic() + 5
        while beat.failed == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert beat.failed == 1 and beat.failing == "PortalOffline"  # the read time-out ended it
    finally:
        beat.stop()
        client.close()

"""The Prometheus endpoint, scraped over real HTTP from 127.0.0.1, fed by a real controller."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from prometheus_client.parser import text_string_to_metric_families

from devices.printer import Printer
from devices.printer_sim import start_printer_sim
from kiosk import __version__
from kiosk.config import from_mapping
from kiosk.controller import KioskController, Parts
from kiosk.logs import KeyValueFormatter
from kiosk.metrics import KioskMetrics, PortalProbe, Sources, start_metrics
from kiosk.portal.client import PortalClient
from kiosk.sealing import load_public_key
from kiosk.session import State
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox

CITIZEN = {"personal_number": "01024055123", "given_name": "ნინო", "surname": "ბერიძე",
           "date_of_birth": "1990-04-05", "mobile": "+995599123456", "email": "nino@example.ge"}


def make_config(tmp_path: Path, **maintenance):
    return from_mapping({"kiosk": {"id": "tbs-07"}, "storage": {"dir": str(tmp_path / "storage")},
                         "maintenance": maintenance})


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}, parsed by prometheus_client's own parser."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def kiosk(tmp_path: Path):
    controller = KioskController(make_config(tmp_path))
    metrics = KioskMetrics(controller)
    port = metrics.serve(0)
    yield controller, metrics, port
    metrics.stop()
    controller.stop()


def card_login(machine, session: str, tries: int = 3) -> None:
    machine.card_inserted(session)
    machine.card_ready(tries)


def test_visits_and_logins_are_counted_by_result(kiosk) -> None:
    controller, _metrics, port = kiosk
    machine = controller.machine
    card_login(machine, "s1")
    machine.pin_submitted()
    machine.pin_wrong(2)
    machine.pin_submitted()
    machine.authenticated(dict(CITIZEN), offline=False, token="t")
    machine.logout()
    card_login(machine, "s2", tries=0)  # a card already blocked
    machine.card_removed()
    for session, reason in (("s3", "card_expired"), ("s4", "card_revoked"), ("s5", "portal_error")):
        card_login(machine, session)
        machine.pin_submitted()
        machine.login_failed(reason)
        machine.cancel()
    machine.start_password_login()
    machine.password_submitted()
    machine.login_failed("bad_credentials")
    machine.password_submitted()
    machine.authenticated(dict(CITIZEN), offline=False, token="t")
    machine.navigate(State.SERVICE, service_id="letter-to-agency")
    machine.form_completed({"text": "x"})
    machine.confirmed()
    machine.submission_failed("disk_full")
    machine.logout()

    samples = scrape(port)
    assert value(samples, "kiosk_visits_total") == 6
    expected = {"ok": 1, "wrong_pin": 1, "blocked": 1, "expired": 1, "revoked": 1, "error": 1,
                "password": 1, "bad_password": 1}
    assert {r: value(samples, "kiosk_logins_total", result=r) for r in expected} == expected
    assert value(samples, "kiosk_submissions_total", outcome="refused") == 1
    assert value(samples, "kiosk_submissions_total", outcome="delivered") == 0
    info = [k for k in samples if k[0] == "kiosk_version_info"]
    assert info == [("kiosk_version_info", (("kiosk_id", "tbs-07"), ("version", __version__)))]
    assert value(samples, "kiosk_uptime_seconds") >= 0


def test_out_of_service_is_not_a_visit(kiosk) -> None:
    controller, _metrics, port = kiosk
    controller.machine.out_of_service("printer")
    controller.machine.back_in_service()
    assert value(scrape(port), "kiosk_visits_total") == 0


def test_reader_and_printer_status_are_one_hot_gauges(tmp_path: Path) -> None:
    printer_sim = start_printer_sim(tmp_path / "paper", status="paper_out")
    controller = KioskController(make_config(tmp_path),
                                 Parts(printer=Printer(f"tcp://127.0.0.1:{printer_sim.port}")))
    metrics = KioskMetrics(controller)
    port = metrics.serve(0)
    try:
        controller.start()  # the controller's own printer poll asks the stand-in at once
        controller.on_reader_status("no_card")
        assert _wait(lambda: value(scrape(port), "kiosk_printer_status", status="paper_out") == 1)
        samples = scrape(port)
        printer = {k[1][0][1]: v for k, v in samples.items() if k[0] == "kiosk_printer_status"}
        assert printer == {"ready": 0, "near_end": 0, "paper_out": 1, "cover_open": 0, "offline": 0}
        reader = {k[1][0][1]: v for k, v in samples.items() if k[0] == "kiosk_reader_status"}
        assert reader["no_card"] == 1 and sum(reader.values()) == 1
        controller.on_reader_status("no_reader")
        assert value(scrape(port), "kiosk_reader_status", status="no_card") == 0
    finally:
        metrics.stop()
        controller.stop()
        printer_sim.stop()


def test_queue_gauges_and_submissions_follow_the_outbox_and_forwarder(tmp_path: Path, sim) -> None:
    outbox = Outbox(tmp_path / "storage", kiosk_id="tbs-07",
                    portal_public_key=load_public_key(sim.public_key_path))
    client = PortalClient(sim.url, connect_timeout_s=2, read_timeout_s=5, kiosk_id="tbs-07")
    forwarder = Forwarder(outbox, client, base_delay_s=0.05)
    controller = KioskController(make_config(tmp_path), Parts(outbox=outbox, forwarder=forwarder))
    metrics = KioskMetrics(controller)
    port = metrics.serve(0)
    try:
        for n in range(3):
            outbox.enqueue({"service_id": "letter-to-agency", "personal_number": CITIZEN["personal_number"],
                            "values": {"n": n}})
        samples = scrape(port)
        assert value(samples, "kiosk_queue_depth") == 3
        assert value(samples, "kiosk_submissions_total", outcome="queued") == 3
        assert 0 <= value(samples, "kiosk_queue_oldest_age_seconds") < 120
        forwarder.start()
        assert _wait(lambda: value(scrape(port), "kiosk_submissions_total", outcome="delivered") == 3)
        samples = scrape(port)
        assert value(samples, "kiosk_queue_depth") == 0
        assert value(samples, "kiosk_queue_oldest_age_seconds") == 0
    finally:
        metrics.stop()
        forwarder.stop()
        client.close()
        outbox.close()


def test_a_dead_letter_is_counted_and_shown(tmp_path: Path, sim) -> None:
    wrong_key = X25519PrivateKey.generate().public_key()  # the portal cannot open these
    outbox = Outbox(tmp_path / "storage", kiosk_id="tbs-07", portal_public_key=wrong_key)
    client = PortalClient(sim.url, connect_timeout_s=2, read_timeout_s=5, kiosk_id="tbs-07")
    forwarder = Forwarder(outbox, client, base_delay_s=0.05)
    metrics = KioskMetrics(KioskController(make_config(tmp_path), Parts(outbox=outbox, forwarder=forwarder)))
    port = metrics.serve(0)
    try:
        outbox.enqueue({"service_id": "letter-to-agency", "personal_number": None})
        forwarder.start()
        assert _wait(lambda: value(scrape(port), "kiosk_submissions_total", outcome="dead") == 1)
        assert value(scrape(port), "kiosk_queue_dead") == 1
    finally:
        metrics.stop()
        forwarder.stop()
        client.close()
        outbox.close()


def test_portal_gauges_come_from_the_probe(tmp_path: Path, sim) -> None:
    client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=2)
    probe = PortalProbe(client.health)
    metrics = KioskMetrics(sources=Sources(kiosk_id="k", probe=probe))
    port = metrics.serve(0)
    try:
        assert value(scrape(port), "kiosk_portal_up") is None  # not asked yet: absent, not 0
        assert probe.probe()
        samples = scrape(port)
        assert value(samples, "kiosk_portal_up") == 1
        assert 0 < value(samples, "kiosk_portal_latency_seconds") < 2
        sim.set_fault("down")
        assert not probe.probe()
        samples = scrape(port)
        assert value(samples, "kiosk_portal_up") == 0
        assert value(samples, "kiosk_portal_latency_seconds") is None
    finally:
        metrics.stop()
        client.close()


def test_the_endpoint_is_loopback_only_and_off_by_default(tmp_path: Path) -> None:
    metrics = KioskMetrics(sources=Sources())
    with pytest.raises(ValueError):
        metrics.serve(0, host="0.0.0.0")
    port = metrics.serve(0)
    try:
        assert metrics._server.server_address[0] == "127.0.0.1"
        probe = socket.create_connection(("127.0.0.1", port), timeout=2)
        probe.close()
    finally:
        metrics.stop()
    controller = KioskController(make_config(tmp_path))
    assert start_metrics(controller.config, controller) is None  # metrics_port = 0: off


def test_start_metrics_uses_the_configured_port(tmp_path: Path) -> None:
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        free = finder.getsockname()[1]
    controller = KioskController(make_config(tmp_path, metrics_port=free))
    metrics = start_metrics(controller.config, controller)
    try:
        assert metrics is not None
        assert value(scrape(free), "kiosk_visits_total") == 0
        # A second kiosk process on the same port logs and goes on without metrics.
        assert start_metrics(controller.config, KioskController(controller.config)) is None
    finally:
        metrics.stop()


def test_no_personal_data_in_logs_metrics_or_summary(tmp_path: Path, sim) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    outbox = Outbox(tmp_path / "storage", kiosk_id="tbs-07",
                    portal_public_key=load_public_key(sim.public_key_path))
    controller = KioskController(make_config(tmp_path), Parts(outbox=outbox))
    metrics = KioskMetrics(controller)
    port = metrics.serve(0)
    try:
        machine = controller.machine
        controller.on_reader_status("no_card")
        card_login(machine, "visit-1")
        machine.pin_submitted()
        machine.authenticated(dict(CITIZEN), offline=False, token="secret-token")
        machine.profile_completed(CITIZEN["mobile"], CITIZEN["email"])
        machine.navigate(State.SERVICE, service_id="letter-to-agency")
        machine.form_completed({"text": "ნინო ბერიძე writes", "pn": CITIZEN["personal_number"]})
        machine.confirmed()
        outbox.enqueue({"service_id": "letter-to-agency", "personal_number": CITIZEN["personal_number"],
                        "values": {"name": CITIZEN["given_name"]}})
        machine.submission_done({"local_ref": "K7-2611-0001"})
        machine.logout()
        page = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        exposed = "\n".join([stream.getvalue(), page,
                             json.dumps(metrics.sources.summary(), ensure_ascii=False)])
        assert "transition" in exposed and "kiosk_visits_total 1.0" in exposed  # the capture worked
        for secret in (*CITIZEN.values(), "secret-token", "01024055"):
            assert secret not in exposed, f"{secret!r} leaked"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        metrics.stop()
        outbox.close()


def _wait(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())

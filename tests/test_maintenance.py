"""The maintenance actions over real parts: printer stand-in, receipt journal, outbox, portal sim."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding

from devices.card_reader import ReaderState, ReaderStatus
from devices.printer import Printer
from devices.printer_sim import start_printer_sim
from devices.receipt import example_receipt
from kiosk.audit import AuditLog
from kiosk.config import from_mapping
from kiosk.controller import KioskController, Parts
from kiosk.maintenance import RESTART_EXIT_CODE, Maintenance, RecentErrors
from kiosk.metrics import PortalProbe
from kiosk.portal.client import PortalClient
from kiosk.receipt_journal import ReceiptJournal, issue
from kiosk.sealing import load_public_key
from kiosk.technician import Accepted, Disabled, LockedOut, TechnicianGate, Wrong, hash_pin
from offline_queue.forwarder import Forwarder
from offline_queue.outbox import Outbox
from tests.secret_search import holds_secret

ATR = bytes.fromhex("3B DC 18 FF 81 91 FE 1F C3 80 73 C8 21 13 66 01 06 11 59 00 01 28")


@dataclass
class Profile:
    name: str


class TestCardWithoutPinPad:
    """An EidCard as the maintenance screen may use it: any PIN call fails the test."""

    __test__ = False

    def __init__(self, der: bytes) -> None:
        self.atr, self.profile, self.der, self.calls = ATR, Profile("geo-2011"), der, []

    def read_auth_certificate(self) -> bytes:
        self.calls.append("read_auth_certificate")
        return self.der

    def pin_tries_left(self) -> int:
        self.calls.append("pin_tries_left")
        return 3

    def verify_pin(self, pin: bytearray) -> None:
        raise AssertionError("the maintenance screen must never touch a PIN")

    sign = verify_pin


class ReaderWithCard:
    def __init__(self, card) -> None:
        self.state = ReaderState(ReaderStatus.READY, "ACS ACR39U", card, "session-1", ATR, "")

    def start(self) -> None: ...

    def stop(self) -> None: ...


@pytest.fixture
def rig(tmp_path: Path, sim, pki):
    citizen = next(iter(pki.make_demo().values()))
    storage = tmp_path / "storage"
    printer_sim = start_printer_sim(tmp_path / "paper")
    outbox = Outbox(storage, kiosk_id="tbs-07", portal_public_key=load_public_key(sim.public_key_path))
    send_client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=2, kiosk_id="tbs-07")
    probe_client = PortalClient(sim.url, connect_timeout_s=1, read_timeout_s=2, kiosk_id="tbs-07")
    forwarder = Forwarder(outbox, send_client, base_delay_s=30, max_delay_s=60)
    card = TestCardWithoutPinPad(citizen.certificate().public_bytes(Encoding.DER))
    parts = Parts(printer=Printer(f"tcp://127.0.0.1:{printer_sim.port}"), journal=ReceiptJournal(storage),
                  outbox=outbox, forwarder=forwarder, reader=ReaderWithCard(card))
    config = from_mapping({"kiosk": {"id": "tbs-07"}, "storage": {"dir": str(storage)},
                           "maintenance": {"pin_hash": hash_pin("4711", n=2**10)}})
    controller = KioskController(config, parts)
    audit = AuditLog(storage)
    exits: list[int] = []
    maintenance = Maintenance(controller, audit, probe=PortalProbe(probe_client.health),
                              recent_errors=RecentErrors(), exit_process=exits.append)
    yield maintenance, printer_sim, citizen, card, exits
    maintenance.close()
    controller.stop()
    forwarder.stop()
    for closable in (send_client, probe_client, outbox, parts.journal, audit):
        closable.close()
    printer_sim.stop()


def actions(maintenance: Maintenance) -> list[tuple[str, dict]]:
    return [(e["action"], e["details"]) for e in maintenance.audit.entries()]


def test_status_report_shows_every_part(rig) -> None:
    maintenance, _printer, _citizen, _card, _ = rig
    maintenance.parts.outbox.enqueue({"service_id": "letter-to-agency", "personal_number": None})
    logging.getLogger("kiosk.test").addHandler(maintenance.recent_errors)
    logging.getLogger("kiosk.test").warning("printer jam while printing for 01024055123")
    result = maintenance.status_report()
    report = result.data
    assert result.ok
    assert report["reader"]["status"] == "ready" and report["reader"]["profile"] == "geo-2011"
    assert report["reader"]["atr"].startswith("3B DC 18")
    assert report["printer"] == {"status": "ready"}
    assert report["portal"]["up"] is True and 0 < report["portal"]["latency_ms"] < 2000
    assert report["queue"]["pending"] == 1 and report["queue"]["dead"] == 0
    assert report["disk"]["free_mb"] > 0 and report["version"] and report["uptime_s"] >= 0
    config_limit = maintenance.controller.config.kiosk.restart_above_mb
    assert report["memory"]["restart_above_mb"] == config_limit > 0
    assert 0 < report["memory"]["resident_mb"] < config_limit * 4  # this test process, read
    assert report["recent_errors"][-1]["message"] == "printer jam while printing for 010********"
    assert actions(maintenance) == [("status_report", {"ok": True, "available": True})]


def test_test_print_reaches_the_paper_or_says_why_not(rig) -> None:
    maintenance, printer_sim, *_ = rig
    result = maintenance.test_print("en")
    assert result.ok and len(printer_sim.wait_for_receipts(1)) == 1
    printer_sim.set_status("paper_out")
    result = maintenance.test_print()
    assert not result.ok and result.text("en") == "failed: PaperOut"
    assert result.text("ka") == "ვერ შესრულდა: PaperOut"  # the screen shows the technician's language
    assert len(printer_sim.receipts()) == 1
    assert [d["ok"] for a, d in actions(maintenance) if a == "test_print"] == [True, False]


def test_reprint_recent_prints_kept_receipts_again(rig) -> None:
    maintenance, printer_sim, *_ = rig
    journal, printer = maintenance.parts.journal, maintenance.parts.printer
    first = issue(journal, printer, example_receipt("ka"))
    second = issue(journal, printer, example_receipt("en"))
    printer_sim.wait_for_receipts(2)
    listed = maintenance.recent_receipts(5).data["receipts"]
    assert [r["id"] for r in listed] == [second, first]
    result = maintenance.reprint_recent(2)
    assert result.ok and result.data["printed"] == [first, second]
    assert len(printer_sim.wait_for_receipts(4)) == 4
    assert maintenance.reprint(first).ok and len(printer_sim.wait_for_receipts(5)) == 5
    assert not maintenance.reprint(999).ok  # never kept: an answer, not an exception
    assert ("reprint", {"receipt_id": 999, "ok": False, "available": True}) in actions(maintenance)


def test_send_queue_now_cuts_the_backoff_short(rig, sim) -> None:
    maintenance, *_ = rig
    outbox, forwarder = maintenance.parts.outbox, maintenance.parts.forwarder
    sim.set_fault("down")
    forwarder.start()
    outbox.enqueue({"service_id": "letter-to-agency", "personal_number": None})
    deadline = time.monotonic() + 5
    while forwarder.waiting_s == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert forwarder.waiting_s > 5  # failed once: it would wait about 30 s
    sim.set_fault("none")
    result = maintenance.send_queue_now()
    assert result.ok
    deadline = time.monotonic() + 5
    while outbox.count("pending") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert outbox.count("pending") == 0  # delivered entries leave the outbox
    received = requests.get(sim.url + "/_sim/transactions", timeout=5).json()["items"]
    assert len(received) == 1


def test_dead_letters_can_be_retried_and_exported(rig, tmp_path: Path) -> None:
    maintenance, *_ = rig
    outbox = maintenance.parts.outbox
    entry = outbox.enqueue({"service_id": "letter-to-agency", "personal_number": None})
    outbox.mark_dead(entry.id, "envelope_malformed", "test")
    export = tmp_path / "dead.jsonl"
    result = maintenance.export_dead(export)
    assert result.ok and result.data["count"] == 1
    assert export.stat().st_mode & 0o777 == 0o600
    exported = [json.loads(line) for line in export.read_text().splitlines()]
    assert exported[0]["local_ref"] == entry.local_ref and exported[0]["sealed"]
    assert not maintenance.retry_dead("K0-0000-0000").ok
    assert maintenance.retry_dead(entry.local_ref).ok
    assert outbox.get(entry.local_ref).status == "pending"
    assert ("retry_dead", {"ref": entry.local_ref, "ok": True, "available": True}) in actions(maintenance)


def test_test_card_reads_without_touching_the_pin(rig) -> None:
    maintenance, _printer, citizen, card, _ = rig
    result = maintenance.test_card()
    assert result.ok and result.data["pin_tries_left"] == 3 and result.data["profile"] == "geo-2011"
    assert citizen.surname in result.data["subject"]  # on the technician's screen only
    assert card.calls == ["read_auth_certificate", "pin_tries_left"]
    raw = maintenance.audit.path.read_bytes()
    assert citizen.surname.encode() not in raw and citizen.personal_number.encode() not in raw
    assert actions(maintenance)[-1][1]["profile"] == "geo-2011"


def test_the_pin_door_audits_attempts_but_never_the_pin(rig) -> None:
    maintenance, *_ = rig
    assert maintenance.open_with_pin(bytearray(b"0000")) == Wrong(2)
    assert maintenance.open_with_pin(bytearray(b"4711")) == Accepted() and maintenance.is_open
    assert maintenance.leave().ok and not maintenance.is_open
    for _ in range(3):
        result = maintenance.open_with_pin(bytearray(b"9999"))
    assert isinstance(result, LockedOut)
    assert [d["result"] for a, d in actions(maintenance) if a == "open"] == [
        "Wrong", "Accepted", "Wrong", "Wrong", "LockedOut"]
    for path in maintenance.audit.dir.iterdir():
        if path.is_file():
            data = path.read_bytes()
            assert not holds_secret(data, "4711") and not holds_secret(data, "9999"), path


def test_the_default_language_is_kept_over_a_restart(rig) -> None:
    maintenance, *_ = rig
    assert not maintenance.set_default_language("de").ok
    assert maintenance.set_default_language("en").ok
    assert maintenance.controller.machine.language == "en"
    assert maintenance.controller.translator.language == "en"
    fresh = KioskController(maintenance.controller.config)
    again = Maintenance(fresh, maintenance.audit, recent_errors=RecentErrors(), exit_process=lambda c: None)
    try:
        assert fresh.machine.default_language == "en" and fresh.machine.language == "en"
    finally:
        again.close()


def test_restart_app_is_audited_then_exits_for_systemd(rig) -> None:
    maintenance, _printer, _citizen, _card, exits = rig
    maintenance.restart_app()
    assert exits == [RESTART_EXIT_CODE]
    assert actions(maintenance)[-1] == ("restart_app", {"ok": True, "exit_code": RESTART_EXIT_CODE})


def test_restart_app_really_exits_the_process(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        from kiosk.audit import AuditLog
        from kiosk.config import from_mapping
        from kiosk.controller import KioskController
        from kiosk.maintenance import Maintenance
        config = from_mapping({{"storage": {{"dir": {str(tmp_path)!r}}}}})
        Maintenance(KioskController(config), AuditLog({str(tmp_path)!r})).restart_app()
        raise SystemExit("restart_app returned")
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, timeout=60)
    assert done.returncode == RESTART_EXIT_CODE, done.stderr
    with AuditLog(tmp_path) as audit:
        assert audit.entries()[-1]["action"] == "restart_app" and audit.verify().ok


def test_a_kiosk_without_parts_answers_not_available(tmp_path: Path) -> None:
    controller = KioskController(from_mapping({"storage": {"dir": str(tmp_path)}}))
    with AuditLog(tmp_path) as audit:
        maintenance = Maintenance(controller, audit, recent_errors=RecentErrors(),
                                  exit_process=lambda c: None)
        results = [maintenance.test_print(), maintenance.reprint_recent(1), maintenance.send_queue_now(),
                   maintenance.retry_dead("x"), maintenance.export_dead(tmp_path / "x"),
                   maintenance.test_card(), maintenance.recent_receipts()]
        assert all(not r.ok and not r.available and "not available" in r.text() for r in results)
        assert all(r.text("ru").startswith("недоступно") for r in results)
        report = maintenance.status_report()
        assert report.ok and report.data["printer"]["status"] == "not configured"
        assert report.data["queue"] == {"available": False} and report.data["portal"]["up"] is None
        assert maintenance.open_with_pin(bytearray(b"1234")) == Disabled()  # no pin_hash: no door
        assert audit.verify().ok and audit.verify().count == 7
        maintenance.close()


def test_actions_run_in_the_background_one_at_a_time(rig) -> None:
    maintenance, printer_sim, *_ = rig
    seen = []
    futures = [maintenance.run_in_background(maintenance.test_print, done=seen.append) for _ in range(2)]
    assert all(f.result(timeout=20).ok for f in futures)
    assert len(seen) == 2 and len(printer_sim.wait_for_receipts(2)) == 2


def test_gate_from_config_uses_the_storage_dir(rig) -> None:
    maintenance, *_ = rig
    maintenance.open_with_pin(bytearray(b"1111"))
    assert isinstance(maintenance.gate, TechnicianGate)
    assert (Path(maintenance.controller.config.storage.dir) / "technician-lockout.json").exists()


def test_every_action_result_sentence_is_in_the_maintenance_catalog_in_three_languages() -> None:
    """The screen shows ActionResult.text(language): each msgid the core can return is translated."""
    import ast

    from kiosk.i18n import LOCALE_DIR, parse_po

    kiosk_dir = Path(__file__).parent.parent / "kiosk"
    msgids = {node.args[0].value
              for name in ("maintenance.py", "action_result.py")
              for node in ast.walk(ast.parse((kiosk_dir / name).read_text(encoding="utf-8")))
              if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_"}
    assert len(msgids) >= 20
    for lang in ("en", "ka", "ru"):
        catalog = parse_po((LOCALE_DIR / lang / "LC_MESSAGES" / "maintenance.po").read_text(encoding="utf-8"))
        assert sorted(msgids - set(catalog)) == [], lang

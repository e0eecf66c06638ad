"""`kiosk doctor --json` reports each device right, with the stand-ins in each of their fault modes.

Run as a technician would (a subprocess) against the portal simulator, the
printer stand-in and this worker's private pcscd with the vpcd reader and
virtual cards. Besides each finding's status and advice, every test pins
the exit code: non-zero exactly when something a citizen needs is broken
(the rules are in kiosk/doctor.py's docstring).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devices.eid.profiles import profile_named
from devices.printer_sim import start_printer_sim
from devices.virtual_card import Faults
from kiosk.portal import simulator

ROOT = Path(__file__).resolve().parent.parent


def doctor(config: Path, pcsc_socket: str | None = None) -> tuple[int, dict[str, dict]]:
    env = dict(os.environ)
    if pcsc_socket:
        env["PCSCLITE_CSOCK_NAME"] = pcsc_socket
    result = subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--json", "--config", str(config)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    report = json.loads(result.stdout)
    assert report["ok"] == (result.returncode == 0)
    return result.returncode, {f["check"]: f for f in report["findings"]}


@pytest.fixture
def stand_ins(tmp_path: Path, test_pki):  # type: ignore[no-untyped-def]
    sim = simulator.start(tmp_path / "portal" / "portal.sqlite3", test_pki.dir)
    printer = start_printer_sim(tmp_path / "printed")
    storage = tmp_path / "storage"
    storage.mkdir(mode=0o700)
    config = tmp_path / "kiosk.toml"

    def write(allow_virtual_reader: bool = True, portal_url: str = sim.url,
              offline_trust: bool = False) -> Path:
        trust = (f'trusted_root = "{test_pki.root_cert_path}"\ncrl = "{test_pki.crl_path}"\n'
                 if offline_trust else "")
        config.write_text(
            f'[portal]\nurl = "{portal_url}"\npublic_key = "{sim.public_key_path}"\n'
            f'[printer]\nconnection = "tcp://127.0.0.1:{printer.port}"\n'
            f'[storage]\ndir = "{storage}"\n'
            f"[reader]\nallow_virtual_reader = {str(allow_virtual_reader).lower()}\n{trust}")
        return config

    yield write, sim, printer
    printer.stop()
    sim.stop()


@pytest.mark.pcsc
@pytest.mark.parametrize(("printer_status", "level", "words"), [
    ("ready", "ok", "ready"),
    ("near-end", "warn", "near_end"),
    ("paper-out", "warn", "paper_out"),
    ("cover-open", "warn", "cover_open"),
    ("silent", "warn", "offline"),
])
def test_printer_modes(stand_ins, pcsc, printer_status: str, level: str, words: str) -> None:
    """No printer trouble stops a citizen: kiosk.desk shows the receipt on screen instead."""
    write, _, printer = stand_ins
    printer.set_status(printer_status)
    code, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["printer"]["status"] == level and words in findings["printer"]["detail"]
    assert code == 0, findings
    if level != "ok":
        assert findings["printer"]["action"], "every finding says what to do"
    if printer_status in ("paper-out", "cover-open", "silent"):
        assert "on screen" in findings["printer"]["action"]


# (fault, what the detail names, words the advice must hold, words it must not)
PORTAL_FAULTS = {
    "down": ("does not answer", ["network cable", "queued"], ["help desk"]),
    "error500": ("reachable but failing: it answers 500", ["help desk", "queue"], ["network cable"]),
    "unavailable503": ("reachable but failing: it answers 503", ["help desk", "queue"], ["network cable"]),
}


@pytest.mark.pcsc
@pytest.mark.parametrize("offline_trust", [True, False], ids=["offline-trust", "no-offline-trust"])
@pytest.mark.parametrize("fault", list(PORTAL_FAULTS))
def test_portal_simulator_faults(stand_ins, pcsc, fault: str, offline_trust: bool) -> None:
    """An unusable portal stops citizens only when card logins cannot be checked offline."""
    write, sim, _ = stand_ins
    sim.set_fault(fault)
    code, findings = doctor(write(offline_trust=offline_trust), str(pcsc.socket_path))
    portal = findings["portal"]
    named, wanted, unwanted = PORTAL_FAULTS[fault]
    assert named in portal["detail"], portal
    assert all(w in portal["action"] for w in wanted), portal
    assert not any(w in portal["action"] for w in unwanted), portal
    if offline_trust:
        assert portal["status"] == "warn" and code == 0, findings
    else:
        assert portal["status"] == "fail" and code == 1, findings
        assert "reader.trusted_root is not set" in portal["detail"]
        assert "reader.trusted_root" in portal["action"]


@pytest.mark.pcsc
def test_a_slow_portal_is_named_with_its_latency(stand_ins, pcsc) -> None:
    write, sim, _ = stand_ins
    sim.set_fault("slow", delay_s=1.5)
    code, findings = doctor(write(), str(pcsc.socket_path))
    portal = findings["portal"]
    assert portal["status"] == "warn" and code == 0, findings
    assert "slowly" in portal["detail"]
    latency_ms = int(portal["detail"].split("slowly: ")[1].split(" ms")[0])
    assert 1500 <= latency_ms < 5000
    assert "help desk" in portal["action"] and "network cable" not in portal["action"]


@pytest.mark.pcsc
def test_portal_down_and_up(stand_ins, pcsc) -> None:
    write, _, _ = stand_ins
    _, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["portal"]["status"] == "ok" and "ms" in findings["portal"]["detail"]
    code, findings = doctor(write(portal_url="http://127.0.0.1:9", offline_trust=True), str(pcsc.socket_path))
    assert findings["portal"]["status"] == "warn" and "queued" in findings["portal"]["action"]
    assert "network cable" in findings["portal"]["action"] and code == 0


@pytest.mark.pcsc
def test_card_reader_modes(stand_ins, pcsc) -> None:
    write, _, _ = stand_ins
    code, findings = doctor(write(allow_virtual_reader=False), str(pcsc.socket_path))
    reader = findings["card reader"]
    assert reader["status"] == "fail" and "virtual reader" in reader["detail"]
    assert "vsmartcard-vpcd" in reader["action"] and code == 1
    code, findings = doctor(write(allow_virtual_reader=True), str(pcsc.socket_path))
    assert findings["card reader"]["status"] == "warn" and code == 0, findings
    pcsc.restart(with_reader=False)  # pcscd runs, but no reader is plugged in
    code, findings = doctor(write(), str(pcsc.socket_path))
    reader = findings["card reader"]
    assert reader["status"] == "fail" and reader["detail"] == "no card reader" and code == 1
    assert "plug the card reader in" in reader["action"]
    assert findings["card"]["status"] == "info" and "no card reader" in findings["card"]["detail"]
    pcsc.stop()
    code, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["card reader"]["status"] == "fail" and "pcscd" in findings["card reader"]["detail"]
    assert findings["card"]["status"] == "info" and "pcscd" in findings["card"]["detail"] and code == 1


UNKNOWN_ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")


def spaced(atr: bytes) -> str:
    return atr.hex(" ").upper()


@pytest.mark.pcsc
@pytest.mark.parametrize(("card", "level", "words"), [
    (None, "info", ["no card in"]),
    ({}, "ok", [spaced(profile_named("virtual").atr), "profile virtual", "test card"]),
    ({"profile": "geo-2011"}, "ok", [spaced(profile_named("geo-2011").atr), "profile geo-2011"]),
    ({"faults": Faults(atr=UNKNOWN_ATR)}, "warn", ["unknown card", spaced(UNKNOWN_ATR)]),
    # A card that answers no command: the doctor sends none, so it cannot hang on it.
    ({"faults": Faults(mute_at_apdu=1)}, "ok", [spaced(profile_named("virtual").atr), "profile virtual"]),
], ids=["absent", "virtual", "geo-2011", "unknown-atr", "mute"])
def test_card_modes(stand_ins, pcsc, make_card, card: dict | None, level: str, words: list[str]) -> None:
    write, _, _ = stand_ins
    inserted = None
    if card is not None:
        inserted = make_card(**card)
        inserted.insert()
        assert pcsc.wait_slot_empty(present=True)
    code, findings = doctor(write(), str(pcsc.socket_path))
    found = findings["card"]
    assert found["status"] == level and all(w in found["detail"] for w in words), found
    assert code == 0, "a card in the reader, or none, never breaks the kiosk"
    if level != "ok":
        assert found["action"], "every finding says what to do"
    if level == "warn":
        assert "devices/profiles" in found["action"]
    if inserted is not None:
        # Read-only: not one APDU, so no PIN verified and no try spent.
        assert inserted.apdu_count == 0
        assert inserted.applet.tries_left == inserted.applet.profile.max_pin_tries


@pytest.mark.pcsc
def test_a_test_card_where_test_cards_are_refused(stand_ins, pcsc, make_card) -> None:
    write, _, _ = stand_ins
    make_card().insert()
    assert pcsc.wait_slot_empty(present=True)
    _, findings = doctor(write(allow_virtual_reader=False), str(pcsc.socket_path))
    card = findings["card"]
    assert card["status"] == "warn" and "for tests only" in card["detail"]
    assert "take the test card out" in card["action"]


@pytest.mark.pcsc
def test_the_card_check_leaves_a_running_kiosks_card_alone(stand_ins, pcsc, make_card,
                                                           reader_service) -> None:
    """The kiosk holds a present card exclusively; the doctor still names it and takes nothing from it."""
    write, _, _ = stand_ins
    _, seen = reader_service()
    make_card().insert()
    ready = seen.wait_for("ready")
    count = len(seen.states)
    code, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["card"]["status"] == "ok" and "open by the running kiosk" in findings["card"]["detail"]
    assert "profile virtual" in findings["card"]["detail"] and code == 0
    assert len(seen.states) == count, f"the kiosk saw the doctor: {seen.statuses[count:]}"
    assert ready.card is not None and ready.card.pin_tries_left() == 3

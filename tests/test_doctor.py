"""`kiosk doctor --json` reports each device right, with the stand-ins in each of their fault modes.

Run as a technician would (a subprocess) against the portal simulator, the
printer stand-in and this worker's private pcscd with the vpcd reader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devices.printer_sim import start_printer_sim
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

    def write(allow_virtual_reader: bool = True, portal_url: str = sim.url) -> Path:
        config.write_text(
            f'[portal]\nurl = "{portal_url}"\npublic_key = "{sim.public_key_path}"\n'
            f'[printer]\nconnection = "tcp://127.0.0.1:{printer.port}"\n'
            f'[storage]\ndir = "{storage}"\n'
            f"[reader]\nallow_virtual_reader = {str(allow_virtual_reader).lower()}\n")
        return config

    yield write, sim, printer
    printer.stop()
    sim.stop()


@pytest.mark.pcsc
@pytest.mark.parametrize(("printer_status", "level", "words"), [
    ("ready", "ok", "ready"),
    ("near-end", "warn", "near_end"),
    ("paper-out", "fail", "paper_out"),
    ("cover-open", "fail", "cover_open"),
    ("silent", "fail", "offline"),
])
def test_printer_modes(stand_ins, pcsc, printer_status: str, level: str, words: str) -> None:
    write, _, printer = stand_ins
    printer.set_status(printer_status)
    code, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["printer"]["status"] == level and words in findings["printer"]["detail"]
    assert (code == 1) == (level == "fail"), findings
    if level != "ok":
        assert findings["printer"]["action"], "every finding says what to do"


@pytest.mark.pcsc
def test_portal_down_and_up(stand_ins, pcsc) -> None:
    write, sim, _ = stand_ins
    _, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["portal"]["status"] == "ok" and "ms" in findings["portal"]["detail"]
    _, findings = doctor(write(portal_url="http://127.0.0.1:9"), str(pcsc.socket_path))
    assert findings["portal"]["status"] == "warn" and "queued" in findings["portal"]["action"]


@pytest.mark.pcsc
def test_card_reader_modes(stand_ins, pcsc) -> None:
    write, _, _ = stand_ins
    code, findings = doctor(write(allow_virtual_reader=False), str(pcsc.socket_path))
    reader = findings["card reader"]
    assert reader["status"] == "fail" and "virtual reader" in reader["detail"]
    assert "vsmartcard-vpcd" in reader["action"] and code == 1
    _, findings = doctor(write(allow_virtual_reader=True), str(pcsc.socket_path))
    assert findings["card reader"]["status"] == "warn", findings["card reader"]
    pcsc.stop()
    _, findings = doctor(write(), str(pcsc.socket_path))
    assert findings["card reader"]["status"] == "fail" and "pcscd" in findings["card reader"]["detail"]

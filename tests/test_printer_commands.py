"""`kiosk printer-sim` as the demo runs it, and `kiosk receipts` as a technician uses it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.printer import Printer, PrinterStatus
from devices.printer_sim import send_control, start_printer_sim
from devices.receipt import example_receipt
from kiosk.cli import main
from kiosk.receipt_journal import ReceiptJournal


def _read_until(process: subprocess.Popen[str], prefix: str, timeout_s: float = 15.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if line.startswith(prefix):
            return line.strip()
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"printer-sim never printed a line starting with {prefix!r}")


def _wait_for_status(control_port: int, expected: str, timeout_s: float = 5.0) -> str:
    """The stand-in's status once it is ``expected``, or the last one seen at the timeout."""
    deadline = time.monotonic() + timeout_s
    seen = ""
    while time.monotonic() < deadline:
        seen = send_control(control_port, "status").removeprefix("ok ")
        if seen == expected:
            break
        time.sleep(0.02)
    return seen


def test_printer_sim_command_status_changes_at_run_time(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "printer-sim", "--port", "0", "--control-port", "0",
         "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        connection = _read_until(process, "tcp://")
        control_port = int(_read_until(process, "control ").rsplit(":", 1)[1])
        printer = Printer(connection)
        assert printer.status() is PrinterStatus.READY

        changed = subprocess.run(
            [sys.executable, "-m", "kiosk", "printer-sim", "--control-port", str(control_port),
             "--set", "paper-out"], capture_output=True, text=True, timeout=30, check=False)
        assert changed.returncode == 0 and "ok paper-out" in changed.stdout
        assert printer.status() is PrinterStatus.PAPER_OUT

        # SIGUSR1 steps through the statuses (the demo strip); the control port reports each,
        # so the test waits on the stand-in's own word, not on timing.
        for expected in ("cover-open", "silent", "ready"):
            process.send_signal(signal.SIGUSR1)
            assert _wait_for_status(control_port, expected) == expected
            if expected == "cover-open":
                assert printer.status() is PrinterStatus.COVER_OPEN
            if expected == "silent":
                assert printer.status(timeout_s=0.3) is PrinterStatus.OFFLINE
        printer.print_receipt(example_receipt("ka"))
        deadline = time.monotonic() + 5
        while not list(tmp_path.glob("receipt-*.png")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(tmp_path.glob("receipt-*.png"))) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close()  # type: ignore[union-attr]


@pytest.fixture
def technician_setup(tmp_path: Path):
    sim = start_printer_sim(tmp_path / "printed")
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\nconnection = "tcp://127.0.0.1:{sim.port}"\n'
        f'[storage]\ndir = "{tmp_path / "storage"}"\n', encoding="utf-8")
    yield sim, config, tmp_path / "storage"
    sim.stop()


def test_receipts_list_and_reprint(technician_setup, capsys: pytest.CaptureFixture[str]) -> None:
    sim, config, storage = technician_setup
    with ReceiptJournal(storage) as journal:
        kept = journal.add(example_receipt("ru"))
        journal.mark(kept, "failed", "PaperOut")

    assert main(["receipts", "--config", str(config), "failed"]) == 0
    listing = capsys.readouterr().out
    assert f"{kept:>5}" in listing and "PaperOut" in listing
    assert "Beridze" not in listing and "Беридзе" not in listing and "01001012345" not in listing

    assert main(["receipts", "--config", str(config), "reprint", str(kept)]) == 0
    assert f"receipt {kept} printed" in capsys.readouterr().out
    assert len(sim.wait_for_receipts(1)) == 1
    assert main(["receipts", "--config", str(config), "failed"]) == 0
    assert "PaperOut" not in capsys.readouterr().out

    assert main(["receipts", "--config", str(config), "reprint", "999"]) == 1
    assert "no receipt 999" in capsys.readouterr().out


def test_receipts_status_and_test_print(technician_setup, capsys: pytest.CaptureFixture[str]) -> None:
    sim, config, _ = technician_setup
    assert main(["receipts", "--config", str(config), "status"]) == 0
    assert capsys.readouterr().out.strip().endswith("ready")
    sim.set_status("cover-open")
    assert main(["receipts", "--config", str(config), "test-print"]) == 1
    assert "cover is open" in capsys.readouterr().out
    sim.set_status("ready")
    assert main(["receipts", "--config", str(config), "test-print", "--language", "en"]) == 0
    assert len(sim.wait_for_receipts(1)) == 1

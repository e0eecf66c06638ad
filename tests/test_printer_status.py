"""Printer status over real TCP: the stand-in's four statuses, silence, a dead port, a file."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.escpos_decode import decode
from devices.printer import (
    STATUS_QUERY,
    Connection,
    CoverOpen,
    PaperOut,
    Printer,
    PrinterOffline,
    PrinterStatus,
    status_from_bytes,
)
from devices.printer_sim import PrinterSim, start_printer_sim
from devices.receipt import example_receipt, render


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PrinterSim]:
    printer_sim = start_printer_sim(tmp_path / "printed")
    yield printer_sim
    printer_sim.stop()


class SilentPrinter:
    """Accepts and reads everything, answers nothing: a hung printer or a wrong device."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.clients.append(client)
            threading.Thread(target=self._drain, args=(client,), daemon=True).start()

    def _drain(self, client: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                self.received += data
        except OSError:
            pass

    def stop(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.server.close()
        for client in self.clients:
            client.close()
        self.thread.join(timeout=2)


@pytest.mark.parametrize(("sim_status", "expected"), [
    ("ready", PrinterStatus.READY),
    ("near-end", PrinterStatus.NEAR_END),
    ("paper-out", PrinterStatus.PAPER_OUT),
    ("cover-open", PrinterStatus.COVER_OPEN),
])
def test_status_of_each_stand_in_state(sim: PrinterSim, sim_status: str, expected: PrinterStatus) -> None:
    sim.set_status(sim_status)
    printer = Printer(f"tcp://127.0.0.1:{sim.port}")
    started = time.monotonic()
    assert printer.status(timeout_s=0.5) is expected
    assert time.monotonic() - started < 0.5


def test_near_end_still_prints_but_paper_out_and_cover_open_refuse(sim: PrinterSim) -> None:
    printer = Printer(f"tcp://127.0.0.1:{sim.port}")
    receipt = example_receipt("en")
    sim.set_status("near-end")
    printer.print_receipt(receipt)
    assert len(sim.wait_for_receipts(1)) == 1
    for status, error in (("paper-out", PaperOut), ("cover-open", CoverOpen)):
        sim.set_status(status)
        with pytest.raises(error) as raised:
            printer.print_receipt(receipt)
        assert raised.value.during_job is False  # refused before any raster was sent
    assert len(sim.receipts()) == 1 and sim.discarded == 0


def test_silent_printer_is_offline_within_the_timeout() -> None:
    silent = SilentPrinter()
    try:
        printer = Printer(f"tcp://127.0.0.1:{silent.port}")
        started = time.monotonic()
        assert printer.status(timeout_s=0.3) is PrinterStatus.OFFLINE
        assert 0.25 < time.monotonic() - started < 0.8
        started = time.monotonic()
        with pytest.raises(PrinterOffline):
            printer.print_receipt(example_receipt("ka"), status_timeout_s=0.3)
        assert time.monotonic() - started < 1.0
        time.sleep(0.05)
        # It was asked (DLE EOT 1, 2, 4) but never sent the raster.
        assert bytes(silent.received).startswith(STATUS_QUERY)
        assert b"\x1dv0" not in silent.received
    finally:
        silent.stop()


def test_nothing_listening_is_offline_at_once() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    printer = Printer(f"tcp://127.0.0.1:{port}")
    started = time.monotonic()
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline, match="cannot be reached"):
        printer.print_receipt(example_receipt("en"))
    assert time.monotonic() - started < 0.5


def test_status_bytes_table() -> None:
    assert status_from_bytes(bytes((0x12, 0x12, 0x12))) is PrinterStatus.READY
    assert status_from_bytes(bytes((0x12, 0x12, 0x1E))) is PrinterStatus.NEAR_END
    assert status_from_bytes(bytes((0x1A, 0x32, 0x7E))) is PrinterStatus.PAPER_OUT
    assert status_from_bytes(bytes((0x1A, 0x16, 0x12))) is PrinterStatus.COVER_OPEN
    assert status_from_bytes(bytes((0x1A, 0x52, 0x12))) is PrinterStatus.OFFLINE  # error bit
    # Silence or noise is never "plenty of paper" (python-escpos' empty-reply answer).
    for reply in (b"", b"\x12", b"\x12\x12", b"\x00\x00\x00", b"\xff\x12\x12"):
        assert status_from_bytes(reply) is PrinterStatus.OFFLINE, reply


def test_file_printer_cannot_answer_so_it_is_ready_and_gets_the_whole_job(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    printer = Printer(f"file://{target}")
    assert printer.status() is PrinterStatus.READY
    receipt = example_receipt("ka")
    printer.print_receipt(receipt)
    (job,) = decode(target.read_bytes())
    assert job.cut and job.image is not None
    assert job.image.tobytes() == render(receipt).tobytes()


def test_connection_strings() -> None:
    assert Connection.parse("tcp://10.0.0.5:9100") == Connection("tcp", host="10.0.0.5", port=9100)
    usb = Connection.parse("usb://04b8:0e15")
    assert (usb.vendor_id, usb.product_id) == (0x04B8, 0x0E15)
    serial = Connection.parse("serial:///dev/ttyUSB0?baudrate=115200")
    assert (serial.path, serial.baudrate) == ("/dev/ttyUSB0", 115200)
    assert Connection.parse("file:///dev/usb/lp0").path == "/dev/usb/lp0"
    with pytest.raises(ValueError, match="scheme"):
        Connection.parse("lpt://1")


def test_profile_narrower_than_the_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="POS-5890.*narrower"):
        Printer("tcp://127.0.0.1:9100", profile="POS-5890", width_dots=576)
    with pytest.raises(ValueError, match="not a python-escpos profile"):
        Printer("tcp://127.0.0.1:9100", profile="NoSuchPrinter")


class FailingMidJob(SilentPrinter):
    """Answers the first status query 'ready', then hangs up or goes quiet during the job."""

    def __init__(self, hang_up: bool) -> None:
        self.hang_up = hang_up
        super().__init__()

    def _drain(self, client: socket.socket) -> None:
        try:
            while len(self.received) < len(STATUS_QUERY):
                self.received += client.recv(len(STATUS_QUERY) - len(self.received))
            client.sendall(bytes((0x12, 0x12, 0x12)))
            while data := client.recv(4096):
                self.received += data
                if self.hang_up and len(self.received) > 20_000:
                    client.close()  # power cut in the middle of the raster
                    return
        except OSError:
            pass


@pytest.mark.parametrize("hang_up", [True, False], ids=["hangs-up", "goes-quiet"])
def test_printer_failing_mid_job_raises_offline_quickly(hang_up: bool) -> None:
    failing = FailingMidJob(hang_up)
    try:
        printer = Printer(f"tcp://127.0.0.1:{failing.port}", after_job_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(PrinterOffline) as raised:
            printer.print_receipt(example_receipt("ru"))
        assert raised.value.during_job is True  # the journal must offer a reprint
        assert time.monotonic() - started < 2.5
        assert printer.last_status is PrinterStatus.OFFLINE
    finally:
        failing.stop()


def test_status_during_a_print_does_not_wait_for_the_job(sim: PrinterSim) -> None:
    printer = Printer(f"tcp://127.0.0.1:{sim.port}")
    sim.set_status("near-end")
    assert printer.status() is PrinterStatus.NEAR_END
    with printer._lock:  # as while a long job is being sent
        started = time.monotonic()
        assert printer.status(timeout_s=0.5) is PrinterStatus.NEAR_END
        assert time.monotonic() - started < 0.3

"""What reaches the printer: the bytes sent over TCP, decoded, are the rendered receipt."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pyzbar.pyzbar import decode as read_barcodes

from devices.escpos_decode import Cut, Initialize, Raster, StreamDecoder, decode
from devices.printer import Printer, PrinterError, PrinterOffline, PrinterStatus
from devices.printer_sim import PrinterSim, start_printer_sim
from devices.receipt import example_receipt, render


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PrinterSim]:
    printer_sim = start_printer_sim(tmp_path / "printed")
    yield printer_sim
    printer_sim.stop()


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


@pytest.mark.parametrize("language", ["ka", "en", "ru"])
def test_printed_raster_is_the_rendered_receipt_pixel_for_pixel(sim: PrinterSim, language: str) -> None:
    receipt = example_receipt(language)
    Printer(f"tcp://127.0.0.1:{sim.port}").print_receipt(receipt)
    (png,) = sim.wait_for_receipts(1)
    printed = Image.open(png)
    assert same_pixels(printed, render(receipt, 576))
    codes = read_barcodes(printed.convert("L"))
    assert [code.data.decode() for code in codes] == [receipt.tracking_url]


def test_58mm_printer_without_cutter(sim: PrinterSim) -> None:
    """POS-5890 has no cutter, so no GS V: the receipt ends with the connection."""
    receipt = example_receipt("ka", status="queued")
    printer = Printer(f"tcp://127.0.0.1:{sim.port}", profile="POS-5890", width_dots=384)
    assert b"\x1dV" not in printer.encode(render(receipt, 384))
    printer.print_receipt(receipt)
    (png,) = sim.wait_for_receipts(1)
    assert same_pixels(Image.open(png), render(receipt, 384))


def test_job_is_init_raster_pieces_and_cut() -> None:
    """A tall receipt is sent as several GS v 0 pieces; stacked they are the receipt."""
    receipt = example_receipt("ru")
    image = render(receipt, 576)
    payload = Printer("file:///dev/null").encode(image)
    events = StreamDecoder().feed(payload)
    assert isinstance(events[0], Initialize)
    rasters = [e for e in events if isinstance(e, Raster)]
    assert len(rasters) == -(-image.height // 960) >= 2
    assert all(r.image.width == 576 for r in rasters)  # full width: no ESC a centring needed
    assert isinstance(events[-1], Cut)
    (job,) = decode(payload)
    assert job.pieces == len(rasters) and same_pixels(job.image, image)


def test_decoder_copes_with_bytes_split_anywhere() -> None:
    payload = Printer("file:///dev/null").encode(render(example_receipt("en"), 384))
    decoder = StreamDecoder()
    events = []
    for start in range(0, len(payload), 997):  # odd chunk: headers get split too
        events += decoder.feed(payload[start:start + 997])
    assert decoder.pending == 0
    assert sum(isinstance(e, Raster) for e in events) == sum(
        isinstance(e, Raster) for e in StreamDecoder().feed(payload))


def test_stand_in_discards_what_it_is_sent_while_the_paper_is_out(sim: PrinterSim) -> None:
    payload = Printer("file:///dev/null").encode(render(example_receipt("en")))
    sim.set_status("paper-out")
    with socket.create_connection(("127.0.0.1", sim.port)) as raw:
        raw.sendall(payload + b"\x10\x04\x04")
        assert raw.recv(1) == b"\x7e"  # answered after the whole job was taken
    assert sim.receipts() == [] and sim.discarded == 1
    sim.set_status("ready")
    with socket.create_connection(("127.0.0.1", sim.port)) as raw:
        raw.sendall(payload + b"\x10\x04\x04")
        assert raw.recv(1) == b"\x12"
    assert len(sim.wait_for_receipts(1)) == 1


def test_paper_running_out_mid_receipt_is_reported(tmp_path: Path) -> None:
    with start_printer_sim(tmp_path, paper_dots=500) as sim:
        printer = Printer(f"tcp://127.0.0.1:{sim.port}")
        with pytest.raises(PrinterError) as raised:
            printer.print_receipt(example_receipt("ka"))
        assert raised.value.status is PrinterStatus.PAPER_OUT
        assert raised.value.during_job is True
        assert sim.receipts() == [] and sim.discarded == 1


def test_power_cycled_printer_prints_again_without_a_new_printer_object(tmp_path: Path) -> None:
    first = start_printer_sim(tmp_path / "before")
    port = first.port
    printer = Printer(f"tcp://127.0.0.1:{port}")
    receipt = example_receipt("en")
    printer.print_receipt(receipt)
    first.stop()  # switched off

    started = time.monotonic()
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterOffline):
        printer.print_receipt(receipt)
    assert time.monotonic() - started < 1.0

    second = start_printer_sim(tmp_path / "after", port=port)  # switched on again
    try:
        assert printer.status() is PrinterStatus.READY
        printer.print_receipt(receipt)
        (png,) = second.wait_for_receipts(1)
        assert same_pixels(Image.open(png), render(receipt))
    finally:
        second.stop()

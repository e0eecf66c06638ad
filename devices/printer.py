"""The receipt printer: ESC/POS over LAN, USB, serial or a device file.

Two promises shape this module. First, the kiosk asks the printer before it
promises a citizen a receipt, so `Printer.status()` is quick and honest: it
asks with real-time DLE EOT 1/2/4 (answered even by a printer that is
offline, unlike GS r) under a short deadline, and silence means `offline`
(python-escpos would wait 60 s and then claim "plenty of paper"). Second, a
print never hangs the visit: every step has a deadline and every failure is
a `PrinterError` subclass naming what a technician must fix.

The connection is opened per job and closed after it, so a printer that was
power-cycled, or re-plugged, works again on the next receipt without
restarting the kiosk.

File printers (``file:///dev/usb/lp0``) cannot answer a status request;
their status is reported as `ready` and a paper-out there is only seen on
the paper. Prefer tcp:// or usb:// for a kiosk.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from devices.escpos_import import importing_escpos
from kiosk.logs import event

with importing_escpos():  # escpos's cache folder removed after, not left in /tmp per start
    from escpos import printer as escpos_printers
    from escpos.exceptions import Error as EscposError

if TYPE_CHECKING:
    from PIL import Image

    from devices.receipt import Receipt
    from kiosk.config import Config

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
# Printer status (1), offline cause (2), paper sensor (4): one byte each.
STATUS_QUERY = DLE_EOT + b"\x01" + DLE_EOT + b"\x02" + DLE_EOT + b"\x04"
# Profiles measured to work at each paper width (see docs/receipts/README.md).
PROFILE_FOR_WIDTH = {576: "TM-T20II", 384: "POS-5890"}


class PrinterStatus(StrEnum):
    READY = "ready"
    NEAR_END = "near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"

    @property
    def can_print(self) -> bool:
        """Near end still prints: it is a job for the technician, not a reason to refuse."""
        return self in (PrinterStatus.READY, PrinterStatus.NEAR_END)


# Reply bytes to DLE EOT 1, 2, 4 (docs/shared research table); the stand-in answers with these.
STATUS_BYTES: dict[PrinterStatus, bytes] = {
    PrinterStatus.READY: bytes((0x12, 0x12, 0x12)),
    PrinterStatus.NEAR_END: bytes((0x12, 0x12, 0x1E)),
    PrinterStatus.PAPER_OUT: bytes((0x1A, 0x32, 0x7E)),
    PrinterStatus.COVER_OPEN: bytes((0x1A, 0x16, 0x12)),
}


def status_from_bytes(reply: bytes) -> PrinterStatus:
    """Map the three DLE EOT replies to a status; anything short or malformed is `offline`.

    Every real-time status byte has bits 1 and 4 set and bits 0 and 7 clear;
    a byte without that pattern is not a status answer (line noise, a
    non-printer device) and must not be read as "fine".
    """
    if len(reply) < 3 or any((b & 0x93) != 0x12 for b in reply[:3]):
        return PrinterStatus.OFFLINE
    printer, cause, paper = reply[0], reply[1], reply[2]
    if cause & 0x04:
        return PrinterStatus.COVER_OPEN
    if paper & 0x60 or cause & 0x20:
        return PrinterStatus.PAPER_OUT
    if printer & 0x08 or cause & 0x40:  # offline or in error for another reason
        return PrinterStatus.OFFLINE
    if paper & 0x0C:
        return PrinterStatus.NEAR_END
    return PrinterStatus.READY


class PrinterError(Exception):
    """The receipt was not printed (or not completely); ``status`` says why."""

    status = PrinterStatus.OFFLINE

    def __init__(self, message: str, *, during_job: bool = False) -> None:
        super().__init__(message)
        # True when bytes were already sent: part of the receipt may be on paper.
        self.during_job = during_job


class PaperOut(PrinterError):
    status = PrinterStatus.PAPER_OUT


class CoverOpen(PrinterError):
    status = PrinterStatus.COVER_OPEN


class PrinterOffline(PrinterError):
    status = PrinterStatus.OFFLINE


_ERROR_FOR = {
    PrinterStatus.PAPER_OUT: (PaperOut, "the printer is out of paper"),
    PrinterStatus.COVER_OPEN: (CoverOpen, "the printer's cover is open"),
    PrinterStatus.OFFLINE: (PrinterOffline, "the printer does not answer or reports an error"),
}


@dataclass(frozen=True)
class Connection:
    """A parsed ``printer.connection``: tcp://HOST:PORT, usb://VID:PID, serial:///DEV?baudrate=N, file:///PATH."""

    scheme: str
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    path: str = ""
    baudrate: int = 115200

    @classmethod
    def parse(cls, url: str) -> Connection:
        parsed = urlparse(url)
        if parsed.scheme == "tcp":
            if not parsed.hostname:
                raise ValueError(f"printer.connection {url!r} has no host")
            return cls("tcp", host=parsed.hostname, port=parsed.port or 9100)
        if parsed.scheme == "usb":
            vendor, _, product = parsed.netloc.partition(":")
            return cls("usb", vendor_id=int(vendor, 16), product_id=int(product, 16))
        if parsed.scheme == "serial":
            baud = parse_qs(parsed.query).get("baudrate", ["115200"])[0]
            return cls("serial", path=parsed.path, baudrate=int(baud))
        if parsed.scheme == "file":
            return cls("file", path=parsed.path)
        raise ValueError(f"printer.connection {url!r}: scheme must be tcp, usb, serial or file")


class _Link:
    """One opened python-escpos device, with status reads under a deadline."""

    def __init__(self, connection: Connection, profile: str, timeout_s: float) -> None:
        self.connection = connection
        self.device = self._make(connection, profile, timeout_s)
        self.device.open()  # raises DeviceNotFoundError now, not on the first write
        if connection.scheme == "tcp":
            # The status query after a large raster must not wait for Nagle.
            self.device.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @staticmethod
    def _make(c: Connection, profile: str, timeout_s: float) -> Any:
        if c.scheme == "tcp":
            return escpos_printers.Network(c.host, c.port, timeout=timeout_s, profile=profile)
        if c.scheme == "usb":
            return escpos_printers.Usb(c.vendor_id, c.product_id, timeout=int(timeout_s * 1000),
                                       profile=profile)
        if c.scheme == "serial":
            return escpos_printers.Serial(c.path, baudrate=c.baudrate, timeout=timeout_s,
                                          profile=profile)
        return escpos_printers.File(c.path, profile=profile)

    def write(self, data: bytes, stall_timeout_s: float) -> None:
        if self.connection.scheme == "tcp":
            self.device.device.settimeout(stall_timeout_s)  # per send(): a stalled printer
        self.device._raw(data)

    def query_status(self, timeout_s: float) -> PrinterStatus:
        if self.connection.scheme == "file":
            return PrinterStatus.READY  # a device file cannot answer; see the module docstring
        deadline = time.monotonic() + timeout_s
        self._drain()
        self.device._raw(STATUS_QUERY)
        reply = b""
        while len(reply) < 3:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            chunk = self._read(remaining)
            if chunk is None:  # connection closed by the printer
                break
            reply += chunk
        return status_from_bytes(reply)

    def _read(self, timeout_s: float) -> bytes | None:
        scheme = self.connection.scheme
        if scheme == "tcp":
            sock: socket.socket = self.device.device
            sock.settimeout(timeout_s)
            try:
                data = sock.recv(16)
            except TimeoutError:
                return b""
            return data or None
        if scheme == "usb":
            data = self.device.device.read(self.device.in_ep, 16, timeout=max(1, int(timeout_s * 1000)))
            return bytes(data)
        serial_port = self.device.device
        serial_port.timeout = timeout_s
        return bytes(serial_port.read(3))

    def _drain(self) -> None:
        """Drop bytes the printer sent unasked (automatic status back) before asking."""
        if self.connection.scheme != "tcp":
            return
        sock: socket.socket = self.device.device
        sock.setblocking(False)
        try:
            while sock.recv(64):
                pass
        except (BlockingIOError, OSError):
            pass
        finally:
            sock.setblocking(True)

    def close(self) -> None:
        try:
            self.device.close()
        except Exception:  # noqa: BLE001 - closing a dead device must not mask the real error
            log.debug("closing the printer connection failed", exc_info=True)


class Printer:
    """A receipt printer; thread-safe, one job at a time."""

    def __init__(self, connection: str, profile: str = "TM-T20II", width_dots: int = 576,
                 write_stall_timeout_s: float = 2.0, after_job_timeout_s: float = 1.5) -> None:
        self.connection = Connection.parse(connection)
        self.profile = profile
        self.width_dots = width_dots
        self.write_stall_timeout_s = write_stall_timeout_s
        self.after_job_timeout_s = after_job_timeout_s
        self.last_status: PrinterStatus | None = None
        self._lock = threading.Lock()
        self._check_profile()

    @classmethod
    def from_config(cls, config: Config) -> Printer:
        return cls(config.printer.connection, config.printer.profile, config.printer.width_dots)

    def _check_profile(self) -> None:
        from escpos.capabilities import get_profile

        try:
            media = get_profile(self.profile).profile_data.get("media", {})
        except Exception as exc:  # python-escpos raises its own NotSupported
            raise ValueError(f"printer.profile {self.profile!r} is not a python-escpos profile") from exc
        pixels = media.get("width", {}).get("pixels")
        if isinstance(pixels, int) and pixels < self.width_dots:
            raise ValueError(
                f"printer.profile {self.profile!r} is {pixels} dots wide, narrower than "
                f"printer.width_dots {self.width_dots}; use {PROFILE_FOR_WIDTH.get(self.width_dots)}"
            )

    def _open(self, timeout_s: float) -> _Link:
        try:
            return _Link(self.connection, self.profile, timeout_s)
        except (EscposError, OSError, RuntimeError) as exc:
            raise PrinterOffline(f"the printer cannot be reached: {exc}") from exc

    def status(self, timeout_s: float = 0.5) -> PrinterStatus:
        """The printer's state now, within about ``timeout_s``; silence is `offline`.

        While a job is printing the status of that job's start is returned
        rather than waiting for the job.
        """
        if not self._lock.acquire(timeout=min(timeout_s, 0.2)):
            return self.last_status or PrinterStatus.READY
        try:
            return self._status_locked(timeout_s)
        finally:
            self._lock.release()

    def _status_locked(self, timeout_s: float) -> PrinterStatus:
        start = time.monotonic()
        try:
            link = self._open(timeout_s)
        except PrinterOffline:
            return self._remember(PrinterStatus.OFFLINE)
        try:
            remaining = max(0.05, timeout_s - (time.monotonic() - start))
            return self._remember(link.query_status(remaining))
        except (EscposError, OSError) as exc:
            log.info("printer status query failed: %s", type(exc).__name__)
            return self._remember(PrinterStatus.OFFLINE)
        finally:
            link.close()

    def _remember(self, status: PrinterStatus) -> PrinterStatus:
        if status != self.last_status:
            previous = self.last_status.value if self.last_status else "unknown"
            event(log, "printer status", status=status.value, previous=previous)
        self.last_status = status
        return status

    def encode(self, image: Image.Image) -> bytes:
        """ESC @, the image as GS v 0 pieces at full width, feed and cut, from python-escpos."""
        job = escpos_printers.Dummy(profile=self.profile)
        job.hw("INIT")
        # bitImageRaster: GS ( L ("graphics") corrupts images taller than ~900 dots.
        job.image(image, impl="bitImageRaster")
        job.cut()
        return job.output

    def print_receipt(self, receipt: Receipt, status_timeout_s: float = 0.5) -> None:
        """Print ``receipt``; raises PaperOut, CoverOpen or PrinterOffline instead of hanging."""
        from devices.receipt import render

        self.print_image(render(receipt, self.width_dots), status_timeout_s)

    def print_image(self, image: Image.Image, status_timeout_s: float = 0.5) -> None:
        payload = self.encode(image)  # before touching the device: no half job on a bug here
        with self._lock:
            link = self._open(status_timeout_s)
            try:
                self._raise_for(link.query_status(status_timeout_s), during_job=False)
                link.write(payload, self.write_stall_timeout_s)
                # Asked after the cut: the printer answers once it has taken the whole job,
                # and a paper end reached mid-receipt shows up here.
                self._raise_for(link.query_status(self.after_job_timeout_s), during_job=True)
            except (EscposError, OSError) as exc:
                self._remember(PrinterStatus.OFFLINE)
                raise PrinterOffline(f"the printer connection failed: {exc}", during_job=True) from exc
            finally:
                link.close()
        event(log, "receipt printed", bytes=len(payload), height_dots=image.height)

    def _raise_for(self, status: PrinterStatus, during_job: bool) -> None:
        self._remember(status)
        if status.can_print:
            return
        error_class, message = _ERROR_FOR[status]
        if during_job:
            message += " (after the receipt was sent: it may be incomplete)"
        raise error_class(message, during_job=during_job)

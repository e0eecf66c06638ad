"""A stand-in for an ESC/POS LAN printer: for tests, the demo and bench work.

It listens on 127.0.0.1, answers real-time DLE EOT n at once with the
status bytes a real Epson-compatible printer sends (the same table
`devices.printer` reads), and turns what it receives into one PNG per
receipt (GS v 0 pieces stacked, up to the cut), so what the kiosk really
sent can be looked at and compared. While its paper is out or its cover is
open it discards what it is sent, as a real printer does not print then.

Its status can change while it runs: `set_status()` in process, or for the
command-line form a line on the control port (``status paper-out``) or
SIGUSR1 to step through the statuses, so the demo can show every path.
"silent" is a fifth status: connected but never answering, like a hung
printer or a wrong device at that address.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devices.escpos_decode import JobCollector, Raster, RealtimeStatus, StreamDecoder
from devices.printer import STATUS_BYTES, PrinterStatus

log = logging.getLogger(__name__)

SIM_STATUSES = ("ready", "near-end", "paper-out", "cover-open", "silent")
# DLE EOT 3 (error causes): no autocutter or unrecoverable error in any simulated state.
_EOT3_REPLY = 0x12


def normalise_status(status: str) -> str:
    """Accept both the CLI's ``paper-out`` and PrinterStatus' ``paper_out``."""
    name = status.strip().lower().replace("_", "-")
    if name not in SIM_STATUSES:
        raise ValueError(f"status must be one of {', '.join(SIM_STATUSES)}, not {status!r}")
    return name


def status_reply(status: str, n: int) -> bytes:
    """The byte a printer in ``status`` sends for DLE EOT ``n``; nothing when silent."""
    if status == "silent":
        return b""
    table = STATUS_BYTES[PrinterStatus(status.replace("-", "_"))]
    index = {1: 0, 2: 1, 4: 2}.get(n)
    return bytes((table[index],)) if index is not None else bytes((_EOT3_REPLY,))


@dataclass
class PrinterSim:
    """A running stand-in; make one with `start_printer_sim`."""

    out_dir: Path
    status: str = "ready"
    paper_width: int | None = None
    port: int = 0
    control_port: int | None = None
    discarded: int = 0
    bytes_received: int = 0
    # Paper left on the roll in dots (8 per mm), None for endless: lets a test run
    # out of paper in the middle of a receipt, as happens in a justice house.
    paper_left_dots: int | None = None
    _written: list[Path] = field(default_factory=list)
    _listeners: list[socket.socket] = field(default_factory=list)
    _clients: set[socket.socket] = field(default_factory=set)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _new_receipt: threading.Condition = field(init=False)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.status = normalise_status(self.status)
        self._new_receipt = threading.Condition(self._lock)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    # -- what tests and the CLI call -------------------------------------------------
    def set_status(self, status: str) -> None:
        self.status = normalise_status(status)
        log.info("printer stand-in status %s", self.status)

    def refill(self, paper_dots: int | None = None) -> None:
        """A new roll (``paper_dots`` long, None for endless); the printer is ready again."""
        self.paper_left_dots = paper_dots
        self.set_status("ready")

    def cycle_status(self) -> str:
        """Next status in SIM_STATUSES order (SIGUSR1 in the CLI form)."""
        self.set_status(SIM_STATUSES[(SIM_STATUSES.index(self.status) + 1) % len(SIM_STATUSES)])
        return self.status

    def receipts(self) -> list[Path]:
        """PNG files this stand-in wrote, oldest first."""
        with self._lock:
            return list(self._written)

    def wait_for_receipts(self, count: int, timeout_s: float = 5.0) -> list[Path]:
        """Block until ``count`` receipts are written (or the timeout); returns them."""
        deadline = time.monotonic() + timeout_s
        with self._new_receipt:
            while len(self._written) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._new_receipt.wait(remaining)
            return list(self._written)

    def stop(self) -> None:
        """Close every socket and wait for the threads: nothing is left listening."""
        self._stopping.set()
        with self._lock:
            sockets = list(self._listeners) + list(self._clients)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> PrinterSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------
    def _listen(self, port: int) -> socket.socket:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # So a test can "power-cycle" the printer on the same port at once.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(8)
        self._listeners.append(server)
        return server

    def _start(self, port: int, control_port: int | None) -> None:
        printer = self._listen(port)
        self.port = printer.getsockname()[1]
        self._spawn(self._accept_loop, printer, self._serve_printer)
        if control_port is not None:
            control = self._listen(control_port)
            self.control_port = control.getsockname()[1]
            self._spawn(self._accept_loop, control, self._serve_control)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="printer-sim")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self, server: socket.socket, handler: object) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return  # listener closed by stop()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._clients.add(client)
            self._spawn(handler, client)

    def _serve_printer(self, client: socket.socket) -> None:
        decoder = StreamDecoder()
        jobs = JobCollector(self.paper_width)
        spoiled = False  # a job that saw paper-out or cover-open prints nothing
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                self.bytes_received += len(data)
                for event in decoder.feed(data):
                    if isinstance(event, RealtimeStatus):
                        reply = status_reply(self.status, event.n)
                        if reply:
                            client.sendall(reply)
                        continue
                    spoiled = spoiled or self.status in ("paper-out", "cover-open")
                    if isinstance(event, Raster):
                        spoiled = self._use_paper(event.image.height) or spoiled
                    job = jobs.add(event)
                    if job is not None:
                        self._keep(job.image, spoiled)
                        spoiled = self.status in ("paper-out", "cover-open")
            # The connection ended: a printer without a cutter sends no GS V.
            last = jobs.finish()
            if last is not None:
                self._keep(last.image, spoiled)
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            client.close()

    def _use_paper(self, dots: int) -> bool:
        """Take ``dots`` of paper off the roll; True when the roll ran out on the way."""
        if self.paper_left_dots is None:
            return False
        self.paper_left_dots -= dots
        if self.paper_left_dots < 0:
            self.paper_left_dots = 0
            self.set_status("paper-out")
            return True
        return False

    def _keep(self, image: object, spoiled: bool) -> None:
        if image is None:
            return
        if spoiled:
            self.discarded += 1
            log.info("printer stand-in discarded a receipt (status %s)", self.status)
            return
        with self._new_receipt:
            path = self.out_dir / f"receipt-{time.strftime('%Y%m%d-%H%M%S')}-{len(self._written) + 1:04d}.png"
            image.save(path)  # type: ignore[attr-defined]
            self._written.append(path)
            self._new_receipt.notify_all()

    def _serve_control(self, client: socket.socket) -> None:
        """Line protocol: ``status [NAME]`` sets or reads the status, ``count`` the receipts."""
        try:
            with client.makefile("rwb", buffering=0) as stream:
                for raw in stream:
                    words = raw.decode("ascii", "replace").split()
                    stream.write(self._control(words).encode() + b"\n")
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            client.close()

    def _control(self, words: list[str]) -> str:
        if words[:1] == ["status"] and len(words) == 2:
            try:
                self.set_status(words[1])
            except ValueError as exc:
                return f"error {exc}"
            return f"ok {self.status}"
        if words == ["status"]:
            return f"ok {self.status}"
        if words == ["count"]:
            return f"ok {len(self.receipts())} printed {self.discarded} discarded"
        return "error commands: status [NAME] | count"


def start_printer_sim(out_dir: str | Path, status: str = "ready", port: int = 0, *,
                      control_port: int | None = None, paper_width: int | None = None,
                      paper_dots: int | None = None) -> PrinterSim:
    """Start the stand-in in background threads; ``port=0`` picks a free port (see ``.port``)."""
    sim = PrinterSim(Path(out_dir), status=status, paper_width=paper_width,
                     paper_left_dots=paper_dots)
    sim._start(port, control_port)
    return sim


def send_control(port: int, line: str, timeout_s: float = 2.0) -> str:
    """Send one control line to a running stand-in and return its answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(line.strip().encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(256)
            if not chunk:
                break
            answer += chunk
    return answer.decode().strip()

"""A virtual Georgian eID card that speaks vpcd's socket protocol to a real pcscd.

Tests and the demo need a card that goes through the same PC/SC stack as a
real one (pcscd, the reader driver, pyscard), so the card reader service and
the card classes are exercised for real. vsmartcard's vpcd driver makes a
virtual reader; the card is the TCP *client*: insertion = it connects,
removal = it closes the socket. Every message is a 2-byte big-endian length
and a payload; one-byte payloads are control codes (00 power off, 01 power
on, 02 reset - no reply; 04 get ATR - reply with the ATR), longer ones are
command APDUs answered with a response APDU.

Socket details that matter (research/pcsc-testing.md): the driver writes a
message's header and payload separately, so without TCP_QUICKACK before each
recv every APDU stalls ~44 ms on delayed ACKs; and a card retrying against a
port in the ephemeral range while pcscd is down can connect to itself, which
we detect and close with SO_LINGER 0 so no TIME_WAIT blocks vpcd's bind.

`Faults` make the card misbehave the way real cards and hands do. Test-only.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from devices.eid.profiles import profile_named
from devices.virtual_applet import VirtualApplet

log = logging.getLogger(__name__)

RECONNECT_INTERVAL_S = 0.1
POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04


@dataclass
class Faults:
    """Ways the card misbehaves. APDU numbers count from 1 per insertion."""

    remove_at_apdu: int | None = None  # the card is pulled when this APDU arrives
    mute_at_apdu: int | None = None  # from this APDU on, the card never answers
    status_at_apdu: dict[int, int] = field(default_factory=dict)  # APDU number -> SW to answer
    delay_s: float = 0.0  # every answer is this late
    bad_contacts: int = 0  # the first N activations (power-on/reset) give garbage answers
    atr: bytes | None = None  # answer this ATR instead of the profile's (an unknown card)

    @classmethod
    def parse(cls, specs: list[str]) -> Faults:
        """From the command line: remove-at=N, mute-at=N, sw-at=N:6F00, slow=SECONDS,
        bad-contacts=N, atr=HEX. A bad spec is a ValueError naming the spec and the form
        it should have, so a mistyped --fault stops the card instead of being ignored."""
        faults = cls()
        for spec in specs:
            key, equals, value = spec.partition("=")
            if not equals or not value:
                raise ValueError(f"fault {spec!r}: write it as NAME=VALUE ({FAULT_FORMS})")
            try:
                if key == "remove-at":
                    faults.remove_at_apdu = _apdu_number(value)
                elif key == "mute-at":
                    faults.mute_at_apdu = _apdu_number(value)
                elif key == "sw-at":
                    number, _, sw = value.partition(":")
                    if len(sw) != 4:
                        raise ValueError("the status word is 4 hex digits, as in sw-at=3:6F00")
                    faults.status_at_apdu[_apdu_number(number)] = int(sw, 16)
                elif key == "slow":
                    faults.delay_s = float(value)
                    if not 0 <= faults.delay_s <= 60:
                        raise ValueError("seconds from 0 to 60")
                elif key == "bad-contacts":
                    faults.bad_contacts = int(value)
                    if faults.bad_contacts < 0:
                        raise ValueError("a count of 0 or more")
                elif key == "atr":
                    faults.atr = bytes.fromhex(value.replace(" ", ""))
                    if not 2 <= len(faults.atr) <= 33:
                        raise ValueError("an ATR is 2 to 33 bytes")
                else:
                    raise ValueError(f"unknown fault {key!r} (known: {FAULT_FORMS})")
            except ValueError as exc:
                raise ValueError(f"fault {spec!r}: {exc}") from None
        return faults


FAULT_FORMS = "remove-at=N, mute-at=N, sw-at=N:6F00, slow=SECONDS, bad-contacts=N, atr=HEX"


def _apdu_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} is not an APDU number (1, 2, 3, ... counted per insertion)")
    return int(text)


class VirtualCard:
    """One virtual card that can be inserted into and removed from a vpcd reader.

    The applet (PIN counter included) lives as long as this object, as a
    physical card's does: a PIN blocked stays blocked across insertions.
    """

    def __init__(
        self, applet: VirtualApplet, port: int, host: str = "127.0.0.1", faults: Faults | None = None
    ) -> None:
        self.applet = applet
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.apdu_count = 0
        self.activations = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._removed = threading.Event()
        self._removed.set()
        self.connected = threading.Event()
        self._lock = threading.Lock()

    @classmethod
    def from_pki(
        cls,
        pki_dir: str | Path,
        citizen: str,
        pin: str,
        port: int,
        *,
        profile: str = "virtual",
        host: str = "127.0.0.1",
        faults: Faults | None = None,
    ) -> VirtualCard:
        """A card for a test-PKI citizen (``kiosk test-pki`` made the files)."""
        directory = Path(pki_dir)
        cert_pem = (directory / f"{citizen}.pem").read_bytes()
        from cryptography import x509

        cert_der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
        key = serialization.load_pem_private_key((directory / f"{citizen}.key").read_bytes(), None)
        applet = VirtualApplet(profile_named(profile), cert_der, key, pin)  # type: ignore[arg-type]
        return cls(applet, port, host, faults)

    @property
    def atr(self) -> bytes:
        return self.faults.atr or self.applet.profile.atr

    @property
    def inserted(self) -> bool:
        return not self._removed.is_set()

    def insert(self) -> None:
        """Put the card in: connect to vpcd (retrying while pcscd is down)."""
        if self.inserted:
            return
        self._removed.clear()
        self.apdu_count = 0
        self._thread = threading.Thread(target=self._run, name="virtual-card", daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Pull the card out: close the socket; pcscd notices on its next poll."""
        self._removed.set()
        self._close_socket()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self.connected.wait(timeout)

    # -- the connection ---------------------------------------------------------------
    def _run(self) -> None:
        while not self._removed.is_set():
            sock = self._connect()
            if sock is None:
                continue
            try:
                self._serve(sock)
            except OSError:
                pass  # pcscd went away or we were removed: reconnect unless removed
            finally:
                self.connected.clear()
                self._close_socket()

    def _connect(self) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.connect((self.host, self.port))
            # A pcscd being killed may accept and drop at once: getpeername then fails too.
            to_itself = sock.getsockname() == sock.getpeername()
        except OSError:
            sock.close()
            self._removed.wait(RECONNECT_INTERVAL_S)
            return None
        if to_itself:
            # Connected to ourselves (TCP simultaneous open on a free port): leave no
            # TIME_WAIT behind, or vpcd cannot bind this port when pcscd comes back.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            self._removed.wait(RECONNECT_INTERVAL_S)
            return None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._removed.is_set():
                sock.close()
                return None
            self._sock = sock
        self.connected.set()
        return sock

    def _close_socket(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _serve(self, sock: socket.socket) -> None:
        muted = False
        while not self._removed.is_set():
            message = _receive(sock)
            if message is None:
                return
            if len(message) == 1:
                self._control(sock, message[0])
                continue
            self.apdu_count += 1
            number = self.apdu_count
            faults = self.faults
            if faults.remove_at_apdu is not None and number >= faults.remove_at_apdu:
                self._removed.set()
                return
            if muted or (faults.mute_at_apdu is not None and number >= faults.mute_at_apdu):
                muted = True
                continue
            if faults.delay_s:
                time.sleep(faults.delay_s)
            if self.activations <= faults.bad_contacts:
                # A badly seated card: a stray byte, not an APDU. (An empty answer
                # would hang vpcd, which waits for a payload that never comes.)
                answer = b"\x00"
            elif number in faults.status_at_apdu:
                answer = faults.status_at_apdu[number].to_bytes(2, "big")
            else:
                answer = self.applet.process(message)
            _send(sock, answer)

    def _control(self, sock: socket.socket, code: int) -> None:
        if code in (POWER_ON, RESET):
            self.activations += 1
            self.applet.power_on()
        elif code == POWER_OFF:
            self.applet.power_on()  # power off forgets the security state just the same
        elif code == GET_ATR:
            _send(sock, self.atr)


def _receive(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    return _receive_exactly(sock, int.from_bytes(header, "big"))


def _receive_exactly(sock: socket.socket, count: int) -> bytes | None:
    data = bytearray()
    while len(data) < count:
        # Quick ACK is reset by the kernel after each ACK: set it before every recv.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)

"""ISO 7816-4 command and response APDUs, and the one place that completes a response.

Card classes speak in commands ("SELECT this AID", "READ BINARY at offset");
the byte-level details of a short APDU and the two ways a card asks the
reader to come back for the rest of an answer (``61xx``: "GET RESPONSE for
xx more bytes", ``6Cxx``: "wrong Le, send it again with Le=xx") are handled
here once, in `transmit_complete`, which the card reader's transmit calls.
So no card class repeats the loop and no loop is forgotten in one of them.

Commands are built in a ``bytearray`` so that a command that carries a PIN
can be wiped by its caller after sending; nothing here logs APDU bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Status words the card classes and the virtual card name.
SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than Le: the file ends here
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_PIN_BLOCKED = 0x6983
SW_PIN_BLOCKED_ALT = 0x6984  # "reference data not usable": some cards say blocked this way
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_REFERENCE_NOT_FOUND = 0x6A88
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_UNKNOWN = 0x6F00

# Response chaining (61xx) is bounded: a card that keeps saying "more" forever
# must not hang the kiosk.
MAX_GET_RESPONSE_ROUNDS = 32


@dataclass(frozen=True)
class Response:
    """A response APDU: the data and the two status bytes."""

    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    @classmethod
    def parse(cls, raw: bytes | bytearray | list[int]) -> Response:
        raw = bytes(raw)
        if len(raw) < 2:
            raise MalformedResponse(f"response of {len(raw)} bytes has no status word")
        return cls(raw[:-2], raw[-2], raw[-1])

    def __repr__(self) -> str:
        # Only the length of the data: it may be a certificate (personal data).
        return f"Response(sw={self.sw:04X}, {len(self.data)} data bytes)"


class MalformedResponse(Exception):
    """The card's answer is not an APDU (shorter than a status word)."""


def command(
    cla: int, ins: int, p1: int, p2: int, data: bytes | bytearray = b"", *, le: int | None = None
) -> bytearray:
    """A short command APDU (cases 1-4). ``le=0`` asks for up to 256 bytes."""
    if len(data) > 255:
        raise ValueError("short APDUs carry at most 255 data bytes")
    apdu = bytearray((cla, ins, p1, p2))
    if data:
        apdu.append(len(data))
        apdu += data
    if le is not None:
        if not 0 <= le <= 256:
            raise ValueError("Le must be 0..256")
        apdu.append(le & 0xFF)
    return apdu


def wipe(buffer: bytearray) -> None:
    """Overwrite a buffer in place (a PIN or a command carrying one)."""
    for i in range(len(buffer)):
        buffer[i] = 0


def transmit_complete(
    raw_transmit: Callable[[bytes | bytearray], bytes], apdu: bytes | bytearray
) -> Response:
    """Send ``apdu`` and follow the card's 61xx / 6Cxx requests to a complete answer.

    ``raw_transmit`` sends one APDU and returns the card's raw answer. 61xx
    means the card holds xx more bytes (00 = 256): ask with GET RESPONSE and
    join the pieces. 6Cxx means the Le was wrong: send the same command again
    with Le = xx (once; a card that asks twice is broken).
    """
    response = Response.parse(raw_transmit(apdu))
    if response.sw1 == 0x6C and len(apdu) >= 4:
        # Sized once, never appended to: the command may carry a PIN, and a grown
        # bytearray can leave a freed copy behind.
        has_le = _has_le(apdu)
        retry = bytearray(len(apdu) + (0 if has_le else 1))
        retry[: len(apdu)] = apdu
        retry[-1] = response.sw2
        response = Response.parse(raw_transmit(retry))
        wipe(retry)
    collected = bytearray(response.data)
    rounds = 0
    while response.sw1 == 0x61:
        rounds += 1
        if rounds > MAX_GET_RESPONSE_ROUNDS:
            raise MalformedResponse("card kept asking for GET RESPONSE")
        cla = apdu[0] & 0x80  # GET RESPONSE keeps the proprietary bit of the class byte
        response = Response.parse(raw_transmit(command(cla, 0xC0, 0x00, 0x00, le=response.sw2)))
        collected += response.data
    return Response(bytes(collected), response.sw1, response.sw2)


def _has_le(apdu: bytes | bytearray) -> bool:
    """Whether a short APDU ends with an Le byte (cases 2 and 4)."""
    if len(apdu) == 4:
        return False
    if len(apdu) == 5:
        return True
    lc = apdu[4]
    return len(apdu) == 5 + lc + 1


def der_total_length(head: bytes) -> int | None:
    """The full length of a DER object from its first bytes, or None if unknown yet.

    Used to read a certificate file in chunks without trusting the file size:
    the certificate says how long it is.
    """
    if len(head) < 2:
        return None
    first = head[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(head) < 2 + count:
        return None
    return 2 + count + int.from_bytes(head[2 : 2 + count], "big")

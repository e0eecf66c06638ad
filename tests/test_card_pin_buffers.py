"""Where the PIN's bytes go on their way to the card, and that each copy is overwritten.

A bytearray grown with ``+=`` or ``append`` may be moved by realloc; the block
it leaves behind is freed with the digits still in it, out of reach of any
wipe. So every buffer that holds a PIN is allocated at its final size and
filled in place, and the list of ints pyscard's SCardTransmit takes is
overwritten after the call. No PC/SC here: fakes record the very objects.
"""

from __future__ import annotations

import dataclasses

import pytest

import devices.apdu as apdu_module
import devices.card_session as card_session_module
import devices.eid.iso_pki as iso_pki
from devices.apdu import Response, transmit_complete
from devices.card_session import CardSession
from devices.eid.card import PinStatus
from devices.eid.georgia_2011 import Georgia2011Card
from devices.eid.profiles import profile_named


class GrowthWatchingBytearray(bytearray):
    """A bytearray that remembers every instance and whether it was ever grown."""

    made: list[GrowthWatchingBytearray] = []

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.grown = False
        GrowthWatchingBytearray.made.append(self)

    def __iadd__(self, other):  # type: ignore[no-untyped-def]
        self.grown = True
        return super().__iadd__(other)

    def append(self, item: int) -> None:
        self.grown = True
        super().append(item)

    def extend(self, items) -> None:  # type: ignore[no-untyped-def]
        self.grown = True
        super().extend(items)


@pytest.fixture
def watched_bytearrays(monkeypatch):  # type: ignore[no-untyped-def]
    GrowthWatchingBytearray.made = []
    # Module globals shadow the builtin: the code under test builds watched buffers.
    monkeypatch.setattr(iso_pki, "bytearray", GrowthWatchingBytearray, raising=False)
    monkeypatch.setattr(apdu_module, "bytearray", GrowthWatchingBytearray, raising=False)
    return GrowthWatchingBytearray.made


class RecordingTransport:
    """Answers 90 00 to everything and keeps the command objects it was handed."""

    def __init__(self, answers: dict[int, bytes] | None = None) -> None:
        self.sent: list[tuple[object, bytes]] = []
        self.answers = answers or {}

    def transmit(self, apdu: bytes | bytearray) -> Response:
        self.sent.append((apdu, bytes(apdu)))
        return Response.parse(self.answers.get(apdu[1], b"\x90\x00"))


def test_verify_command_is_built_in_one_allocation_and_wiped(watched_bytearrays):
    profile = profile_named("geo-2011")  # 12-byte padding: the case the audit saw leak
    transport = RecordingTransport()
    card = Georgia2011Card(profile.atr, profile, transport)
    pin = bytearray(b"7391")
    assert card.verify_pin(pin).status is PinStatus.OK
    verify = [(obj, seen) for obj, seen in transport.sent if seen[1] == 0x20]
    assert len(verify) == 1
    sent, as_sent = verify[0]
    assert as_sent == bytes.fromhex("00200001 0C") + b"7391" + b"\xff" * 8
    assert isinstance(sent, GrowthWatchingBytearray), "the VERIFY buffer is the card's own"
    assert not sent.grown, "the VERIFY command was grown after allocation (realloc may copy)"
    assert sent == bytearray(len(sent)), "the VERIFY command is wiped after the exchange"
    assert pin == bytearray(4)


def test_pin_longer_than_the_padding_is_refused_without_growing_anything(watched_bytearrays):
    # A profile whose PIN length allows more digits than its padded field holds.
    profile = dataclasses.replace(profile_named("virtual"), pin_max_length=12)
    transport = RecordingTransport()
    card = Georgia2011Card(profile.atr, profile, transport)
    pin = bytearray(b"123456789")  # longer than the 8-byte padded field
    assert card.verify_pin(pin).reason == "pin_format"
    assert not [seen for _, seen in transport.sent if seen[1] == 0x20]
    assert pin == bytearray(9)
    assert not [b for b in watched_bytearrays if b"123456789" in b or b.grown and any(b)]


def test_6cxx_retry_of_a_pin_command_is_not_grown_and_is_wiped(watched_bytearrays):
    sent: list[tuple[object, bytes]] = []

    def raw_transmit(command: bytes | bytearray) -> bytes:
        sent.append((command, bytes(command)))
        return b"\x6c\x10" if len(sent) == 1 else b"\x90\x00"

    command = bytearray(bytes.fromhex("00200001 08") + b"2468" + b"\xff" * 4)
    transmit_complete(raw_transmit, command)
    retry, as_sent = sent[1]
    assert as_sent == bytes(command) + b"\x10"  # no Le before: the card's length is added
    assert isinstance(retry, GrowthWatchingBytearray) and not retry.grown
    assert retry == bytearray(len(retry))


def test_list_handed_to_pyscard_is_overwritten_after_transmit(monkeypatch):
    handed: list[tuple[list[int], list[int]]] = []

    def fake_transmit(handle: int, pci: object, command: list[int]) -> tuple[int, list[int]]:
        handed.append((command, list(command)))
        return card_session_module.scard.SCARD_S_SUCCESS, [0x90, 0x00]

    monkeypatch.setattr(card_session_module.scard, "SCardTransmit", fake_transmit)
    session = CardSession("reader", context=1, handle=2,
                          protocol=card_session_module.scard.SCARD_PROTOCOL_T1, event_counter=0)
    command = bytearray(bytes.fromhex("00200001 08") + b"1357" + b"\xff" * 4)
    assert session.transmit(command).sw == 0x9000
    given, as_given = handed[0]
    assert as_given == list(command)
    # The very list pyscard got, still its full length, now all zeros.
    assert given == [0] * len(command)
    session._closed = True  # nothing real to release

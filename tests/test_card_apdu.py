"""APDU building and response completion (61xx GET RESPONSE, 6Cxx Le correction), no PC/SC."""

from __future__ import annotations

import pytest

from devices.apdu import MalformedResponse, command, der_total_length, transmit_complete


class ScriptedCard:
    """Answers from a script and records what it was sent."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def __call__(self, apdu) -> bytes:
        self.sent.append(bytes(apdu))
        return self.answers.pop(0)


def test_command_cases():
    assert command(0, 0xA4, 4, 0x0C, b"\xa0\x01") == bytes.fromhex("00A4040C02A001")
    assert command(0, 0xB0, 0, 0x10, le=0xC0) == bytes.fromhex("00B00010C0")
    assert command(0, 0x88, 0, 0, b"\x01", le=0) == bytes.fromhex("008800000101" "00")
    with pytest.raises(ValueError):
        command(0, 0, 0, 0, bytes(256))


def test_61xx_is_followed_with_get_response_and_joined():
    card = ScriptedCard([b"AB\x61\x02", b"CD\x61\x01", b"E\x90\x00"])
    response = transmit_complete(card, command(0x80, 0x88, 0, 0, b"\x01", le=0))
    assert response.data == b"ABCDE" and response.ok
    assert card.sent[1] == bytes.fromhex("80C0000002")  # class keeps its proprietary bit
    assert card.sent[2] == bytes.fromhex("80C0000001")


def test_6cxx_resends_with_the_card_s_length():
    card = ScriptedCard([b"\x6c\x10", b"x" * 16 + b"\x90\x00"])
    response = transmit_complete(card, command(0, 0xB0, 0, 0, le=0xC8))
    assert response.data == b"x" * 16
    assert card.sent[1] == bytes.fromhex("00B0000010")


def test_endless_61xx_and_short_answers_are_errors():
    with pytest.raises(MalformedResponse):
        transmit_complete(lambda apdu: b"\x61\x01", command(0, 0xB0, 0, 0, le=1))
    with pytest.raises(MalformedResponse):
        transmit_complete(lambda apdu: b"", command(0, 0xB0, 0, 0, le=1))


def test_der_length_from_header():
    assert der_total_length(bytes.fromhex("3082 04d2")) == 4 + 0x4D2
    assert der_total_length(bytes.fromhex("3010")) == 0x12
    assert der_total_length(b"\x30") is None

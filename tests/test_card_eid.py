"""The eID card protocol through real PC/SC: certificate, PIN tries, VERIFY, signing.

Each card generation's profile is played by the virtual card, so the family
classes meet the quirks their profile records (the new card's SELECT MF).
"""

from __future__ import annotations

import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from devices.eid import CardStatusError, PinStatus
from devices.eid.georgia_2011 import Georgia2011Card
from devices.eid.georgia_v1 import GeorgiaV1Card
from devices.eid.virtual import VirtualTestCard

pytestmark = pytest.mark.pcsc


def ready_card(reader_service, make_card, **card_options):
    service, seen = reader_service()
    card = make_card(**card_options)
    card.insert()
    return seen.wait_for("ready").card, card


@pytest.mark.parametrize(
    ("profile", "family_class"),
    [("virtual", VirtualTestCard), ("geo-2011", Georgia2011Card), ("geo-new", GeorgiaV1Card)],
)
def test_each_generation_reads_certificate_and_signs(reader_service, make_card, test_pki,
                                                     profile, family_class):
    eid, _ = ready_card(reader_service, make_card, profile=profile)
    assert type(eid) is family_class
    der = eid.read_auth_certificate()
    expected = test_pki.citizen("citizen").certificate()
    assert der == expected.public_bytes(serialization.Encoding.DER)
    assert eid.pin_tries_left() == 3
    assert eid.verify_pin(bytearray(b"1234")).status is PinStatus.OK
    challenge = b"portal challenge \x00\x01"
    signature = eid.sign(challenge)
    x509.load_der_x509_certificate(der).public_key().verify(
        signature, challenge, PKCS1v15(), hashes.SHA256()
    )


def test_new_generation_really_needs_select_mf_first(reader_service, make_card):
    """The 2011 flow on a new card fails: the quirk lives in GeorgiaV1Card, not by luck."""
    eid, _ = ready_card(reader_service, make_card, profile="geo-new")
    generic = Georgia2011Card(eid.atr, eid.profile, eid._transport)
    eid._transport.warm_reset()  # forget the MF selection activation made
    with pytest.raises(CardStatusError) as error:
        generic.activate()
    assert error.value.sw == 0x6A82
    assert eid.get_data(0x9F, 0x7F) == b"\x01\x02\x03\x04"  # CLA 80 accepted


def test_wrong_pin_counts_down_to_blocked_and_asking_costs_nothing(reader_service, make_card):
    eid, virtual = ready_card(reader_service, make_card)
    assert eid.pin_tries_left() == 3
    assert eid.pin_tries_left() == 3  # VERIFY without data spends no try
    assert virtual.applet.tries_left == 3
    for left in (2, 1):
        result = eid.verify_pin(bytearray(b"9999"))
        assert (result.status, result.tries_left) == (PinStatus.WRONG, left)
        assert eid.pin_tries_left() == left
    result = eid.verify_pin(bytearray(b"9999"))
    assert result.status is PinStatus.BLOCKED and result.tries_left == 0
    assert eid.pin_tries_left() == 0
    # Blocked is blocked: even the right PIN is refused, and signing is impossible.
    assert eid.verify_pin(bytearray(b"1234")).status is PinStatus.BLOCKED
    with pytest.raises(CardStatusError):
        eid.sign(b"x")


def test_right_pin_after_a_wrong_one_restores_the_counter(reader_service, make_card):
    eid, _ = ready_card(reader_service, make_card)
    assert eid.verify_pin(bytearray(b"0000")).tries_left == 2
    assert eid.verify_pin(bytearray(b"1234")).ok
    assert eid.pin_tries_left() == 3


def test_pin_buffer_is_wiped_and_never_logged_or_raised(reader_service, make_card, caplog):
    caplog.set_level(logging.DEBUG)
    eid, _ = ready_card(reader_service, make_card, pin="8642")
    for attempt in (b"8641", b"86", b"8642"):
        pin = bytearray(attempt)
        eid.verify_pin(pin)
        assert pin == bytearray(len(attempt)), "the PIN buffer must be zeroed"
    bad = bytearray(b"12a4")
    assert eid.verify_pin(bad).status is PinStatus.ERROR and bad == bytearray(4)
    text = caplog.text
    for secret in ("8642", "8641", "38 36 34 32", "38363432"):
        assert secret not in text

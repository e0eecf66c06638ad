"""A verified PIN never outlives its visit or its process, on the real PC/SC stack.

The card keeps its security state while it stays powered, and the reader
service leaves cards powered on purpose (a power-off to a card just pulled
wedges vpcd). So both ways a verified PIN could reach the next person are
closed by a warm reset, and these tests check the card itself: signing after
the reset is refused with 6982, security status not satisfied.
"""

from __future__ import annotations

import pytest

from devices.apdu import SW_SECURITY_NOT_SATISFIED
from devices.eid import CardStatusError

pytestmark = pytest.mark.pcsc


def test_forget_pin_leaves_the_card_unverified(reader_service, make_card):
    service, seen = reader_service()
    card = make_card()
    card.insert()
    eid = seen.wait_for("ready").card
    assert eid.verify_pin(bytearray(b"1234")).ok
    assert eid.sign(b"still this citizen's visit")  # verified: the card signs
    service.forget_pin()
    with pytest.raises(CardStatusError) as refused:
        eid.sign(b"the next person's request")
    assert refused.value.sw == SW_SECURITY_NOT_SATISFIED
    assert seen.statuses[-1] == "ready"  # the card stays usable for a new PIN
    assert eid.verify_pin(bytearray(b"1234")).ok


def test_restarted_kiosk_resets_a_card_left_verified(reader_service, make_card, pcsc):
    first, seen = reader_service()
    card = make_card()
    card.insert()
    eid = seen.wait_for("ready").card
    assert eid.verify_pin(bytearray(b"1234")).ok
    first.stop()  # the kiosk process ends with the card still in, powered and verified
    assert card.inserted and card.applet._verified
    _, seen_again = reader_service()  # the kiosk comes back and looks at the reader
    again = seen_again.wait_for("ready")
    with pytest.raises(CardStatusError) as refused:
        again.card.sign(b"signed without a PIN?")
    assert refused.value.sw == SW_SECURITY_NOT_SATISFIED

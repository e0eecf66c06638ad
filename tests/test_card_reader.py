"""The card reader service against a real pcscd, the vpcd driver and the virtual card."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.pcsc


def test_card_inserted_becomes_ready_and_removed_becomes_no_card(reader_service, make_card):
    service, seen = reader_service()
    seen.wait_for("no_card")
    card = make_card()
    card.insert()
    ready = seen.wait_for("ready")
    assert ready.card is not None and ready.card.profile.name == "virtual"
    assert ready.card_session_id
    card.remove()
    seen.wait_for("no_card", after=seen.statuses.index("ready"))

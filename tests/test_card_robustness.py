"""The card reader service under what kiosks meet: pulled cards, readers, pcscd crashes,
badly seated and unknown cards. Real pcscd + vpcd + the virtual card, no mocks.
"""

from __future__ import annotations

import errno
import logging
import socket

import pytest
from cryptography.hazmat.primitives import serialization

from devices.eid import CardRemovedError
from devices.virtual_card import Faults, VirtualCard

pytestmark = pytest.mark.pcsc

UNKNOWN_ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")


def no_reader_thread_errors(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_card_already_in_at_start_is_found(reader_service, make_card, pcsc):
    card = make_card()
    card.insert()
    assert pcsc.wait_slot_empty(present=True)
    _, seen = reader_service()
    ready = seen.wait_for("ready")
    assert seen.statuses[0] in ("ready", "no_reader")  # never a false "no_card" first
    assert ready.card.pin_tries_left() == 3


def test_status_changes_are_reported_once_each(reader_service, make_card):
    _, seen = reader_service()
    card = make_card()
    for _ in range(2):
        seen.wait_for("no_card", after=len(seen.states) - 1)
        card.insert()
        seen.wait_for("ready", after=len(seen.states) - 1)
        card.remove()
    seen.wait_for("no_card", after=len(seen.states) - 1)
    assert seen.statuses == ["no_card", "ready", "no_card", "ready", "no_card"]
    assert seen.threads == {"card-reader"}


@pytest.mark.parametrize("step", ["certificate", "tries", "verify", "sign"])
def test_card_pulled_at_each_step(reader_service, make_card, caplog, step):
    _, seen = reader_service()
    card = make_card()
    card.insert()
    eid = seen.wait_for("ready").card
    operations = {
        "certificate": eid.read_auth_certificate,
        "tries": eid.pin_tries_left,
        "verify": lambda: eid.verify_pin(bytearray(b"1234")),
        "sign": lambda: eid.sign(b"challenge"),
    }
    if step == "sign":
        assert eid.verify_pin(bytearray(b"1234")).ok
    card.faults.remove_at_apdu = card.apdu_count + 2  # mid-step, not before it
    with pytest.raises(CardRemovedError):
        operations[step]()
    seen.wait_for("no_card", after=seen.statuses.index("ready"))
    with pytest.raises(CardRemovedError):
        eid.pin_tries_left()  # the old card object never reaches a later card
    no_reader_thread_errors(caplog)


def test_mute_card_pulled_out_ends_as_removed(reader_service, make_card):
    _, seen = reader_service()
    card = make_card()
    card.insert()
    eid = seen.wait_for("ready").card
    card.faults.mute_at_apdu = card.apdu_count + 1
    import threading

    threading.Timer(0.5, card.remove).start()
    with pytest.raises(CardRemovedError):
        eid.pin_tries_left()
    seen.wait_for("no_card", after=seen.statuses.index("ready"))


def test_reader_unplugged_and_plugged_back(reader_service, make_card, pcsc):
    _, seen = reader_service()
    seen.wait_for("no_card")
    pcsc.restart(with_reader=False)  # pcscd comes back without the reader
    seen.wait_for("no_reader")
    mark = len(seen.states)
    pcsc.restart(with_reader=True)
    seen.wait_for("no_card", after=mark)
    card = make_card()
    card.insert()
    seen.wait_for("ready", after=mark)


def test_pcscd_killed_mid_visit_recovers_by_itself(reader_service, make_card, pcsc, caplog):
    service, seen = reader_service()
    card = make_card()
    card.insert()
    first = seen.wait_for("ready")
    pcsc.stop(kill=True)
    seen.wait_for("no_reader")
    with pytest.raises(CardRemovedError):
        first.card.pin_tries_left()
    mark = len(seen.states)
    pcsc.start()  # the virtual card reconnects to vpcd on its own
    again = seen.wait_for("ready", after=mark, timeout=5)
    assert again.card_session_id != first.card_session_id
    assert again.card.pin_tries_left() == 3
    assert service._thread.is_alive()
    no_reader_thread_errors(caplog)


def test_fast_swap_to_second_citizen_never_mixes(reader_service, make_card, test_pki):
    _, seen = reader_service()
    first_card = make_card("citizen")
    first_card.insert()
    first = seen.wait_for("ready")
    assert first.card.verify_pin(bytearray(b"1234")).ok
    mark = len(seen.states)
    first_card.remove()
    second_card = make_card("second", pin="4321")
    second_card.insert()  # at once: no pause for the reader to notice
    second = seen.wait_for("ready", after=mark)
    assert second.card_session_id != first.card_session_id
    der = second.card.read_auth_certificate()
    expected = test_pki.citizen("second").certificate().public_bytes(serialization.Encoding.DER)
    assert der == expected
    # The first citizen's verified PIN does not carry over to anything.
    with pytest.raises(CardRemovedError):
        first.card.sign(b"x")
    assert second.card.pin_tries_left() == 3


def test_badly_seated_card_is_warm_reset_until_it_answers(reader_service, make_card):
    _, seen = reader_service()
    card = make_card(faults=Faults(bad_contacts=2))
    card.insert()
    ready = seen.wait_for("ready")
    assert card.activations == 3  # power-on + two warm resets
    assert "card_error" not in seen.statuses
    assert ready.card.pin_tries_left() == 3


def test_card_that_never_answers_is_card_error(reader_service, make_card):
    _, seen = reader_service(warm_resets=2)
    card = make_card(faults=Faults(bad_contacts=100))
    card.insert()
    state = seen.wait_for("card_error", timeout=6)
    assert "warm resets" in state.detail and state.card is None


def test_unknown_atr_is_unknown_card(reader_service, make_card):
    _, seen = reader_service()
    card = make_card(faults=Faults(atr=UNKNOWN_ATR))
    card.insert()
    state = seen.wait_for("unknown_card")
    assert state.atr == UNKNOWN_ATR and state.card is None and state.card_session_id


def test_virtual_card_refused_unless_configured(reader_service, make_card):
    _, seen = reader_service(allow_test_cards=False)
    card = make_card()
    card.insert()
    state = seen.wait_for("unknown_card")
    assert "tests only" in state.detail


def test_reader_name_filter_waits_for_the_named_reader(reader_service):
    _, seen = reader_service(reader_name="ACS ACR39U")
    seen.wait_for("no_reader")


def test_unexpected_status_word_is_a_card_error_not_a_crash(reader_service, make_card):
    from devices.eid import CardStatusError
    from kiosk.login import CardLogin, LoginError

    _, seen = reader_service()
    card = make_card()
    card.insert()
    eid = seen.wait_for("ready").card
    card.faults.status_at_apdu[card.apdu_count + 2] = 0x6F00  # the VERIFY-for-tries
    with pytest.raises(CardStatusError) as error:
        eid.pin_tries_left()
    assert error.value.sw == 0x6F00
    card.faults.status_at_apdu[card.apdu_count + 1] = 0x6A82  # the application SELECT
    assert CardLogin(None)(eid, bytearray(b"1234"), None) == LoginError("card_error")


def test_slow_card_still_works(reader_service, make_card):
    _, seen = reader_service()
    card = make_card(faults=Faults(delay_s=0.05))
    card.insert()
    eid = seen.wait_for("ready").card
    assert eid.verify_pin(bytearray(b"1234")).ok
    assert len(eid.sign(b"slow")) == 256


def test_virtual_reader_is_detected(pcsc):
    from devices.pcsc_stack import detect_virtual_reader

    assert pcsc.reader_name in detect_virtual_reader()
    assert detect_virtual_reader(["ACS ACR39U ICC Reader 00 00"]) == []


def test_the_virtual_card_tries_again_when_its_connection_drops_as_it_is_made(monkeypatch):
    """A pcscd being killed or restarted may accept vpcd's connection and drop it at once.

    The card then could not even ask whom it was connected to (ENOTCONN); that
    ended its thread, and the card never came back (seen once in a fresh-clone
    run of test_pcscd_killed_mid_visit_recovers_by_itself under load).
    """
    server = socket.create_server(("127.0.0.1", 0))
    real_getpeername = socket.socket.getpeername
    drops = [OSError(errno.ENOTCONN, "Transport endpoint is not connected")]

    def getpeername(sock: socket.socket) -> object:
        if drops:
            raise drops.pop()
        return real_getpeername(sock)

    monkeypatch.setattr(socket.socket, "getpeername", getpeername)
    card = VirtualCard(None, server.getsockname()[1])  # type: ignore[arg-type]  # never asked an APDU
    card.insert()
    try:
        assert card.wait_connected(5), "the card gave up after one dropped connection"
        assert drops == [], "the dropped connection was not met"
    finally:
        card.remove()
        server.close()

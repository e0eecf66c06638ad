"""The whole kiosk core with the real card reader: pcscd, vpcd, virtual cards, the
portal simulator, the outbox and the controller; everything but the window.

These are the card faults a field trial would otherwise meet by chance: the
portal down at login (an offline session, which may only queue work, even
after the portal comes back), pcscd dying in the middle of a visit, and one
card swapped for another faster than a person can read the screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.session import State
from tests.test_desk_flow import GOOD_BIRTH_FORM, started_kiosk, wait_for

pytestmark = pytest.mark.pcsc

@pytest.fixture
def card_kiosk(tmp_path: Path, pcsc, test_pki) -> Any:  # type: ignore[no-untyped-def]
    """A started controller on this worker's real reader, with offline trust files."""
    reader = {"allow_virtual_reader": True, "trusted_root": str(test_pki.chain_path),
              "crl": str(test_pki.crl_path)}
    with started_kiosk(tmp_path, test_pki.dir, reader) as (controller, sim, _printer):
        wait_for(lambda: controller.status.reader == "no_card", what="the reader")
        yield controller, sim


def set_portal(controller, sim, *, up: bool) -> None:  # type: ignore[no-untyped-def]
    sim.set_fault("none" if up else "down")
    controller.parts.network.check_now()
    wait_for(lambda: controller.status.network_online is up, what=f"portal up={up}")


def log_in(controller, pin: str = "1234") -> None:  # type: ignore[no-untyped-def]
    wait_for(lambda: controller.machine.state == State.PIN, what="the PIN screen")
    controller.submit_pin(bytearray(pin.encode()))
    wait_for(lambda: controller.machine.state in (State.HOME, State.FIRST_LOGIN), what="login")
    if controller.machine.state == State.FIRST_LOGIN:
        controller.complete_profile("+995555123456", "citizen@example.ge")
        wait_for(lambda: controller.machine.state == State.HOME, what="home")


def test_offline_session_stays_queue_only_after_the_portal_returns(card_kiosk, make_card):
    controller, sim = card_kiosk
    set_portal(controller, sim, up=False)
    make_card().insert()
    log_in(controller)
    visit = controller.machine.visit
    assert visit.offline and visit.token is None  # let in by the trust files alone
    assert visit.citizen["personal_number"] == "01001012345"
    set_portal(controller, sim, up=True)

    # The portal is back, but this session's citizen was never checked by it.
    assert controller.navigate(State.SERVICE, category_id="payments", service_id="fines-pay")
    assert controller.service_refusal() == "online_only_offline"
    controller.load_lookup()
    wait_for(lambda: "lookup_error" in controller.visit_data, what="the lookup's answer")
    assert controller.visit_data["lookup_error"] == "online_only_offline"
    assert "lookup" not in controller.visit_data

    # Work that can wait for the portal's own checks is still taken, through the outbox.
    assert controller.navigate(State.SERVICE, category_id="personal",
                               service_id="birth-certificate-repeat")
    assert controller.service_refusal() is None
    assert controller.submit_form(GOOD_BIRTH_FORM) == {}
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="result")
    result = controller.machine.visit.result
    assert result["status"] in ("queued", "delivered") and result["local_ref"]


def test_pcscd_killed_mid_visit_ends_it_and_the_card_is_seen_again(card_kiosk, make_card, pcsc):
    controller, _ = card_kiosk
    card = make_card()
    card.insert()
    log_in(controller)
    first_session = controller.machine.visit.card_session_id
    assert controller.machine.visit.citizen.get("given_name")
    pcsc.stop(kill=True)
    wait_for(lambda: controller.machine.state == State.ATTRACT, what="the visit ending")
    visit = controller.machine.visit
    assert visit.citizen == {} and visit.token is None and visit.form_values == {}
    assert controller.status.reader == "no_reader"
    assert controller.current_card() is None
    pcsc.start()  # the card, still in, reconnects to vpcd by itself
    wait_for(lambda: controller.machine.state == State.PIN, what="the card seen again")
    again = controller.machine.visit
    assert again.card_session_id != first_session
    assert again.citizen == {}
    log_in(controller)
    assert controller.machine.visit.citizen["personal_number"] == "01001012345"


def test_card_swapped_at_once_is_a_new_visit_for_the_second_citizen(card_kiosk, make_card):
    controller, _ = card_kiosk
    first = make_card("citizen")
    first.insert()
    log_in(controller)
    first_visit = controller.machine.visit
    assert first_visit.citizen["personal_number"] == "01001012345"
    first_session = first_visit.card_session_id
    first.remove()
    make_card("second", pin="4321").insert()  # no pause for the reader to notice
    wait_for(lambda: controller.machine.state == State.PIN
             and controller.machine.visit.card_session_id not in (None, first_session),
             what="the PIN screen for the second card")
    visit = controller.machine.visit
    assert visit.citizen == {} and visit.token is None and visit.data == {}
    assert "01001012345" not in repr(vars(visit))
    log_in(controller, pin="4321")
    assert controller.machine.visit.citizen["personal_number"] == "01001099999"
    assert controller.machine.visit.citizen["given_name"] == "ლევან"

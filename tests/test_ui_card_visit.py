"""A whole visit with the eID card, through the real window: PIN, service, portal, card pulled.

The window is built as `kiosk run` builds it (tests/ui_card_controller.py):
the card reader on this worker's private pcscd with the vpcd driver, the
offline checks against the test PKI's chain and CRL, the portal simulator
(trusting that PKI) and the printer stand-in. The card is a virtual eID
card (devices/virtual_card.py) for the test PKI's second citizen, whom no
password account knows: the name on the personal page, the personal number
in the request and the card's signature the portal accepts can only have
come from the card.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.i18n import translate
from tests.ui_card_controller import card_kiosk
from tests.ui_services_support import open_service, texts_until, texts_when, typed
from tests.ui_sim_controller import SimKiosk
from tests.xvfb import screenshot

pytestmark = [pytest.mark.ui, pytest.mark.pcsc, pytest.mark.slow]

# tests/pcsc_fixtures.py issues this citizen in the session's test PKI.
CARD_CITIZEN, NUMBER, GIVEN, SURNAME = "second", "01001099999", "ლევან", "გელაშვილი"
PIN = "4321"


@pytest.fixture
def card_visit(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory, pcsc_stack: Any,
               test_pki: Any) -> Iterator[tuple[SimKiosk, Any]]:
    """The window at attract with the reader up, and the citizen's card (not yet inserted)."""
    from devices.virtual_card import VirtualCard

    # As the `pcsc` fixture does: a test before this one may have left pcscd down or readerless.
    if pcsc_stack.pid is None or not pcsc_stack.with_reader:
        pcsc_stack.restart(with_reader=True)
    card = VirtualCard.from_pki(test_pki.dir, CARD_CITIZEN, PIN, pcsc_stack.port)
    try:
        with card_kiosk(xvfb_display, tmp_path_factory.mktemp("card-visit"), pcsc_stack.reader_name,
                        test_pki) as running:
            yield running, card
    finally:
        card.remove()
        # The next test's card must not arrive before pcscd has seen this one leave;
        # pcscd itself is the session's and tests/pcsc_fixtures.py stops it at the end.
        pcsc_stack.wait_slot_empty()


def enter_pin(kiosk: Any, pin: str) -> None:
    kiosk.ok({"cmd": "type", "id": "pin-input", "text": pin})
    kiosk.tap("pin-ok")


def held_personal(kiosk: Any) -> list[str]:
    """Texts any live widget holds, shown or not, that carry the citizen's name or number."""
    return [text for text in kiosk.ok({"cmd": "held_texts"})["texts"]
            if any(secret in text for secret in (GIVEN, SURNAME, NUMBER))]


def test_card_visit_from_pin_to_portal_and_card_pull(card_visit: tuple[SimKiosk, Any]) -> None:
    sk, card = card_visit
    kiosk = sk.kiosk
    assert sk.received() == []
    # Built as `kiosk run` builds it: no demo strip, whose buttons stand in for the physical world.
    assert not [w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("demo-")]

    card.insert()
    kiosk.wait(screen="pin", timeout_s=15)
    assert kiosk.texts()["pin-tries"] == translate("ka", "Tries left: {n}", n=3)

    # A wrong PIN first: the card counts it, and the same screen says how many tries are left.
    enter_pin(kiosk, "1234")
    wrong = translate("ka", "Wrong PIN. Tries left: {n}", n=2)
    texts = texts_until(kiosk, lambda t: t.get("pin-tries") == wrong, timeout_s=15)
    assert texts.get("pin-tries") == wrong, texts
    assert kiosk.state()["screen"] == "pin"
    assert card.applet.tries_left == 2

    # The right PIN tapped key by key, as a citizen does.
    for digit in PIN:
        kiosk.tap(f"pin-{digit}")
    kiosk.tap("pin-ok")
    # A citizen the portal first meets through this card has no contacts yet: the first login.
    kiosk.wait(screen="first_login", timeout_s=20)
    typed(kiosk, "mobile", "555123456")
    typed(kiosk, "email", "levan@example.ge")
    kiosk.tap("submit")
    kiosk.wait(screen="home", timeout_s=15)
    assert card.applet.tries_left == 3, "the right PIN gives the card its tries back"
    texts = texts_when(kiosk, "home-greeting")
    assert texts["home-greeting"] == translate("ka", "Hello, {name}", name=f"{GIVEN} {SURNAME}")
    assert "010*****999" in texts["home-details"]
    # Kivy keeps a button's last touch with its times: the PIN keys sorted by them spell the PIN.
    assert kiosk.ok({"cmd": "held_texts"})["touches_kept"] == [], "keys keep the touches of the PIN"

    # The service form: a wrong personal number first, marked next to its field.
    open_service(kiosk, "personal", "birth-certificate-repeat")
    kiosk.tap("field-whose-self")
    typed(kiosk, "person_personal_number", "0100109999")  # one digit short
    typed(kiosk, "given_name", GIVEN)
    typed(kiosk, "surname", SURNAME)
    typed(kiosk, "date_of_birth", "02071990")  # the dots come by themselves
    kiosk.tap("field-delivery-justice_house")
    kiosk.tap("field-justice_house-tbilisi")
    typed(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    texts = texts_when(kiosk, "field-person_personal_number-error")
    assert kiosk.state()["screen"] == "service"
    assert texts["field-person_personal_number-error"] == "▲ " + translate("ka", "Enter 11 digits")
    assert sk.received() == [], "a form with an error is not sent"
    typed(kiosk, "person_personal_number", "9")  # the missing last digit
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    texts = kiosk.texts()
    assert texts["confirm-person_personal_number"] == "010*****999"
    assert texts["confirm-date_of_birth"] == "02.07.1990"
    assert "field-person_personal_number-error" not in texts

    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=20)
    texts = kiosk.texts()
    assert texts["result-status"] == translate("ka", "Your request has reached the citizen portal")

    received = sk.received()
    assert len(received) == 1, received
    item = received[0]
    assert item["reference"] in texts["result-references"]
    assert item["service_id"] == "birth-certificate-repeat"
    # card_signed: the envelope carried the card's certificate and a signature over the
    # request, which the simulator checked against the test PKI (else it refuses the envelope).
    assert item["card_signed"] is True
    request = item["request"]
    assert request["personal_number"] == NUMBER
    assert request["values"] == {
        "whose": "self", "person_personal_number": NUMBER, "given_name": GIVEN, "surname": SURNAME,
        "date_of_birth": "1990-07-02", "delivery": "justice_house", "justice_house": "tbilisi",
        "mobile": "+995555123456"}

    # The card pulled: the visit ends, back to attract, and no widget keeps the citizen.
    assert held_personal(kiosk), "the search below can find the citizen while the visit lasts"
    card.remove()
    kiosk.wait(screen="attract", timeout_s=15)
    assert held_personal(kiosk) == [], "the widget tree still holds the card's citizen"


def test_attract_says_when_the_reader_is_gone_and_what_still_works(card_visit: tuple[SimKiosk, Any],
                                                                  pcsc_stack: Any) -> None:
    """A reader unplugged (pcscd back without it): the card's place on the attract screen says so.

    Nobody should stand pushing a card into a reader that cannot see it
    (the field trial's one stuck step: a card inserted while the reader was
    gone, and the screen still asking for it). With the network up, the
    password login still works, and the screen says so; the reader back,
    the card prompt is back, and a card is read again.
    """
    sk, card = card_visit
    kiosk = sk.kiosk
    prompt = translate("ka", "Insert your ID card into the reader below")
    assert kiosk.texts()["insert-card"] == prompt
    pcsc_stack.restart(with_reader=False)
    gone = translate("ka", "The card reader is not working")
    texts = texts_until(kiosk, lambda t: t.get("insert-card") == gone, timeout_s=20)
    assert texts.get("insert-card") == gone, texts
    assert texts["insert-card-hint"] == translate(
        "ka", "You can log in with your username and password below, or go to the counter.")
    assert "password-login" in texts
    assert kiosk.state()["screen"] == "attract"
    screenshot(kiosk, "attract-reader-gone-ka.png")
    kiosk.tap("lang-en")
    gone_en = "The card reader is not working"
    texts = texts_until(kiosk, lambda t: t.get("insert-card") == gone_en, timeout_s=5)
    assert texts.get("insert-card") == gone_en, texts
    screenshot(kiosk, "attract-reader-gone-en.png")
    kiosk.tap("lang-ka")
    # The portal gone too: a password cannot be checked either, so only the counter is left.
    sk.sim.set_fault("down")
    try:
        offline = translate("ka", "This kiosk cannot read cards right now. Please use another kiosk or go "
                                  "to the counter.")
        texts = texts_until(kiosk, lambda t: t.get("insert-card-hint") == offline, timeout_s=10)
        assert texts.get("insert-card-hint") == offline, texts
    finally:
        sk.sim.set_fault("none")

    pcsc_stack.restart(with_reader=True)
    texts = texts_until(kiosk, lambda t: t.get("insert-card") == prompt, timeout_s=20)
    assert texts.get("insert-card") == prompt, texts
    card.insert()
    kiosk.wait(screen="pin", timeout_s=15)

"""Citizen services through the real window, against the portal simulator and the printer stand-in.

One kiosk per module (tests/ui_sim_controller.py: the real controller,
outbox, forwarder and printer over TCP; a password login). Each test
starts on the personal page and goes back to it. What the portal got is
read from the simulator's `GET /_sim/transactions`, opened.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from kiosk.i18n import translate
from kiosk.portal.reasons import citizen_message
from tests.ui_services_support import (
    CITIZEN_NUMBER,
    back_home,
    log_in,
    open_service,
    send_and_check,
    texts_when,
    typed,
)
from tests.ui_sim_controller import PASSWORD, USERNAME, SimKiosk, sim_kiosk

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def sk(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimKiosk]:
    with sim_kiosk(xvfb_display, tmp_path_factory.mktemp("services")) as running:
        log_in(running.kiosk)
        yield running


@pytest.fixture
def kiosk(sk: SimKiosk) -> Iterator[Any]:
    """The window on the personal page; brought back there after each test."""
    yield sk.kiosk
    back_home(sk.kiosk)


def test_repeat_birth_certificate_wrong_input_first(sk: SimKiosk, kiosk: Any) -> None:
    open_service(kiosk, "personal", "birth-certificate-repeat")
    kiosk.tap("field-whose-self")
    # The tick a person sees is in the state (the field trial checks its choices took).
    ticks = {w["id"]: w["selected"] for w in kiosk.state()["widgets"] if "selected" in w}
    assert ticks["field-whose-self"] is True and ticks["field-delivery-justice_house"] is False
    typed(kiosk, "person_personal_number", "123")
    typed(kiosk, "given_name", "ნინო")
    typed(kiosk, "surname", "ბერიძე")
    typed(kiosk, "date_of_birth", "14031985")  # the dots come by themselves
    kiosk.tap("field-delivery-justice_house")
    kiosk.tap("field-justice_house-tbilisi")
    typed(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    texts = texts_when(kiosk, "field-person_personal_number-error")
    assert kiosk.state()["screen"] == "service"
    assert texts["field-person_personal_number-error"] == "▲ " + translate("ka", "Enter 11 digits")
    assert texts["field-date_of_birth"] == "14.03.1985"
    # Fix it on the digits keyboard the field opened: three backspaces, then the number.
    typed(kiosk, "person_personal_number", "")
    keys = {w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("keyboard-")}
    assert {"keyboard-0", "keyboard-9", "keyboard-backspace"} <= keys and "keyboard-ა" not in keys
    for _ in range(3):
        kiosk.tap("keyboard-backspace")
    typed(kiosk, "person_personal_number", CITIZEN_NUMBER)
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    texts = kiosk.texts()
    assert texts["confirm-person_personal_number"] == "010*****345"
    assert texts["confirm-date_of_birth"] == "14.03.1985"
    assert texts["confirm-fee"] == "10.00 ლარი"
    now = translate("ka", "Your request will be sent to the citizen portal now.")
    assert texts["confirm-delivery"] == now
    values = send_and_check(sk, "birth-certificate-repeat")
    assert values == {"whose": "self", "person_personal_number": CITIZEN_NUMBER, "given_name": "ნინო",
                      "surname": "ბერიძე", "date_of_birth": "1985-03-14", "delivery": "justice_house",
                      "justice_house": "tbilisi", "mobile": "+995555123456"}


def test_public_information_request(sk: SimKiosk, kiosk: Any) -> None:
    open_service(kiosk, "personal", "public-information-request")
    kiosk.tap("field-agency-napr")
    typed(kiosk, "subject", "Budget 2024")
    typed(kiosk, "request", "Please send me the budget of 2024.")
    kiosk.tap("field-format-electronic")
    typed(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    values = send_and_check(sk, "public-information-request")
    assert values["agency"] == "napr" and values["format"] == "electronic" and "email" not in values
    reference = sk.received()[-1]["reference"]
    kiosk.tap("home")  # "another service": the personal page lists the request just sent
    kiosk.wait(screen="home")
    assert f"request-{reference}" in texts_when(kiosk, f"request-{reference}", timeout_s=10)


def test_letter_to_an_agency_edit_before_sending(sk: SimKiosk, kiosk: Any) -> None:
    open_service(kiosk, "personal", "letter-to-agency")
    kiosk.tap("field-agency-psda")
    typed(kiosk, "subject", "Hi")  # too short: three letters at least
    typed(kiosk, "letter", "I would like to ask about my documents.")
    typed(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    assert "field-subject-error" in texts_when(kiosk, "field-subject-error")
    typed(kiosk, "subject", "!")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    kiosk.tap("edit")  # back to the form: what was typed is still there
    kiosk.wait(screen="service")
    assert kiosk.texts()["field-subject"] == "Hi!"
    typed(kiosk, "subject", " documents")
    kiosk.tap("submit")
    values = send_and_check(sk, "letter-to-agency")
    assert values["subject"] == "Hi! documents" and values["agency"] == "psda"


def test_individual_entrepreneur_registration(sk: SimKiosk, kiosk: Any) -> None:
    open_service(kiosk, "business", "individual-entrepreneur-registration")
    typed(kiosk, "activity", "ხელნაკეთი სუვენირები")
    typed(kiosk, "legal_address", "თბილისი, რუსთაველის 1")
    kiosk.tap("field-small_business-yes")
    typed(kiosk, "email", "nino@example")
    typed(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    texts = texts_when(kiosk, "field-email-error")
    assert texts["field-email-error"].startswith("▲ ") and kiosk.state()["screen"] == "service"
    typed(kiosk, "email", ".ge")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    assert kiosk.texts()["confirm-small_business"] == translate("ka", "Yes")
    values = send_and_check(sk, "individual-entrepreneur-registration")
    assert values == {"activity": "ხელნაკეთი სუვენირები", "legal_address": "თბილისი, რუსთაველის 1",
                      "small_business": True, "email": "nino@example.ge", "mobile": "+995555123456"}


def pay(kiosk: Any, category: str, service: str) -> tuple[dict[str, str], str]:
    """Pay the first unpaid item; the result screen's texts and the item's id."""
    open_service(kiosk, category, service)
    deadline = time.monotonic() + 10
    while not (items := [w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("item-")]):
        assert time.monotonic() < deadline, "the unpaid items never arrived"
        time.sleep(0.1)
    assert kiosk.send({"cmd": "tap", "id": "submit"}).get("error") is None
    assert kiosk.state()["screen"] == "service", "nothing selected: stays here"
    kiosk.tap(items[0])
    texts_when(kiosk, "payment-total")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    assert "confirm-total" in kiosk.texts()
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=15)
    return kiosk.texts(), items[0].removeprefix("item-")


@pytest.mark.parametrize(("category", "service", "kind"), [
    ("fines", "fines-pay", "fines"),
    ("utilities", "utility-bill-pay", "utility-bills"),
])
def test_look_up_and_pay(sk: SimKiosk, kiosk: Any, category: str, service: str, kind: str) -> None:
    texts, paid = pay(kiosk, category, service)
    assert texts["result-status"] == translate("ka", "Your payment was accepted")
    assert "PAY-" in texts["result-references"]
    unpaid = [item["id"] for item in sk.sim.store.unpaid_items(CITIZEN_NUMBER, kind)]
    assert paid not in unpaid, "the portal still holds the item as unpaid"


def test_a_form_after_a_payment_in_the_same_visit_takes_every_tap(sk: SimKiosk, kiosk: Any) -> None:
    """The paid fine's panel, folded away, lay over the lower half of the next form: its
    second delivery choice and its phone field did nothing when tapped (field trial)."""
    pay(kiosk, "fines", "fines-pay")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    open_service(kiosk, "property", "debtor-registry-extract")
    answer = kiosk.tap("field-delivery-justice_house")
    ticks = {w["id"]: w["selected"] for w in kiosk.state()["widgets"] if "selected" in w}
    assert answer["highlighted"] is True and ticks["field-delivery-justice_house"] is True
    kiosk.tap("field-mobile")  # a finger on the field opens its phone pad
    texts_when(kiosk, "keyboard-5")
    for digit in "555123456":
        kiosk.tap(f"keyboard-{digit}")
    kiosk.tap("submit")
    values = send_and_check(sk, "debtor-registry-extract")
    assert values["delivery"] == "justice_house" and values["mobile"] == "+995555123456"


def test_tax_debt_over_the_limit_is_declined_in_words(kiosk: Any) -> None:
    from kiosk.portal.simulator.seed import DEFAULT_PAYMENT_LIMIT_GEL, items_for

    debt = next(i for i in items_for(CITIZEN_NUMBER) if i["kind"] == "tax-debt")
    texts, _ = pay(kiosk, "taxes", "tax-debt-pay")
    if Decimal(debt["amount_gel"]) > DEFAULT_PAYMENT_LIMIT_GEL:
        assert texts["result-status"] == translate("ka", "Your payment was declined")
        assert translate("ka", citizen_message("limit_exceeded")) in texts["result-body"]
    else:
        assert texts["result-status"] == translate("ka", "Your payment was accepted")


def test_search_and_language_on_the_personal_page(kiosk: Any) -> None:
    kiosk.ok({"cmd": "type", "id": "search", "text": "დაბად"})
    texts = texts_when(kiosk, "service-birth-certificate-repeat")
    assert texts["service-birth-certificate-repeat"] == "დაბადების მოწმობის განმეორებით გაცემა"
    assert "keyboard-ა" in texts  # the Georgian layout for the search box
    kiosk.tap("search-close")
    kiosk.tap("lang-en")
    texts = texts_when(kiosk, "category-personal")
    assert texts["category-personal"] == "Personal information"
    assert texts["home-details"].startswith("Personal number: 010*****345")
    kiosk.tap("lang-ka")


def test_a_search_result_opens_its_service_with_one_tap(kiosk: Any) -> None:
    """While the citizen searches, the folded tiles and actions must not take the results' taps."""
    kiosk.ok({"cmd": "type", "id": "search", "text": "ამონაწერი"})  # "extract": several services
    texts_when(kiosk, "service-debtor-registry-extract")
    shown = kiosk.state()["widgets"]
    results = [w for w in shown if w["id"].startswith("service-")]
    assert len(results) >= 3
    assert not [w["id"] for w in shown if w["id"].startswith("category-")], "the tiles did not fold"
    rects = {w["id"]: w["rect"] for w in shown}  # [left, top, width, height]
    close, field = rects["search-close"], rects["search"]
    # "Close search" stays in the search row (wrapped, it grew over the language buttons).
    assert field[1] - 1 <= close[1] and close[1] + close[3] <= field[1] + field[3] + 1, (close, field)
    lowest = max(results, key=lambda w: w["rect"][1])
    try:
        assert kiosk.tap(lowest["id"])["highlighted"] is True
        kiosk.wait(screen="service")
        assert kiosk.texts()["screen-title"] == lowest["text"]
    finally:
        back_home(kiosk)
        if "search-close" in kiosk.texts():
            kiosk.tap("search-close")


def test_help_shows_the_portal_faq_and_contacts(kiosk: Any) -> None:
    from kiosk.faq import load_bundled

    kiosk.tap("help")
    kiosk.wait(screen="help")
    texts = kiosk.texts()
    faq = load_bundled()
    assert texts[f"faq-{faq.items[0].id}"] == faq.items[0].question("ka")
    assert faq.phone in texts["help-contact"] and faq.email in texts["help-contact"]
    kiosk.tap("back")
    kiosk.wait(screen="home")


def test_online_only_service_refused_plainly_when_the_portal_is_down(sk: SimKiosk, kiosk: Any) -> None:
    sk.sim.set_fault("down")
    try:
        deadline = time.monotonic() + 10
        while not kiosk.texts().get("home-offline"):
            assert time.monotonic() < deadline, "the kiosk never noticed the portal was down"
            time.sleep(0.1)
        open_service(kiosk, "personal", "id-card-replacement-appointment")
        texts = kiosk.texts()
        assert texts["refusal-title"] == translate("ka", "This service needs the internet")
        assert "ოპერატორ" in texts["refusal-body"]
        assert "submit" not in texts and "back" in texts and "home" in texts
        kiosk.tap("back")
        kiosk.wait(screen="category")
    finally:
        sk.sim.set_fault("none")
    deadline = time.monotonic() + 10
    kiosk.tap("home")
    kiosk.wait(screen="home")
    while kiosk.texts().get("home-offline"):
        assert time.monotonic() < deadline, "the kiosk never noticed the portal was back"
        time.sleep(0.1)


def test_a_kept_form_comes_back_empty_after_a_new_choice_and_a_new_visit(sk: SimKiosk, kiosk: Any) -> None:
    """Forms are built once and kept (screens/services_cache.py): their values never are."""
    open_service(kiosk, "personal", "letter-to-agency")
    kiosk.tap("field-agency-psda")
    typed(kiosk, "subject", "Private matter")
    kiosk.tap("back")
    kiosk.wait(screen="category")
    kiosk.tap("service-letter-to-agency")
    kiosk.wait(screen="service")
    state = {w["id"]: w for w in kiosk.state()["widgets"]}  # the form's top: the agencies
    assert state["field-agency-psda"]["text"] == state["field-agency-psda"]["text"].removeprefix("✓ ")
    kiosk.tap("field-subject")  # below the fold since the form starts lower (issue 9): scrolled into view
    state = {w["id"]: w for w in kiosk.state()["widgets"]}
    assert state["field-subject"]["text"] == "" and state["field-subject"]["length"] == 0
    typed(kiosk, "subject", "Private matter")
    kiosk.tap("field-agency-psda")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    kiosk.tap("logout")  # the visit ends: every screen's wipe()
    kiosk.wait(screen="attract", timeout_s=15)
    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    kiosk.ok({"cmd": "type", "id": "field-username", "text": USERNAME})
    kiosk.ok({"cmd": "type", "id": "field-password", "text": PASSWORD})
    kiosk.tap("submit")
    deadline = time.monotonic() + 15
    while kiosk.state()["screen"] != "home":
        assert time.monotonic() < deadline, "no personal page after the second login"
        if kiosk.state()["screen"] == "first_login":
            typed(kiosk, "mobile", "555123456")
            typed(kiosk, "email", "nino@example.ge")
            kiosk.tap("submit")
        time.sleep(0.1)
    open_service(kiosk, "personal", "letter-to-agency")
    assert not kiosk.texts()["field-agency-psda"].startswith("✓")
    kiosk.tap("field-subject")
    assert kiosk.texts()["field-subject"] == ""


def test_with_several_requests_listed_every_home_control_stays_in_reach(sk: SimKiosk, kiosk: Any) -> None:
    """A personal page whose latest requests grew must keep every control in the window and
    in reach, at both text sizes. (Written for the field trial's "logout not on screen after a
    result"; the layout before issue 9's re-layout passed it too, so that remains unexplained.)"""
    from kiosk.accessibility import check_state, errors

    for n in range(3):
        open_service(kiosk, "personal", "public-information-request")
        kiosk.tap("field-agency-napr")
        typed(kiosk, "subject", f"Budget {2020 + n}")
        typed(kiosk, "request", "Please send me the budget.")
        kiosk.tap("field-format-electronic")
        typed(kiosk, "mobile", "555123456")
        kiosk.tap("submit")
        send_and_check(sk, "public-information-request")
        kiosk.tap("home")
        kiosk.wait(screen="home")
    reference = sk.received()[-1]["reference"]
    texts_when(kiosk, f"request-{reference}", timeout_s=10)
    for large in (False, True):
        if large:
            kiosk.tap("a11y-large-text")
        state = kiosk.state()
        ids = {w["id"] for w in state["widgets"]}
        assert {"logout", "edit-contact", "help", "search"} <= ids, f"large text {large}: {sorted(ids)}"
        assert [str(v) for v in errors(check_state(state)) if not v.widget_id.startswith("request-")] == []
    kiosk.tap("a11y-large-text")


def test_the_warm_up_never_opens_a_keyboard_on_the_screen_a_citizen_sees(kiosk: Any) -> None:
    """A language change plans the keyboards' warm-up for the screens not on show; a citizen
    who opens a form while those jobs run must not get a keyboard nobody asked for."""
    for language in ("en", "ka"):
        kiosk.tap(f"lang-{language}")  # plans the warm-up of the service screen's keyboard
        open_service(kiosk, "personal", "letter-to-agency")
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            keys = [w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("keyboard-")]
            assert keys == [], f"a keyboard opened by itself ({language}): {keys[:5]}"
            time.sleep(0.05)
        kiosk.tap("home")
        kiosk.wait(screen="home")


def test_while_searching_log_out_stays_in_reach_and_ends_the_visit(kiosk: Any) -> None:
    """The field trial's "logout not on screen" (19 of 300 visits): a citizen searching, the
    keyboard open, could not leave before closing the search: the button folded away with the
    other actions. Last in the module: it ends the visit, then logs in again."""
    kiosk.ok({"cmd": "type", "id": "search", "text": "დაბად"})
    texts_when(kiosk, "service-birth-certificate-repeat")
    rects = {w["id"]: w["rect"] for w in kiosk.state()["widgets"]}  # [left, top, width, height]
    keys = [rect for name, rect in rects.items() if name.startswith("keyboard-")]
    assert keys and "logout" in rects, sorted(rects)
    logout = rects["logout"]
    assert logout[1] + logout[3] <= min(top for _left, top, _w, _h in keys) + 1, "under the keyboard"
    kiosk.tap("logout")
    kiosk.wait(screen="attract")
    kiosk.tap("password-login")  # back to the personal page for any test after this one
    kiosk.wait(screen="password")
    kiosk.ok({"cmd": "type", "id": "field-username", "text": USERNAME})
    kiosk.ok({"cmd": "type", "id": "field-password", "text": PASSWORD})
    kiosk.tap("submit")
    kiosk.wait(screen="home")  # the contacts were confirmed at the first login

"""One service of every category, end to end through the real window; online-only ones offline;
the printer's trouble told before sending.

One kiosk for the module (tests/ui_sim_controller.py: portal simulator,
printer stand-in, password login), as in tests/test_ui_services.py. Each
service's form is filled the way a citizen fills it (choices tapped, text
typed on the kiosk's keyboards), confirmed, and read back at the portal
simulator, opened: the request arrived once, with what was typed, as the
portal expects it (ISO dates, +995 mobiles, numbers, yes/no as booleans).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.accessibility import check_state, errors
from kiosk.catalog import load_bundled_catalog
from kiosk.i18n import translate
from tests.ui_services_support import (
    back_home,
    log_in,
    open_service,
    send_and_check,
    texts_until,
    typed,
)
from tests.ui_sim_controller import SimKiosk, sim_kiosk

pytestmark = pytest.mark.ui
TAPPED = ("choice", "multi_choice", "yes_no", "agency")  # a button per value; the rest is typed
PRINTER_NOTE = ("The receipt printer is not working right now. Your receipt will be shown on the "
                "screen: you can take a photo of it and its QR code with your phone.")
STATUS_POLL_S = 8  # the controller asks the printer every 5 s (kiosk/controller.py _poll_printer)
MOBILE = {"mobile": "555123456"}
SENT_MOBILE = {"mobile": "+995555123456"}

# category, service, what the citizen enters (form order), what the portal must receive.
CASES: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
    ("personal", "criminal-record-certificate",
     {"document_language": "en", "speed": "express", "purpose": "ვიზისთვის", "delivery": "electronic",
      **MOBILE},
     {"document_language": "en", "speed": "express", "purpose": "ვიზისთვის", "delivery": "electronic",
      **SENT_MOBILE}),
    ("family", "marriage-certificate-repeat",
     {"spouse_personal_number": "01024054321", "marriage_date": "20062010", "delivery": "justice_house",
      **MOBILE},
     {"spouse_personal_number": "01024054321", "marriage_date": "2010-06-20", "delivery": "justice_house",
      **SENT_MOBILE}),
    ("health", "vaccination-record",
     {"whose": "self", "document_language": "ka", "delivery": "electronic", **MOBILE},
     {"whose": "self", "document_language": "ka", "delivery": "electronic", **SENT_MOBILE}),
    ("social", "social-programme-application",
     {"programme": "child_benefit", "household_size": "4", "address": "ქუთაისი, წერეთლის 12",
      "disabled_member": "no", **MOBILE},
     {"programme": "child_benefit", "household_size": 4, "address": "ქუთაისი, წერეთლის 12",
      "disabled_member": False, **SENT_MOBILE}),
    ("property", "property-extract",
     {"cadastral_code": "01.18.03.012.005", "delivery": "justice_house", **MOBILE},
     {"cadastral_code": "01.18.03.012.005", "delivery": "justice_house", **SENT_MOBILE}),
    ("business", "business-registry-extract",
     {"tax_id": "204567891", "document_language": "ka", "delivery": "electronic", **MOBILE},
     {"tax_id": "204567891", "document_language": "ka", "delivery": "electronic", **SENT_MOBILE}),
    ("taxes", "tax-debt-free-certificate",
     {"document_language": "en", "purpose": "ბანკისთვის", "delivery": "electronic", **MOBILE},
     {"document_language": "en", "purpose": "ბანკისთვის", "delivery": "electronic", **SENT_MOBILE}),
    ("fines", "fine-appeal",
     {"protocol_number": "GP12345678", "violation_date": "02052024",
      "reason": "ამ დღეს მანქანა სხვა ქალაქში იდგა.", **MOBILE},
     {"protocol_number": "GP12345678", "violation_date": "2024-05-02",
      "reason": "ამ დღეს მანქანა სხვა ქალაქში იდგა.", **SENT_MOBILE}),
    ("education", "education-document",
     {"document": "bachelor", "institution": "თბილისის სახელმწიფო უნივერსიტეტი", "graduation_year": "2007",
      "document_language": "en", "delivery": "electronic", **MOBILE},
     {"document": "bachelor", "institution": "თბილისის სახელმწიფო უნივერსიტეტი", "graduation_year": 2007,
      "document_language": "en", "delivery": "electronic", **SENT_MOBILE}),
    ("utilities", "meter-reading-submission",
     {"provider": "telasi", "account_number": "1234567890", "reading": "15234", "reading_date": "01062024",
      **MOBILE},
     {"provider": "telasi", "account_number": "1234567890", "reading": 15234, "reading_date": "2024-06-01",
      **SENT_MOBILE}),
]


@pytest.fixture(scope="module")
def sk(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimKiosk]:
    with sim_kiosk(xvfb_display, tmp_path_factory.mktemp("categories")) as running:
        log_in(running.kiosk)
        yield running


@pytest.fixture
def kiosk(sk: SimKiosk) -> Iterator[Any]:
    """The window on the personal page; brought back there after each test."""
    yield sk.kiosk
    back_home(sk.kiosk)


def fill(kiosk: Any, service_id: str, entries: dict[str, str]) -> None:
    """Tap or type each entry as the field's type asks (choices are buttons, the rest keyboards)."""
    fields = {f.name: f for f in load_bundled_catalog().service(service_id).form}
    for name, value in entries.items():
        if fields[name].type in TAPPED:
            kiosk.tap(f"field-{name}-{value}")
        else:
            typed(kiosk, name, value)


def test_every_category_is_covered() -> None:
    """The cases below name one service of each category of the bundled catalog, and the
    services the issue names; a category added to the catalog needs a case here."""
    catalog = load_bundled_catalog()
    assert sorted(c for c, *_ in CASES) == sorted(c.id for c in catalog.categories)
    assert all(catalog.service(s).category == c for c, s, *_ in CASES)
    named = {"social-programme-application", "education-document", "property-extract"}
    assert named <= {s for _, s, *_ in CASES}


@pytest.mark.parametrize(("category", "service", "entries", "expected"), CASES,
                         ids=[case[0] for case in CASES])
def test_a_service_of_each_category_reaches_the_portal(sk: SimKiosk, kiosk: Any, category: str,
                                                        service: str, entries: dict[str, str],
                                                        expected: dict[str, Any]) -> None:
    open_service(kiosk, category, service)
    assert "receipt-note" not in kiosk.texts(), "the printer is ready: no note about it"
    fill(kiosk, service, entries)
    kiosk.tap("submit")
    texts = texts_until(kiosk, lambda _t: kiosk.state()["screen"] != "service", timeout_s=5)
    errors = {k: v for k, v in texts.items() if k.endswith("-error") or k == "form-errors"}
    assert kiosk.state()["screen"] == "confirm", f"the form was refused: {errors}"
    assert "receipt-note" not in texts, "the printer is ready: no note about it"
    assert send_and_check(sk, service) == expected


@pytest.mark.parametrize(("category", "service"), [
    ("fines", "fines-pay"), ("taxes", "tax-debt-pay"), ("utilities", "utility-bill-pay")])
def test_online_only_payment_refused_in_words_while_the_portal_is_down(
        sk: SimKiosk, kiosk: Any, category: str, service: str) -> None:
    sk.sim.set_fault("down")
    try:
        texts = texts_until(kiosk, lambda t: bool(t.get("home-offline")), timeout_s=10)
        assert texts.get("home-offline"), "the kiosk never noticed the portal was down"
        open_service(kiosk, category, service)
        texts = kiosk.texts()
        assert texts["refusal-title"] == translate("ka", "This service needs the internet")
        assert texts["refusal-body"] == translate(
            "ka", "The connection to the citizen portal is down right now, and this service cannot be "
                  "done without it. Please try again later today, or go to the counter: a staff member "
                  "will help you.")
        assert not {"submit", "payment-message", "payment-total"} & set(texts)
        assert not any(i.startswith("item-") for i in texts), "no unpaid items without the portal"
        shown = " ".join(texts.values())
        for code in ("online_only", "offline", "error", "503", "down"):
            assert code not in shown, f"a code on the citizen's screen: {code!r} in {shown!r}"
        assert {"back", "home"} <= set(texts)
    finally:
        sk.sim.set_fault("none")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    texts = texts_until(kiosk, lambda t: not t.get("home-offline"), timeout_s=10)
    assert not texts.get("home-offline"), "the kiosk never noticed the portal was back"


def test_a_printer_out_of_paper_is_told_before_sending(sk: SimKiosk, kiosk: Any, tmp_path: Any) -> None:
    """Paper out: the form and the confirm screen say the receipt will be on the screen, in the
    visit's language, before the citizen sends; the result then shows it. Back to ready, the note goes."""
    note_ka = translate("ka", PRINTER_NOTE)
    assert note_ka != PRINTER_NOTE
    sk.printer.set_status("paper-out")
    try:
        open_service(kiosk, "taxes", "tax-debt-free-certificate")
        texts = texts_until(kiosk, lambda t: "receipt-note" in t, timeout_s=STATUS_POLL_S)
        assert texts.get("receipt-note") == note_ka, "no word about the printer on the form"
        fill(kiosk, "tax-debt-free-certificate",
             {"document_language": "ka", "delivery": "electronic", **MOBILE})
        kiosk.tap("submit")
        kiosk.wait(screen="confirm")
        state = kiosk.state()
        texts = {w["id"]: w["text"] for w in state["widgets"]}
        assert texts.get("receipt-note") == note_ka, "no word about the printer before confirming"
        assert [str(v) for v in errors(check_state(state)) if v.widget_id == "receipt-note"] == []
        kiosk.ok({"cmd": "screenshot", "path": str(tmp_path / "confirm-paper-out.png")})
        kiosk.tap("confirm")
        kiosk.wait(screen="result", timeout_s=15)
        texts = kiosk.texts()
        assert "result-receipt-image" in texts and "result-qr" in texts
        assert "receipt-note" not in texts  # the result screen says it in its own words
        kiosk.tap("home")
        kiosk.wait(screen="home")
        kiosk.tap("lang-en")
        open_service(kiosk, "taxes", "tax-debt-free-certificate")
        assert kiosk.texts().get("receipt-note") == PRINTER_NOTE
    finally:
        sk.printer.set_status("ready")
    texts = texts_until(kiosk, lambda t: "receipt-note" not in t, timeout_s=STATUS_POLL_S)
    assert "receipt-note" not in texts, "the note stays after the paper is back"
    kiosk.tap("home")
    kiosk.wait(screen="home")
    kiosk.tap("lang-ka")


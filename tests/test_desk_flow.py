"""A citizen's submissions end to end through the core, with every real part but the window.

Real HTTP to the portal simulator, the real outbox and forwarder, the real
printer stand-in over TCP and the receipt journal; a password login (the
card path is covered over PC/SC in the card tests). The screens only call
these same controller methods.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.printer_sim import start_printer_sim
from kiosk import config as kiosk_config
from kiosk.portal import simulator
from kiosk.session import State
from kiosk.wiring import build_controller

GOOD_BIRTH_FORM = {
    "whose": "self", "person_personal_number": "01001012345", "given_name": "ნინო",
    "surname": "ბერიძე", "date_of_birth": "14.03.1985", "delivery": "justice_house",
    "justice_house": "tbilisi", "mobile": "555123456",
}


def wait_for(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def started_kiosk(tmp_path: Path, pki_dir: Path, reader: dict[str, Any] | None = None
                  ) -> Iterator[tuple[Any, Any, Any]]:
    """A controller built as `kiosk run` builds it over the portal simulator and the printer
    stand-in, started; with ``reader`` (config keys), on this worker's card reader, else without one."""
    sim = simulator.start(tmp_path / "portal" / "portal.sqlite3", pki_dir)
    printer = start_printer_sim(tmp_path / "printed")
    settings: dict[str, Any] = {
        "portal": {"url": sim.url, "public_key": str(sim.public_key_path)},
        "printer": {"connection": f"tcp://127.0.0.1:{printer.port}"},
        "storage": {"dir": str(tmp_path / "storage")},
    }
    if reader is not None:
        settings["reader"] = reader
    controller = build_controller(kiosk_config.from_mapping(settings))
    if reader is None:
        controller.parts.reader = None  # password visits only: no card reader
    controller.parts.network.interval_s = 0.2
    try:
        controller.start()
        yield controller, sim, printer
    finally:
        controller.stop()
        printer.stop()
        sim.stop()


@pytest.fixture
def kiosk(tmp_path: Path, pki) -> Any:
    with started_kiosk(tmp_path, pki.dir) as (controller, sim, printer):
        wait_for(lambda: controller.status.network_online, what="network online")
        yield controller, sim, printer


def login(controller) -> None:
    controller.start_password_login()
    controller.submit_password("demo", "demo-1234")
    wait_for(lambda: controller.machine.state in (State.HOME, State.FIRST_LOGIN), what="login")
    if controller.machine.state == State.FIRST_LOGIN:
        controller.complete_profile("+995555123456", "nino@example.ge")
        wait_for(lambda: controller.machine.state == State.HOME, what="home")


def received(sim) -> list[dict[str, Any]]:
    import requests

    return requests.get(sim.url + "/_sim/transactions", timeout=5).json()["items"]


def test_wrong_input_first_then_delivered_with_printed_receipt(kiosk) -> None:
    controller, sim, printer = kiosk
    controller.select_language("ka")
    login(controller)
    assert controller.navigate(State.SERVICE, category_id="personal", service_id="birth-certificate-repeat")
    assert controller.service_refusal() is None
    errors = controller.submit_form({**GOOD_BIRTH_FORM, "person_personal_number": "123"})
    assert set(errors) == {"person_personal_number"}
    assert any("\u10a0" <= ch <= "\u10ff" for ch in errors["person_personal_number"]), "message in Georgian"
    assert controller.machine.state == State.SERVICE
    assert controller.submit_form(GOOD_BIRTH_FORM) == {}
    assert controller.machine.state == State.CONFIRM
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="result")
    result = controller.machine.visit.result
    assert result["status"] == "delivered" and result["portal_ref"]
    assert result["receipt"] == "printed"
    assert len(printer.wait_for_receipts(1)) == 1
    items = received(sim)
    assert len(items) == 1
    assert items[0]["request"]["values"]["given_name"] == "ნინო"
    assert items[0]["request"]["service_id"] == "birth-certificate-repeat"


def test_offline_submission_waits_then_goes_through_once(kiosk) -> None:
    controller, sim, printer = kiosk
    login(controller)
    sim.set_fault("down")
    controller.parts.network.check_now()
    controller.parts.network.check_now()
    wait_for(lambda: not controller.status.network_online, what="offline")
    controller.navigate(State.SERVICE, service_id="birth-certificate-repeat")
    controller.submit_form(GOOD_BIRTH_FORM)
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="result")
    result = dict(controller.machine.visit.result)
    assert result["status"] == "queued" and result["portal_ref"] is None and result["local_ref"]
    assert received(sim) == [], "nothing reached the portal while it was down"
    sim.set_fault("none")
    wait_for(lambda: len(received(sim)) == 1, timeout=15, what="delivery after the network returned")
    time.sleep(0.5)
    assert [t["local_ref"] for t in received(sim)] == [result["local_ref"]]


def test_online_only_service_refused_plainly_when_offline(kiosk) -> None:
    controller, sim, _ = kiosk
    login(controller)
    sim.set_fault("down")
    controller.parts.network.check_now()
    controller.parts.network.check_now()
    wait_for(lambda: not controller.status.network_online, what="offline")
    controller.navigate(State.SERVICE, service_id="fines-pay")
    assert controller.service_refusal() == "online_only_offline"


def test_paper_out_gives_the_receipt_on_screen(kiosk) -> None:
    controller, sim, printer = kiosk
    printer.set_status("paper-out")
    login(controller)
    controller.navigate(State.SERVICE, service_id="birth-certificate-repeat")
    controller.submit_form(GOOD_BIRTH_FORM)
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="result")
    result = controller.machine.visit.result
    assert result["receipt"] == "on_screen"
    assert result["receipt_png"].startswith(b"\x89PNG")
    assert controller.parts.journal.failed(), "the failed print is kept to print again"


def test_fines_lookup_and_payment(kiosk) -> None:
    controller, sim, printer = kiosk
    login(controller)
    controller.navigate(State.SERVICE, category_id="fines", service_id="fines-pay")
    heard = []
    controller.subscribe_visit_data(heard.append)
    controller.load_lookup()
    wait_for(lambda: "lookup" in heard, what="lookup")
    items = controller.visit_data["lookup"]
    assert items, "the simulator seeds unpaid fines for the demo citizen"
    cheap = [i for i in items if float(i["amount_gel"]) <= 1000][:1]
    controller.machine.form_completed({"item_ids": [cheap[0]["id"]]})
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="payment result")
    assert controller.machine.visit.result["status"] == "payment_approved"
    controller.logout()
    assert controller.visit_data == {}


def test_catalog_refreshed_from_the_portal_and_bad_one_refused(kiosk) -> None:
    controller, sim, _ = kiosk
    wait_for(lambda: controller.parts.catalog_store.etag is not None, what="first catalog fetch")
    told: list[object] = []
    controller.subscribe_catalog(told.append)  # the screens rebuild their lists on this
    document = controller.catalog.to_document()
    document["services"][0]["name"]["en"] = "Renamed by the portal"
    sim.set_catalog(document)
    controller.refresh_catalog()
    assert controller.catalog.services[0].name("en") == "Renamed by the portal"
    assert told == [controller.catalog]
    controller.refresh_catalog()  # unchanged (304): nobody is told
    kept_etag = controller.parts.catalog_store.etag
    sim.set_catalog({"version": "broken", "categories": "not a list"})
    controller.refresh_catalog()
    assert controller.catalog.services[0].name("en") == "Renamed by the portal"
    assert told == [controller.catalog]
    assert controller.parts.catalog_store.etag == kept_etag


def test_payment_goes_through_the_configured_authoriser(kiosk) -> None:
    """A card terminal would be another PaymentAuthoriser; the desk and screens stay as they are."""
    controller, sim, _ = kiosk
    asked = []

    class DecliningTerminal:
        def authorise(self, token, *, idempotency_key, kind, item_ids, amount_gel, fee_gel):
            asked.append((kind, tuple(item_ids), amount_gel))
            return {"status": "declined", "reference": None, "reason": "card_declined"}

    controller.parts.payments = DecliningTerminal()
    login(controller)
    controller.navigate(State.SERVICE, category_id="fines", service_id="fines-pay")
    controller.load_lookup()
    wait_for(lambda: "lookup" in controller.visit_data, what="lookup")
    first = controller.visit_data["lookup"][0]
    controller.machine.form_completed({"item_ids": [first["id"]]})
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="payment result")
    assert controller.machine.visit.result["status"] == "payment_declined"
    assert asked == [("fines", (first["id"],), f"{float(first['amount_gel']):.2f}")]

"""The personal page's latest requests in the core (kiosk/requests.py, the controller).

This visit's requests still in the outbox are listed as waiting to be sent,
also when the portal cannot be reached; a delivery moves them on without
the citizen doing anything. A letter's answer comes with whom it went to,
its subject and its date. The window's side: tests/test_ui_requests.py.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from kiosk.catalog import load_bundled_catalog
from kiosk.config import Config
from kiosk.controller import KioskController, Parts
from kiosk.requests import (
    PARAGRAPH_CHARS,
    SUBMITTED,
    agency_name,
    answer_paragraphs,
    local_rows,
    merge,
    remember_submission,
)
from kiosk.session import State
from offline_queue.forwarder import ForwarderEvent
from tests.test_desk_flow import GOOD_BIRTH_FORM, login, started_kiosk, wait_for

LETTER_FORM = {"agency": "napr", "subject": "ჩემი საბუთები",
               "letter": "გთხოვთ, მაცნობოთ, სად არის ჩემი საბუთები.", "mobile": "555123456"}


class FakeOutbox:
    def __init__(self, entries: dict[str, Any]) -> None:
        self.entries = entries

    def get(self, ref: str) -> Any:
        return self.entries.get(ref)

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.entries.values())

    def can_accept(self, _min_free_mb: int) -> bool:
        return True


class FakeForwarder:
    def __init__(self) -> None:
        self.listeners: list[Any] = []

    def subscribe(self, listener: Any) -> Any:
        self.listeners.append(listener)
        return lambda: None

    def tell(self, item: Any) -> None:
        for listener in self.listeners:
            listener(item)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class FakePortal:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.asked = 0

    def citizen_transactions(self, _token: str) -> dict[str, Any]:
        self.asked += 1
        return {"items": list(self.items)}


def entry(ref: str, status: str, created: str, portal_ref: str | None = None) -> Any:
    return SimpleNamespace(local_ref=ref, status=status, service_id="letter-to-agency",
                           created_at=created, portal_ref=portal_ref)


def test_waiting_entries_join_the_portals_list_newest_first() -> None:
    outbox = FakeOutbox({
        "K-1": entry("K-1", "pending", "2026-03-01T10:05:00Z"),
        "K-2": entry("K-2", "in_flight", "2026-03-01T10:07:00Z"),
        "K-3": entry("K-3", "delivered", "2026-03-01T10:01:00Z", "MG-3"),
        "K-4": entry("K-4", "dead", "2026-03-01T10:08:00Z"),
    })
    local = local_rows(outbox, ["K-1", "K-2", "K-3", "K-4", "K-unknown"])
    assert [(r["reference"], r["status"]) for r in local] == [
        ("K-1", "queued"), ("K-2", "queued"), ("MG-3", "received")]
    portal = [{"reference": "MG-3", "status": "answered", "answer": "...",
               "received_at": "2026-03-01T10:01:30Z"},
              {"reference": "MG-0", "status": "received", "received_at": "2026-02-20T09:00:00Z"}]
    merged = merge(portal, local)
    # The portal's own row for the delivered one (it says "answered"); waiting ones on top.
    assert [(r["reference"], r["status"]) for r in merged] == [
        ("K-2", "queued"), ("K-1", "queued"), ("MG-3", "answered"), ("MG-0", "received")]
    # Portal unreachable: this visit's rows alone, the delivered one as the outbox knows it.
    assert [r["reference"] for r in merge(None, local)] == ["K-2", "K-1", "MG-3"]


def test_only_outbox_results_are_remembered() -> None:
    data: dict[str, Any] = {}
    remember_submission(data, {"local_ref": "K-1", "status": "queued"})
    remember_submission(data, {"local_ref": "K-1", "status": "queued"})
    remember_submission(data, {"local_ref": "PAY-1", "status": "approved"})  # a payment: never queued
    remember_submission(data, {"local_ref": "K-2", "status": "delivered"})
    assert data[SUBMITTED] == ["K-1", "K-2"]


def test_a_long_answer_is_cut_into_readable_pieces_without_losing_a_word() -> None:
    sentence = "თქვენი წერილი განვიხილეთ და გაცნობებთ შემდეგს. "
    text = "პირველი აბზაცი.\n\n" + sentence * 60 + "\r\nბოლო."
    pieces = answer_paragraphs(text)
    assert pieces[0] == "პირველი აბზაცი." and pieces[-1] == "ბოლო."
    assert len(pieces) > 3 and all(len(p) <= PARAGRAPH_CHARS for p in pieces)
    assert " ".join(pieces[1:-1]).split() == (sentence * 60).split()
    assert answer_paragraphs("x" * (PARAGRAPH_CHARS + 5)) == ["x" * PARAGRAPH_CHARS, "xxxxx"]


def test_agency_named_in_the_citizens_language() -> None:
    catalog = load_bundled_catalog()
    letter = {"service_id": "letter-to-agency", "agency": "napr"}
    assert agency_name(catalog, letter, "en") == catalog.agency("napr").name("en")
    assert agency_name(catalog, letter, "ka") == catalog.agency("napr").name("ka") != agency_name(
        catalog, letter, "en")
    # No agency chosen on the form: the service's own.
    appeal = {"service_id": "fine-appeal"}
    own = catalog.service("fine-appeal").agency
    assert agency_name(catalog, appeal, "en") == catalog.agency(own).name("en")


def test_a_delivery_of_this_visits_request_refreshes_the_list_unasked() -> None:
    outbox = FakeOutbox({"K-1": entry("K-1", "pending", "2026-03-01T10:05:00Z")})
    portal, forwarder = FakePortal(), FakeForwarder()
    controller = KioskController(Config(), Parts(portal=portal, outbox=outbox, forwarder=forwarder))
    controller.start()
    try:
        machine = controller.machine
        controller.start_password_login()
        assert machine.password_submitted()
        machine.authenticated({"personal_number": "01001012345"}, offline=False, token="t", first_login=False)
        remember_submission(machine.visit.data, {"local_ref": "K-1", "status": "queued"})
        controller.load_transactions()
        wait_for(lambda: rows(controller) == [("K-1", "queued")], what="the waiting row")
        asked = portal.asked
        forwarder.tell(ForwarderEvent("delivered", "K-other", "MG-9"))  # not this visit's
        outbox.entries["K-1"] = entry("K-1", "delivered", "2026-03-01T10:05:00Z", "MG-1")
        portal.items = [{"reference": "MG-1", "status": "received", "received_at": "2026-03-01T10:06:00Z"}]
        forwarder.tell(ForwarderEvent("delivered", "K-1", "MG-1"))
        wait_for(lambda: rows(controller) == [("MG-1", "received")], what="the row reaching the portal")
        assert portal.asked == asked + 1
    finally:
        controller.stop()


@pytest.fixture
def kiosk(tmp_path: Path, pki) -> Any:
    with started_kiosk(tmp_path, pki.dir) as (controller, sim, _printer):
        wait_for(lambda: controller.status.network_online, what="network online")
        yield controller, sim


def rows(controller: Any) -> list[tuple[str, str]]:
    return [(r["reference"], r["status"]) for r in controller.visit_data.get("transactions") or []]


def test_a_request_kept_offline_is_listed_as_waiting_then_as_reached(kiosk) -> None:
    controller, sim = kiosk
    login(controller)
    sim.set_fault("down")
    controller.parts.network.check_now()
    wait_for(lambda: not controller.status.network_online, what="offline")
    controller.navigate(State.SERVICE, service_id="birth-certificate-repeat")
    assert controller.submit_form(GOOD_BIRTH_FORM) == {}
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="result")
    local_ref = controller.machine.visit.result["local_ref"]
    assert controller.machine.visit.result["status"] == "queued"
    controller.navigate(State.HOME)
    controller.load_transactions()
    wait_for(lambda: rows(controller) == [(local_ref, "queued")], what="the waiting row")
    assert controller.visit_data["transactions_error"] == "online_only_offline"
    sim.set_fault("none")  # the forwarder delivers; nobody asks the page to load again
    wait_for(lambda: rows(controller) and rows(controller)[0][1] == "received", timeout=15,
             what="the row reaching the portal")
    portal_ref = requests.get(sim.url + "/_sim/transactions", timeout=5).json()["items"][-1]["reference"]
    assert rows(controller)[0] == (portal_ref, "received")
    assert "transactions_error" not in controller.visit_data
    controller.logout()
    assert controller.machine.visit.data == {}


def test_the_page_that_could_not_show_the_portals_list_loads_it_when_the_network_returns(kiosk) -> None:
    """No request waiting, only the portal's list missing: the network coming back reloads it."""
    controller, sim = kiosk
    login(controller)
    sim.set_fault("down")
    controller.parts.network.check_now()
    wait_for(lambda: not controller.status.network_online, what="offline")
    controller.load_transactions()
    wait_for(lambda: controller.visit_data.get("transactions_error") == "online_only_offline",
             what="the page told the list cannot be shown")
    sim.set_fault("none")
    wait_for(lambda: "transactions_error" not in controller.visit_data, timeout=10,
             what="the list loaded again by itself")
    controller.logout()


def test_a_letters_answer_comes_with_agency_subject_and_date(kiosk) -> None:
    controller, sim = kiosk
    requests.post(sim.url + "/_sim/settings", json={"letter_answer_delay_s": 0}, timeout=5)
    login(controller)
    controller.navigate(State.SERVICE, service_id="letter-to-agency")
    assert controller.submit_form(LETTER_FORM) == {}
    controller.confirm()
    wait_for(lambda: controller.machine.state == State.RESULT, what="result")
    reference = controller.machine.visit.result["portal_ref"]
    controller.navigate(State.HOME)
    controller.load_transactions()
    wait_for(lambda: bool(rows(controller)), what="the list")
    item = controller.visit_data["transactions"][0]
    assert item["reference"] == reference and item["status"] == "answered"
    assert "განხილულია" in item["answer"]
    assert (item["agency"], item["subject"]) == ("napr", "ჩემი საბუთები")
    assert item["answered_at"].endswith("Z")
    # Whom a letter went to and about what is the citizen's: never by reference alone.
    public = requests.get(f"{sim.url}/v1/transactions/{reference}", timeout=5).json()
    assert "subject" not in public and "agency" not in public

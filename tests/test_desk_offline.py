"""An offline session may only queue work: the desk asks the session, not just the token.

An offline card login carries no portal token today, so "no token" already
stops lookups and payments. The desk still checks ``visit.offline`` itself,
so that a token that outlived its portal check (a stale one, or a future
login path that keeps one) never lets an offline session spend money. Here
the offline visit is given a token on purpose and a stand-in portal records
every call; the end-to-end path over PC/SC is tests/test_card_kiosk.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kiosk.catalog import load_bundled_catalog
from kiosk.config import Config
from kiosk.controller import KioskController, Parts
from kiosk.session import State


@dataclass
class LoginOk:
    citizen: dict
    offline: bool = True
    token: str | None = "stale-token"
    first_login: bool = False


class Card:
    def pin_tries_left(self) -> int:
        return 3


class RecordingPortal:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def lookup(self, token: str, kind: str) -> dict:
        self.calls.append(f"lookup {kind}")
        return {"items": [{"id": "F1", "description": "a fine", "amount_gel": "10.00"}]}

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        def call(*_args: object, **_kwargs: object) -> dict:
            self.calls.append(name)
            return {"status": "approved", "reference": "PAY-1"}

        return call


def wait_for(predicate, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached")


def offline_visit_on_fines() -> tuple[KioskController, RecordingPortal]:
    portal = RecordingPortal()
    citizen = {"personal_number": "01001012345", "given_name": "ნინო", "surname": "ბერიძე"}
    controller = KioskController(Config(), Parts(login=lambda *_: LoginOk(citizen), portal=portal,
                                                   catalog=load_bundled_catalog()))
    controller.on_reader_status("ready", Card(), "s1")
    wait_for(lambda: controller.machine.state == State.PIN)
    controller.submit_pin(bytearray(b"1234"))
    wait_for(lambda: controller.machine.state == State.HOME)
    assert controller.machine.visit.offline and controller.machine.visit.token == "stale-token"
    assert controller.navigate(State.SERVICE, category_id="payments", service_id="fines-pay")
    return controller, portal


def test_offline_session_with_a_token_is_not_given_a_lookup():
    controller, portal = offline_visit_on_fines()
    try:
        controller.load_lookup()
        wait_for(lambda: "lookup_error" in controller.visit_data or "lookup" in controller.visit_data)
        assert controller.visit_data.get("lookup_error") == "online_only_offline"
        assert portal.calls == []
    finally:
        controller.stop()


def test_offline_session_with_a_token_cannot_pay():
    controller, portal = offline_visit_on_fines()
    try:
        # Items a stale screen still shows: the desk must refuse, not the lack of items.
        controller.visit_data["lookup"] = [{"id": "F1", "description": "a fine", "amount_gel": "10.00"}]
        assert controller.select_items(["F1"])
        assert controller.machine.state == State.CONFIRM
        controller.confirm()
        wait_for(lambda: controller.machine.reason == "online_only_offline")
        assert controller.machine.state == State.CONFIRM
        assert portal.calls == []
    finally:
        controller.stop()

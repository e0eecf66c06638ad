"""A visit through the real window: the PIN pad, wrong PINs, errors, the idle time-out and the wipe.

The card is the pretend one of tests/ui_fake_controller.py (PIN 1234),
inserted through the socket's `demo` command; the controller and the visit
machine are the real ones.
"""

from __future__ import annotations

import json
import time

import pytest

from kiosk.i18n import translate
from tests.secret_search import holds_secret
from tests.ui_fake_controller import CITIZEN
from tests.xvfb import run_kiosk

pytestmark = pytest.mark.ui


@pytest.fixture
def kiosk(ui_kiosk):
    """The kiosk window at its attract screen (tests/xvfb.py)."""
    return ui_kiosk


def enter_pin(kiosk, pin: str) -> None:
    kiosk.ok({"cmd": "type", "id": "pin-input", "text": pin})
    kiosk.tap("pin-ok")


def log_in(kiosk) -> None:
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    enter_pin(kiosk, "1234")
    kiosk.wait(screen="home")


def personal_data_shown(kiosk) -> list[str]:
    """Every visible text (and the raw answer) that carries the citizen's name or number."""
    state = kiosk.state()
    secrets = (CITIZEN["given_name"], CITIZEN["surname"], CITIZEN["personal_number"])
    found = [w["id"] for w in state["widgets"] if any(s in w["text"] for s in secrets)]
    raw = json.dumps(state, ensure_ascii=False)
    found += [s for s in secrets if s in raw]
    return found


def personal_data_held(kiosk) -> list[str]:
    """The citizen's name or number in any live widget's text, on screen or not."""
    secrets = (CITIZEN["given_name"], CITIZEN["surname"], CITIZEN["personal_number"])
    return [text for text in kiosk.ok({"cmd": "held_texts"})["texts"] if any(s in text for s in secrets)]


def test_pin_field_reports_only_its_length(kiosk) -> None:
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    answer = kiosk.send({"cmd": "tap", "id": "pin-5"})
    # The key lights up at once, so a tap is never in doubt.
    assert answer.get("highlighted") is True, answer
    keys = {w["id"]: w for w in kiosk.state()["widgets"]}
    assert not keys["pin-4"]["highlighted"], "only the tapped key lights up"
    kiosk.tap("pin-clear")
    kiosk.ok({"cmd": "type", "id": "pin-input", "text": "73"})
    pin_field = next(w for w in kiosk.state()["widgets"] if w["id"] == "pin-input")
    assert pin_field == {**pin_field, "kind": "input", "text": "••", "length": 2}
    assert kiosk.send({"cmd": "tap", "id": "pin-ok"})["error"] == "disabled"  # 4 digits needed
    kiosk.ok({"cmd": "type", "id": "pin-input", "text": "7373"})  # a fifth digit is refused
    assert next(w for w in kiosk.state()["widgets"] if w["id"] == "pin-input")["length"] == 4
    kiosk.tap("pin-clear")
    assert next(w for w in kiosk.state()["widgets"] if w["id"] == "pin-input")["text"] == ""
    kiosk.tap("pin-cancel")
    kiosk.wait(screen="attract")
    assert not holds_secret(kiosk.log_path.read_text(), "7373")


def test_wrong_pins_count_down_then_block(kiosk) -> None:
    kiosk.tap("lang-en")
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    assert kiosk.texts()["pin-tries"] == "Tries left: 3"
    enter_pin(kiosk, "0000")
    kiosk.wait(screen="authenticating")
    kiosk.wait(screen="pin")
    assert kiosk.texts()["pin-tries"] == "Wrong PIN. Tries left: 2"
    enter_pin(kiosk, "0000")
    kiosk.wait(screen="authenticating")
    kiosk.wait(screen="pin")
    assert kiosk.texts()["pin-tries"] == "Wrong PIN. Tries left: 1"
    enter_pin(kiosk, "0000")
    kiosk.wait(screen="pin_blocked")
    texts = kiosk.texts()
    assert "PUK" in texts["pin_blocked-body"] and "counter" in texts["pin_blocked-body"]
    kiosk.tap("pin-blocked-ok")
    kiosk.wait(screen="attract")


@pytest.mark.parametrize("reason", ["card_expired", "card_revoked"])
def test_error_screens_say_what_to_do_and_end_the_visit(kiosk, reason: str) -> None:
    kiosk.ok({"cmd": "demo", "action": "fail_next_card", "args": {"reason": reason}})
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    enter_pin(kiosk, "1234")
    kiosk.wait(screen="error")
    texts = kiosk.texts()
    from screens.texts import error_text

    title, body = error_text(reason)
    assert texts["error-title"] == translate("ka", title)
    assert texts["error-body"] == translate("ka", body) and "ოპერატორ" in texts["error-body"]
    kiosk.tap("error-ok")
    kiosk.wait(screen="attract")


def test_unreadable_card_shows_its_error(kiosk) -> None:
    kiosk.ok({"cmd": "demo", "action": "fail_next_card", "args": {"reason": "card_error"}})
    kiosk.wait(screen="error")
    assert kiosk.texts()["error-title"] == translate("ka", "Your card could not be read")


def test_pulling_the_card_wipes_the_personal_page(kiosk) -> None:
    log_in(kiosk)
    assert kiosk.texts()["home-greeting"] == f"გამარჯობა, {CITIZEN['given_name']} {CITIZEN['surname']}"
    assert personal_data_shown(kiosk)  # the search below can find them
    assert personal_data_held(kiosk)
    kiosk.ok({"cmd": "demo", "action": "remove_card"})
    kiosk.wait(screen="attract")
    assert personal_data_shown(kiosk) == []
    assert personal_data_held(kiosk) == [], "the widget tree still holds the last citizen"


def test_idle_warning_extends_then_times_out_and_wipes(xvfb_display, tmp_path) -> None:
    # The machine's clock runs 5x: 30 s idle = 6 s, the 20 s warning = 4 s.
    with run_kiosk(xvfb_display, tmp_path / "idle", clock_speed=5,
                   idle_timeout_s=30, idle_warning_s=20) as kiosk:
        log_in(kiosk)
        kiosk.wait(overlay="idle_warning", timeout_s=10)
        state = kiosk.state()
        assert state["screen"] == "home" and state["overlays"] == ["idle_warning"]
        texts = {w["id"]: w for w in state["widgets"]}
        assert texts["continue"]["enabled"] and int(texts["warning-seconds"]["text"]) <= 20
        kiosk.tap("continue")
        assert kiosk.state()["overlays"] == []
        assert personal_data_shown(kiosk)  # still the citizen's visit
        kiosk.wait(overlay="idle_warning", timeout_s=10)
        kiosk.wait(screen="attract", timeout_s=10)
        time.sleep(0.3)
        state = kiosk.state()
        assert state["overlays"] == []
        assert personal_data_shown(kiosk) == []
        assert personal_data_held(kiosk) == [], "the widget tree still holds the last citizen"


def test_out_of_service_sends_citizens_to_the_counter(xvfb_display, tmp_path) -> None:
    with run_kiosk(xvfb_display, tmp_path / "oos", first_screen="out_of_service",
                   extra_env={"KIOSK_UI_OUT_OF_SERVICE": "configuration"}) as kiosk:
        state = kiosk.state()
        # Nothing to press (the demo strip's buttons stand in for the world, not the kiosk), but
        # the reading aids (voice guide, large text, contrast) that every screen has.
        buttons = [w for w in state["widgets"] if w["kind"] == "button"
                   and not w["id"].startswith(("demo-", "a11y-", "voice-guide"))]
        assert buttons == []
        texts = kiosk.texts()
        assert texts["out_of_service-title"] == "კიოსკი დროებით არ მუშაობს"
        assert "ოპერატორ" in texts["out_of_service-body"]
        kiosk.ok({"cmd": "demo", "action": "insert_card"})  # a card does not start a visit
        time.sleep(0.5)
        assert kiosk.state()["screen"] == "out_of_service"

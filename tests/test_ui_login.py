"""Password login and the first login's contact details, through the window and the portal simulator.

Wrong password: the portal's sentence on the same screen, nothing kept.
Portal down: said at once, on the same screen. First login: a bad mobile
number and e-mail are marked next to their fields; good ones reach the
portal's profile and the personal page shows them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kiosk.i18n import translate
from kiosk.portal.reasons import citizen_message
from screens.texts import ERRORS
from tests.ui_sim_controller import PASSWORD, USERNAME, SimKiosk, sim_kiosk

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def sk(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimKiosk]:
    with sim_kiosk(xvfb_display, tmp_path_factory.mktemp("login")) as running:
        yield running


def type_in(kiosk: Any, field: str, text: str) -> None:
    kiosk.ok({"cmd": "type", "id": f"field-{field}", "text": text})


def wait_text(kiosk: Any, widget_id: str, timeout_s: float = 10) -> str:
    deadline = time.monotonic() + timeout_s
    while not (text := kiosk.texts().get(widget_id)):
        assert time.monotonic() < deadline, f"{widget_id} never showed"
        time.sleep(0.05)
    return text


def test_portal_down_is_said_on_the_password_screen(sk: SimKiosk) -> None:
    kiosk = sk.kiosk
    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    sk.sim.set_fault("down")
    try:
        time.sleep(1.5)  # the network monitor checks every 0.3 s
        type_in(kiosk, "username", USERNAME)
        type_in(kiosk, "password", PASSWORD)
        kiosk.tap("submit")
        assert wait_text(kiosk, "password-message") == translate("ka", ERRORS["portal_offline"][1])
        assert kiosk.state()["screen"] == "password"
    finally:
        sk.sim.set_fault("none")
    kiosk.tap("cancel")
    kiosk.wait(screen="attract")


def test_wrong_password_then_first_login_with_checked_contacts(sk: SimKiosk) -> None:
    kiosk = sk.kiosk
    time.sleep(1.0)  # the portal is back
    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    keys = {w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("keyboard-")}
    assert keys == set(), "no keyboard until a field is touched"
    type_in(kiosk, "username", USERNAME)
    keys = {w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("keyboard-")}
    assert {"keyboard-q", "keyboard-layout-ka", "keyboard-layout-ru", "keyboard-space"} <= keys
    kiosk.tap("keyboard-layout-ka")  # the Georgian layout is one tap away
    assert "keyboard-ქ" in {w["id"] for w in kiosk.state()["widgets"]}
    type_in(kiosk, "password", "not-the-password")
    field = next(w for w in kiosk.state()["widgets"] if w["id"] == "field-password")
    assert set(field["text"]) == {"•"}, "the password is never reported"
    kiosk.tap("submit")
    assert wait_text(kiosk, "password-message") == translate("ka", citizen_message("bad_credentials"))
    texts = kiosk.texts()
    assert kiosk.state()["screen"] == "password" and texts["field-password"] == ""
    assert texts["field-username"] == USERNAME
    type_in(kiosk, "password", PASSWORD)
    kiosk.tap("submit")
    kiosk.wait(screen="first_login")
    type_in(kiosk, "mobile", "123")
    type_in(kiosk, "email", "nino-at-example")
    kiosk.tap("submit")
    texts = kiosk.texts()
    assert texts["field-mobile-error"] == "▲ " + translate(
        "ka", "A mobile number is +995 and 9 digits starting with 5")
    assert texts["field-email-error"].startswith("▲ ") and kiosk.state()["screen"] == "first_login"
    keys = {w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith("keyboard-")}
    assert "keyboard-@" in keys, "the e-mail field opened the e-mail layout"
    for _ in range(len("nino-at-example")):
        kiosk.tap("keyboard-backspace")
    type_in(kiosk, "email", "nino@example.ge")
    type_in(kiosk, "mobile", "")
    for _ in range(3):
        kiosk.tap("keyboard-backspace")
    type_in(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    kiosk.wait(screen="home")
    deadline = time.monotonic() + 5
    while "+995555123456" not in kiosk.texts().get("home-details", ""):
        assert time.monotonic() < deadline, kiosk.texts().get("home-details")
        time.sleep(0.1)
    assert "nino@example.ge" in kiosk.texts()["home-details"]
    login = requests.post(sk.sim.url + "/v1/auth/password", timeout=5,
                          json={"username": USERNAME, "password": PASSWORD}).json()
    assert login["citizen"]["mobile"] == "+995555123456" and not login["first_login"]
    kiosk.tap("logout")
    kiosk.wait(screen="attract")
    assert "ნინო" not in str(kiosk.state())

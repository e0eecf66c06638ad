"""Steps a citizen takes on the service screens, shared by the service UI test modules.

Each module runs its own kiosk (tests/ui_sim_controller.py: portal simulator,
printer stand-in, password login) and uses these to move through it the
way tests/test_ui_services.py always has.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kiosk.i18n import translate
from tests.ui_sim_controller import PASSWORD, USERNAME, SimKiosk

CITIZEN_NUMBER = "01001012345"  # the simulator's seeded "demo" account


def log_in(kiosk: Any) -> None:
    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    kiosk.ok({"cmd": "type", "id": "field-username", "text": USERNAME})
    kiosk.ok({"cmd": "type", "id": "field-password", "text": PASSWORD})
    kiosk.tap("submit")
    kiosk.wait(screen="first_login")
    kiosk.ok({"cmd": "type", "id": "field-mobile", "text": "555123456"})
    kiosk.ok({"cmd": "type", "id": "field-email", "text": "nino@example.ge"})
    kiosk.tap("submit")
    kiosk.wait(screen="home")


def back_home(kiosk: Any) -> None:
    """Whatever a test left on screen, the personal page again (for the next test)."""
    state = kiosk.state()
    if state["screen"] != "home":
        if any(w["id"] == "home" for w in state["widgets"]):
            kiosk.tap("home")
        kiosk.wait(screen="home")


def typed(kiosk: Any, field: str, text: str) -> None:
    kiosk.ok({"cmd": "type", "id": f"field-{field}", "text": text})


def open_service(kiosk: Any, category: str, service: str) -> None:
    kiosk.tap(f"category-{category}")
    kiosk.wait(screen="category")
    kiosk.tap(f"service-{service}")
    kiosk.wait(screen="service")


def texts_when(kiosk: Any, widget_id: str, timeout_s: float = 5) -> dict[str, str]:
    """The visible texts once ``widget_id`` shows (taps inside lists act a moment later)."""
    return texts_until(kiosk, lambda texts: widget_id in texts, timeout_s)


def texts_until(kiosk: Any, done: Callable[[dict[str, str]], bool], timeout_s: float) -> dict[str, str]:
    """The visible texts once ``done(texts)``, or the last ones seen after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        texts = kiosk.texts()
        if done(texts) or time.monotonic() > deadline:
            return texts
        time.sleep(0.05)


def send_and_check(sk: SimKiosk, service_id: str) -> dict[str, Any]:
    """From the confirm screen: send, see the result with its QR code; what the portal got."""
    kiosk = sk.kiosk
    kiosk.wait(screen="confirm")
    before = len(sk.received())
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=15)
    state = kiosk.state()
    widgets = {w["id"]: w for w in state["widgets"]}
    assert widgets["result-status"]["text"] == translate("ka", "Your request has reached the citizen portal")
    assert widgets["result-qr"]["kind"] == "image" and widgets["result-qr"]["rect"][3] > 100
    assert "MG-" in widgets["result-references"]["text"]
    assert widgets["result-receipt"]["text"] == translate(
        "ka", "Take your receipt from the printer below the screen.")
    received = sk.received()
    assert len(received) == before + 1
    request = received[-1]["request"]
    assert request["service_id"] == service_id and request["personal_number"] == CITIZEN_NUMBER
    return request["values"]

"""Every screen a citizen can reach, through the real window, against the accessibility rules.

`kiosk.accessibility.check_state` at the configured DPI (letters >= 4.8 mm,
targets >= 15 mm, essential controls low on the portrait screen, nothing
off screen) on each screen and overlay, in Georgian and another language,
and again with large text on. The card screens run over the pretend card
(tests/ui_fake_controller.py); the password, first-login and service
screens over the portal simulator (tests/ui_sim_controller.py). Large text
and high contrast must change what is drawn and be gone after the visit.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kiosk.accessibility import check_state, errors, missing_translations
from tests.ui_sim_controller import PASSWORD, USERNAME, sim_kiosk
from tests.xvfb import run_kiosk

pytestmark = pytest.mark.ui


# Rows of scrolling lists and forms: one cut by the list's lower edge is reported
# off screen, but a citizen scrolls to it (the driver does too before a tap).
SCROLLED = ("service-", "field-")


def violations(kiosk: Any, where: str) -> list[str]:
    """The rule errors of what is shown now, named by where we are (advice left out)."""
    state = kiosk.state()
    found = []
    for v in errors(check_state(state, state["dpi"])):
        if v.rule == "off_screen" and v.widget_id.startswith(SCROLLED):
            continue
        found.append(f"{where} [{state['language']}]: {v}")
    return found


def both_sizes(kiosk: Any, where: str) -> list[str]:
    """The screen checked at normal size, then with large text on, then back."""
    found = violations(kiosk, where)
    kiosk.tap("a11y-large-text")
    found += violations(kiosk, where + " (large text)")
    kiosk.tap("a11y-large-text")
    return found


def test_every_citizen_string_has_georgian_english_and_russian() -> None:
    assert [str(m) for m in missing_translations()] == []


def test_card_screens_and_overlays_meet_the_rules(xvfb_display: str, tmp_path: Path) -> None:
    found: list[str] = []
    with run_kiosk(xvfb_display, tmp_path / "card") as kiosk:
        for lang in ("ka", "en"):
            kiosk.tap(f"lang-{lang}")
            found += both_sizes(kiosk, "attract")
            kiosk.tap("help")
            kiosk.wait(overlay="help_overlay")
            found += both_sizes(kiosk, "help overlay")
            kiosk.tap("help-close")
        kiosk.tap("lang-ka")
        kiosk.ok({"cmd": "demo", "action": "insert_card", "args": {"tries_left": 3}})
        kiosk.wait(screen="pin")
        found += both_sizes(kiosk, "pin")
        kiosk.ok({"cmd": "type", "id": "pin-input", "text": "9999"})
        kiosk.tap("pin-ok")
        deadline = time.monotonic() + 10
        while kiosk.texts().get("pin-tries", "") == "" or kiosk.state()["screen"] != "pin":
            assert time.monotonic() < deadline, "no wrong-PIN screen"
            time.sleep(0.1)
        found += both_sizes(kiosk, "pin, wrong PIN")
        kiosk.ok({"cmd": "type", "id": "pin-input", "text": "1234"})
        kiosk.tap("pin-ok")
        kiosk.wait(screen="home")
        found += both_sizes(kiosk, "home")
        kiosk.tap("logout")
        kiosk.wait(screen="attract")
        kiosk.ok({"cmd": "demo", "action": "remove_card"})
        kiosk.ok({"cmd": "demo", "action": "fail_next_card", "args": {"reason": "card_expired"}})
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")
        kiosk.ok({"cmd": "type", "id": "pin-input", "text": "1234"})
        kiosk.tap("pin-ok")
        kiosk.wait(screen="error")
        found += both_sizes(kiosk, "error")
        kiosk.tap("error-ok")
        kiosk.wait(screen="attract")
        kiosk.ok({"cmd": "demo", "action": "remove_card"})
        kiosk.ok({"cmd": "demo", "action": "insert_card", "args": {"tries_left": 1}})
        kiosk.wait(screen="pin")
        kiosk.ok({"cmd": "type", "id": "pin-input", "text": "9999"})
        kiosk.tap("pin-ok")
        kiosk.wait(screen="pin_blocked")
        found += both_sizes(kiosk, "pin_blocked")
    assert found == [], "\n".join(found)


def test_idle_warning_and_out_of_service_meet_the_rules(xvfb_display: str, tmp_path: Path) -> None:
    found: list[str] = []
    with run_kiosk(xvfb_display, tmp_path / "idle", clock_speed=5, idle_timeout_s=30,
                   idle_warning_s=20) as kiosk:
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")
        kiosk.wait(overlay="idle_warning", timeout_s=10)
        found += violations(kiosk, "idle warning")
    with run_kiosk(xvfb_display, tmp_path / "oos", first_screen="out_of_service",
                   extra_env={"KIOSK_UI_OUT_OF_SERVICE": "configuration"}) as kiosk:
        found += both_sizes(kiosk, "out_of_service")
    assert found == [], "\n".join(found)


def test_service_screens_meet_the_rules(xvfb_display: str, tmp_path: Path) -> None:
    found: list[str] = []
    with sim_kiosk(xvfb_display, tmp_path / "services") as sk:
        kiosk = sk.kiosk
        kiosk.tap("password-login")
        kiosk.wait(screen="password")
        found += both_sizes(kiosk, "password")
        kiosk.ok({"cmd": "type", "id": "field-username", "text": USERNAME})
        kiosk.ok({"cmd": "type", "id": "field-password", "text": PASSWORD})
        kiosk.tap("submit")
        kiosk.wait(screen="first_login")
        found += both_sizes(kiosk, "first_login")
        kiosk.ok({"cmd": "type", "id": "field-mobile", "text": "555123456"})
        kiosk.ok({"cmd": "type", "id": "field-email", "text": "nino@example.ge"})
        kiosk.tap("submit")
        kiosk.wait(screen="home")
        found += both_sizes(kiosk, "home")
        kiosk.tap("edit-contact")
        kiosk.wait(overlay="contact_editor")
        found += both_sizes(kiosk, "contact editor")
        kiosk.tap("field-mobile")  # the keyboard opens below the fields and pushes them up
        found += violations(kiosk, "contact editor with the keyboard")
        kiosk.tap("cancel-contact")
        deadline = time.monotonic() + 5
        while kiosk.state()["overlays"]:
            assert time.monotonic() < deadline, "the contact editor did not close"
            time.sleep(0.1)
        kiosk.tap("category-personal")
        kiosk.wait(screen="category")
        found += both_sizes(kiosk, "category")
        kiosk.tap("service-birth-certificate-repeat")
        kiosk.wait(screen="service")
        found += both_sizes(kiosk, "service")
        kiosk.tap("field-person_personal_number")  # the keyboard: the form's area is smaller
        found += violations(kiosk, "service with the keyboard")
        kiosk.tap("home")
        kiosk.wait(screen="home")
        kiosk.tap("help")
        kiosk.wait(screen="help")
        found += both_sizes(kiosk, "help")
    assert found == [], "\n".join(found)


def shot(kiosk: Any, path: Path) -> Image.Image:
    kiosk.ok({"cmd": "screenshot", "path": str(path)})
    return Image.open(io.BytesIO(path.read_bytes())).convert("RGB")


def test_large_text_and_contrast_change_the_screen_and_end_with_the_visit(xvfb_display: str,
                                                                        tmp_path: Path) -> None:
    with run_kiosk(xvfb_display, tmp_path / "aids") as kiosk:
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")
        plain = shot(kiosk, tmp_path / "plain.png")
        fonts = {w["id"]: w["font_px"] for w in kiosk.state()["widgets"] if w.get("font_px")}
        kiosk.tap("a11y-large-text")
        large = {w["id"]: w["font_px"] for w in kiosk.state()["widgets"] if w.get("font_px")}
        assert large["pin-title"] == pytest.approx(fonts["pin-title"] * 1.35, rel=0.01)
        assert large["pin-cancel"] > fonts["pin-cancel"]
        kiosk.tap("a11y-contrast")
        contrast = shot(kiosk, tmp_path / "contrast.png")
        assert contrast.getpixel((5, 200)) == (0, 0, 0)  # the black page
        assert plain.getpixel((5, 200)) != (0, 0, 0)
        kiosk.tap("pin-cancel")  # the visit ends: the next citizen gets the kiosk as it normally is
        kiosk.wait(screen="attract")
        time.sleep(0.3)
        after = {w["id"]: w for w in kiosk.state()["widgets"]}
        assert after["a11y-large-text"]["text"] == "დიდი ტექსტი"  # no check mark: off
        kiosk.ok({"cmd": "demo", "action": "remove_card"})
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")
        again = {w["id"]: w["font_px"] for w in kiosk.state()["widgets"] if w.get("font_px")}
        assert again["pin-title"] == fonts["pin-title"]
        assert shot(kiosk, tmp_path / "again.png").getpixel((5, 200)) == plain.getpixel((5, 200))


def test_every_error_says_what_to_do_next_and_where_to_go() -> None:
    from screens.texts import DEFAULT_ERROR, ERRORS, error_text

    for reason in ("pin_error", "challenge_expired", "revocation_unknown", "bad_signature"):
        assert error_text(reason) != DEFAULT_ERROR, reason  # kiosk/login.py's reasons get their own words
    for _title, body in [*ERRORS.values(), DEFAULT_ERROR]:
        assert "counter" in body or "insert" in body, body  # a next step, or where help is

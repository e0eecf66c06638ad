"""The real window, in Georgian, against the accessibility rules: attract and PIN screens.

Runs the app under Xvfb exactly as tests/test_ui_shell.py does (the
`ui_kiosk` fixture of tests/xvfb.py) and checks the `state` answer at the configured DPI.
"""

from __future__ import annotations

import pytest

from kiosk.accessibility import check_state
from kiosk.speech import FocusRing

pytestmark = pytest.mark.ui


def test_attract_and_pin_screens_meet_size_and_reach_rules_in_georgian(ui_kiosk) -> None:
    kiosk = ui_kiosk
    attract = kiosk.state()
    assert attract["screen"] == "attract" and attract["language"] == "ka"
    assert [str(v) for v in check_state(attract, attract["dpi"])] == []
    # A listener can reach every control of the attract screen with the keys, language first.
    ring = FocusRing(attract["widgets"])
    assert [w["id"] for w in ring.controls][:5] == ["lang-ka", "lang-en", "lang-ru", "password-login", "help"]
    kiosk.ok({"cmd": "demo", "action": "insert_card"})
    kiosk.wait(screen="pin")
    pin = kiosk.state()
    assert pin["language"] == "ka"
    assert [str(v) for v in check_state(pin, pin["dpi"])] == []
    assert [w["id"] for w in FocusRing(pin["widgets"]).controls if w["id"].startswith("pin-")] == [
        "pin-input", "pin-clear", "pin-cancel"]  # the field tells how many digits are in; OK is
    # disabled until 4 digits; digit keys are never in the ring (they come from the tactile keypad)

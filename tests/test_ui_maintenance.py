"""The hidden maintenance screen, through the glass: the real window under Xvfb, driven by socket.

The kiosk runs as `kiosk run` builds it (tests/ui_maint_controller.py):
real controller, outbox, printer client and audit log over the portal
simulator and the printer stand-in, and a real `Maintenance` whose gate's
clock runs 3x fast so a 30 s lockout passes in 10 s.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.audit import AuditLog
from tests.secret_search import holds_secret
from tests.ui_maint_controller import TECH_PIN
from tests.xvfb import REPO, KioskUnderTest, run_kiosk, screenshot

WRONG = "1357"


def corner(kiosk: KioskUnderTest) -> tuple[int, int]:
    """A point inside the hidden 15 mm top-right square (top-left origin, like the driver)."""
    width, _height = kiosk.state()["window"]
    return width - 12, 12


def long_press(kiosk: KioskUnderTest, seconds: float = 3.2, point: tuple[int, int] | None = None) -> None:
    x, y = point or corner(kiosk)
    kiosk.ok({"cmd": "long_press", "x": x, "y": y, "seconds": seconds})


def type_pin(kiosk: KioskUnderTest, pin: str, seen: list[dict[str, Any]] | None = None) -> None:
    """Tap the digits and OK; with ``seen``, keep what the socket showed after each digit."""
    for digit in pin:
        kiosk.tap(f"tech-pin-{digit}")
        if seen is not None:
            seen.append(kiosk.state())
    kiosk.tap("tech-pin-ok")


def message_when(kiosk: KioskUnderTest, predicate: Any, timeout_s: float = 10.0) -> str:
    """The PIN pad's message once ``predicate(message)`` holds (the check runs on a worker)."""
    deadline = time.monotonic() + timeout_s
    while True:
        message = kiosk.texts().get("tech-pin-message", "")
        if predicate(message) or time.monotonic() > deadline:
            return message
        time.sleep(0.1)


def seconds_in(message: str) -> int:
    found = re.search(r"Try again in (\d+) s", message)
    assert found, message
    return int(found.group(1))


def text_when(kiosk: KioskUnderTest, widget_id: str, predicate: Any, timeout_s: float = 20.0) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        text = kiosk.texts().get(widget_id, "")
        if predicate(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


@pytest.fixture
def sim_kiosk(xvfb_display: str, tmp_path: Path) -> Any:
    with run_kiosk(xvfb_display, tmp_path / "kiosk", factory="tests.ui_maint_controller:build_sim",
                   extra_env={"KIOSK_UI_GATE_SPEED": "3"}) as running:
        yield running


def test_door_lockout_screen_actions_audit_and_leave(sim_kiosk: KioskUnderTest) -> None:
    kiosk = sim_kiosk
    seen: list[dict[str, Any]] = []
    kiosk.tap("lang-en")  # the assertions below read English
    attract = kiosk.state()
    assert not [w["id"] for w in attract["widgets"] if w["id"].startswith(("tech-", "maint-"))], \
        "nothing on the citizen's screen hints at the door"

    # A short press in the corner, or a long one elsewhere, opens nothing.
    long_press(kiosk, seconds=0.6)
    width, height = attract["window"]
    long_press(kiosk, point=(width // 2, height // 2))
    assert kiosk.state()["overlays"] == []

    long_press(kiosk)
    pad = kiosk.state()
    assert pad["overlays"] == ["maintenance_pin"] and pad["screen"] == "attract"
    ids = {w["id"] for w in pad["widgets"]}
    assert {f"tech-pin-{d}" for d in range(10)} | {"tech-pin-ok", "tech-pin-cancel", "tech-pin-input"} <= ids
    kiosk.tap("tech-pin-1")
    kiosk.tap("tech-pin-3")
    assert kiosk.texts()["tech-pin-input"] == "••"
    screenshot(kiosk, "maintenance-pin.png")
    kiosk.tap("tech-pin-clear")

    # Three wrong PINs: tries before the lockout, then the lockout with a countdown.
    type_pin(kiosk, WRONG, seen)
    assert "2 more tries" in message_when(kiosk, lambda m: "tries" in m)
    type_pin(kiosk, WRONG)
    assert "1 more tries" in message_when(kiosk, lambda m: "1 more" in m)
    type_pin(kiosk, WRONG)
    locked = message_when(kiosk, lambda m: "Try again in" in m)
    assert 0 < seconds_in(locked) <= 30, locked
    # The right PIN is refused while locked (the gate does not even check it).
    type_pin(kiosk, TECH_PIN)
    refused = message_when(kiosk, lambda m: "Checking" not in m)
    assert "Try again in" in refused and kiosk.state()["screen"] == "attract", refused
    later = message_when(kiosk, lambda m: m != locked)
    assert later == "" or seconds_in(later) < seconds_in(locked), (locked, later)
    assert message_when(kiosk, lambda m: m == "", timeout_s=14) == "", "the lockout ends"

    type_pin(kiosk, TECH_PIN, seen)
    kiosk.wait(screen="maintenance")
    for state in seen:  # every state while the PIN was typed: bullets and a length only
        pin_box = next(w for w in state["widgets"] if w["id"] == "tech-pin-input")
        assert set(pin_box["text"]) <= {"•"} and pin_box["length"] == len(pin_box["text"])
        assert not holds_secret(json.dumps(state), TECH_PIN) and not holds_secret(json.dumps(state), WRONG)

    # The status, refreshed from the real parts.
    assert "ready" in text_when(kiosk, "maint-printer", lambda t: "ready" in t)
    assert "reachable" in text_when(kiosk, "maint-portal", lambda t: "reachable" in t)
    texts = kiosk.texts()
    assert "0 waiting" in texts["maint-queue"] and "0 dead letters" in texts["maint-queue"]
    assert "MB" in texts["maint-disk"] and "tbs-07" in texts["maint-version"]
    memory = re.fullmatch(r"Memory: ([\d.]+) MB; restarts between citizens above 1024 MB",
                          texts["maint-memory"])
    assert memory and float(memory.group(1)) > 100, texts["maint-memory"]  # the window's own
    # Kivy's start-up noise (no X cut buffer, a first Kivy config) is not shown as an error.
    assert "Cutbuffer" not in texts["maint-errors"] and "Config:" not in texts["maint-errors"]
    assert texts["maint-reader"].startswith("Card reader:")

    # A test print reaches the printer stand-in.
    paper = kiosk.workdir / "paper"
    kiosk.tap("maint-test-print")
    result = text_when(kiosk, "maint-result", lambda t: "Test print: done" in t)
    assert "Test print: done" in result, result
    deadline = time.monotonic() + 10
    while not list(paper.glob("*.png")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(paper.glob("*.png")), "the test receipt was printed"
    screenshot(kiosk, "maintenance.png")
    # No citizen has had a receipt on this kiosk yet (a test print is not journalled): the
    # reprint says so instead of printing anything (tests/test_maintenance.py reprints real ones).
    printed = len(list(paper.glob("*.png")))
    kiosk.tap("maint-reprint-last")
    assert "0 receipts printed again" in text_when(kiosk, "maint-result", lambda t: "Reprint" in t)
    assert len(list(paper.glob("*.png"))) == printed
    assert kiosk.texts()["maint-card"], "the card line is shown"
    assert "maint-errors" in kiosk.texts()

    kiosk.tap("maint-export-dead")
    exported = text_when(kiosk, "maint-result", lambda t: "Export dead letters: done" in t)
    path = Path(exported.split("path: ")[1].strip())
    assert path.parent == kiosk.workdir / "storage" and path.exists() and path.stat().st_mode & 0o077 == 0

    kiosk.tap("maint-retry-dead")
    assert "no dead letters" in text_when(kiosk, "maint-result", lambda t: "Retry dead letters" in t)
    kiosk.tap("maint-send-queue")
    assert "Send queue now: done" in text_when(kiosk, "maint-result", lambda t: "Send queue" in t)
    kiosk.tap("maint-test-card")
    assert "Test card: failed" in text_when(kiosk, "maint-result", lambda t: "Test card" in t)

    # The default language: the screen follows at once, and visits start in it.
    kiosk.tap("maint-language-ru")
    assert text_when(kiosk, "maint-leave", lambda t: "Выйти" in t) == "Выйти из обслуживания"
    # The screen is in Russian before the action has ended; until it has, every action is
    # disabled (a fresh clone's run tapped "ka" in between and got `disabled`).
    text_when(kiosk, "maint-result", lambda t: "Язык по умолчанию" in t or "Default language" in t)
    kiosk.tap("maint-language-ka")
    text_when(kiosk, "maint-leave", lambda t: t == "მომსახურებიდან გასვლა")

    kiosk.tap("maint-leave")
    kiosk.wait(screen="attract")
    assert kiosk.state()["language"] == "ka"

    log = AuditLog(kiosk.workdir / "storage")
    deadline = time.monotonic() + 10
    while "leave" not in (actions := [e["action"] for e in log.entries(None)]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)  # leaving shows attract at once; the core's leave() follows on its worker
    log.close()
    assert actions.count("open") == 5  # three wrong, one refused while locked, the right one
    for action in ("status_report", "test_print", "reprint_recent", "export_dead", "send_queue_now",
                   "test_card", "set_default_language", "leave"):
        assert action in actions, (action, actions)
    verify = subprocess.run([sys.executable, "-m", "kiosk", "audit", "--config",
                             str(kiosk.workdir / "kiosk.toml"), "verify"],
                            capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr
    log_text = kiosk.log_path.read_text(errors="replace")
    assert not holds_secret(log_text, TECH_PIN) and not holds_secret(log_text, WRONG)


def test_opening_ends_the_visit_and_cards_wait_until_leaving(xvfb_display: str, tmp_path: Path) -> None:
    factory = "tests.ui_maint_controller:build_pretend"
    with run_kiosk(xvfb_display, tmp_path / "kiosk", factory=factory) as kiosk:
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")
        long_press(kiosk)
        kiosk.wait(overlay="maintenance_pin")
        type_pin(kiosk, TECH_PIN)
        kiosk.wait(screen="maintenance")
        kiosk.ok({"cmd": "demo", "action": "remove_card"})
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        time.sleep(0.5)
        assert kiosk.state()["screen"] == "maintenance", "a card does not start a visit under the screen"
        kiosk.tap("maint-leave")
        kiosk.wait(screen="attract")
        time.sleep(0.3)
        assert kiosk.state()["screen"] == "attract"
        # Serving again: the next card starts a visit.
        kiosk.ok({"cmd": "demo", "action": "remove_card"})
        kiosk.ok({"cmd": "demo", "action": "insert_card"})
        kiosk.wait(screen="pin")


def test_a_kiosk_without_a_technician_pin_says_so(xvfb_display: str, tmp_path: Path) -> None:
    with run_kiosk(xvfb_display, tmp_path / "kiosk", factory="tests.ui_maint_controller:build_pretend",
                   extra_env={"KIOSK_UI_TECH_PIN": ""}) as kiosk:
        for bad in ({"x": -1, "y": 5}, {"x": 5}, {"x": 5, "y": 5, "seconds": 60}):
            assert kiosk.send({"cmd": "long_press", **bad})["error"] == "bad_argument"
        long_press(kiosk)
        kiosk.wait(overlay="maintenance_pin")
        assert kiosk.texts()["tech-pin-message"] == "ამ კიოსკზე ტექნიკური მომსახურება არ არის გამართული."
        type_pin(kiosk, TECH_PIN)
        time.sleep(0.5)
        assert kiosk.state()["screen"] == "attract"
        kiosk.tap("tech-pin-cancel")
        assert kiosk.state()["overlays"] == []

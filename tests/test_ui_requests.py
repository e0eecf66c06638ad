"""The personal page's latest requests through the real window (screens/request_answer.py).

One kiosk for the module over the portal simulator (tests/ui_sim_controller.py:
the real controller, outbox and forwarder; a password login). A letter's
answer opens from its button, low on the page with the other actions
(nothing a citizen presses above the top 30 %, in Georgian and English, at
normal and large text), and leaves with the visit; a request made while
the portal is down is listed as waiting to be sent, then as reached.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.accessibility import check_state, errors
from kiosk.catalog import load_bundled_catalog
from kiosk.i18n import translate
from tests.ui_sim_controller import PASSWORD, USERNAME, SimKiosk, sim_kiosk

pytestmark = pytest.mark.ui
SUBJECT = "ჩემი საბუთების ასლები"


@pytest.fixture(scope="module")
def sk(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimKiosk]:
    with sim_kiosk(xvfb_display, tmp_path_factory.mktemp("requests")) as running:
        # The agency answers at once: the page can show the answer in this visit.
        requests.post(running.sim.url + "/_sim/settings", json={"letter_answer_delay_s": 0}, timeout=5)
        yield running


def log_in(kiosk: Any) -> None:
    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    kiosk.ok({"cmd": "type", "id": "field-username", "text": USERNAME})
    kiosk.ok({"cmd": "type", "id": "field-password", "text": PASSWORD})
    kiosk.tap("submit")
    deadline = time.monotonic() + 15
    while kiosk.state()["screen"] != "home":
        assert time.monotonic() < deadline, "no personal page after the login"
        if kiosk.state()["screen"] == "first_login":
            kiosk.tap("later")
        time.sleep(0.1)


def typed(kiosk: Any, field: str, text: str) -> None:
    kiosk.ok({"cmd": "type", "id": f"field-{field}", "text": text})


def open_service(kiosk: Any, service: str) -> None:
    kiosk.tap("category-personal")
    kiosk.wait(screen="category")
    kiosk.tap(f"service-{service}")
    kiosk.wait(screen="service")


def until(what: str, probe: Callable[[], Any], timeout_s: float = 15) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def rows(kiosk: Any) -> dict[str, dict[str, Any]]:
    return {w["id"]: w for w in kiosk.state()["widgets"] if w["id"].startswith(("request-", "answer-"))}


def reach_errors(kiosk: Any, where: str) -> list[str]:
    """Every rule error of what is shown, the language buttons' height the only advice allowed."""
    state = kiosk.state()
    return [f"{where} [{state['language']}]: {v}" for v in errors(check_state(state))]


def test_an_answered_letter_opens_from_its_button_and_leaves_with_the_visit(
        sk: SimKiosk, tmp_path: Path) -> None:
    kiosk = sk.kiosk
    log_in(kiosk)
    open_service(kiosk, "letter-to-agency")
    kiosk.tap("field-agency-napr")
    typed(kiosk, "subject", SUBJECT)
    typed(kiosk, "letter", "გთხოვთ, გამომიგზავნოთ ჩემი საბუთების ასლები.")
    typed(kiosk, "mobile", "555123456")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=15)
    reference = sk.received()[-1]["reference"]
    kiosk.tap("home")
    kiosk.wait(screen="home")
    button = until("the answer's button", lambda: rows(kiosk).get(f"answer-{reference}"))
    row = rows(kiosk)[f"request-{reference}"]
    assert row["kind"] == "label" and translate("ka", "answered") in row["text"]
    assert button["kind"] == "button"
    assert button["text"] == translate("ka", "Read the answer: {subject}", subject=SUBJECT)
    # The page with an answered letter meets every rule, the reach of its button
    # included, in Georgian and English, at normal size and with large text.
    found: list[str] = []
    for lang in ("ka", "en"):
        kiosk.tap(f"lang-{lang}")
        found += reach_errors(kiosk, "home with an answer")
        kiosk.tap("a11y-large-text")
        found += reach_errors(kiosk, "home with an answer (large text)")
        kiosk.tap("a11y-large-text")
    assert found == [], "\n".join(found)
    kiosk.tap("lang-ka")
    kiosk.ok({"cmd": "screenshot", "path": str(tmp_path / "home-ka.png")})
    kiosk.tap(f"answer-{reference}")
    kiosk.wait(overlay="request-answer")
    texts = kiosk.texts()
    answer = texts["answer-text-1"]
    assert "განხილულია" in answer and reference in answer  # the agency's own words, as they came
    agency = load_bundled_catalog().agency("napr")
    assert texts["answer-agency"] == translate("ka", "Agency: {agency}", agency=agency.name("ka"))
    assert texts["answer-subject"] == translate("ka", "Subject: {subject}", subject=SUBJECT)
    assert texts["answer-date"] == translate("ka", "Date: {date}", date=dt.date.today().strftime("%d.%m.%Y"))
    assert reach_errors(kiosk, "request-answer") == []
    # The accessibility bar below the answer still works: large text makes the answer larger.
    normal = {w["id"]: w for w in kiosk.state()["widgets"]}["answer-text-1"]["font_px"]
    kiosk.tap("a11y-large-text")
    assert kiosk.state()["overlays"] == ["request-answer"]
    assert {w["id"]: w for w in kiosk.state()["widgets"]}["answer-text-1"]["font_px"] > normal * 1.3
    assert reach_errors(kiosk, "request-answer (large text)") == []
    kiosk.tap("a11y-large-text")
    kiosk.ok({"cmd": "screenshot", "path": str(tmp_path / "request-answer-ka.png")})

    # English around it; the answer stays in the agency's language.
    kiosk.tap("back")
    assert kiosk.state()["overlays"] == []
    kiosk.tap("lang-en")
    kiosk.tap(f"answer-{reference}")
    kiosk.wait(overlay="request-answer")
    texts = kiosk.texts()
    assert texts["answer-agency"] == f"Agency: {agency.name('en')}"
    assert texts["answer-text-1"] == answer
    kiosk.tap("back")
    kiosk.tap("lang-ka")

    kiosk.tap(f"answer-{reference}")  # open when the visit ends: it goes with it
    kiosk.wait(overlay="request-answer")
    kiosk.tap("back")
    kiosk.tap("logout")
    kiosk.wait(screen="attract", timeout_s=15)
    time.sleep(0.3)
    state = kiosk.state()
    raw = json.dumps(state, ensure_ascii=False)
    assert state["overlays"] == []
    assert "განხილულია" not in raw and reference not in raw and SUBJECT not in raw


def test_a_request_made_while_the_portal_is_down_waits_then_reaches_it(sk: SimKiosk) -> None:
    kiosk = sk.kiosk
    if kiosk.state()["screen"] != "home":
        log_in(kiosk)
    before = {t["reference"] for t in sk.received()}
    sk.sim.set_fault("down")
    try:
        until("the kiosk noticing the portal is down", lambda: kiosk.texts().get("home-offline"))
        open_service(kiosk, "address-registration-extract")
        kiosk.tap("field-document_language-ka")
        kiosk.tap("field-delivery-electronic")
        typed(kiosk, "mobile", "555123456")
        kiosk.tap("submit")
        kiosk.wait(screen="confirm")
        kiosk.tap("confirm")
        kiosk.wait(screen="result", timeout_s=15)
        kiosk.tap("home")
        kiosk.wait(screen="home")
        waiting = translate("ka", "waiting to be sent")
        row_id, row = until("the waiting row", lambda: next(
            ((i, w) for i, w in rows(kiosk).items() if waiting in w["text"]), None))
        assert row["kind"] == "label"
        other = translate("ka", "Your other requests cannot be shown right now.")
        # (the first line: the letter answered in the test above adds how to read it)
        assert kiosk.texts()["home-requests"].splitlines()[0] == other
        assert {t["reference"] for t in sk.received()} == before  # nothing reached the portal meanwhile
    finally:
        sk.sim.set_fault("none")
    new = until("delivery", lambda: [t["reference"] for t in sk.received() if t["reference"] not in before])
    reached = until("the row reaching the portal", lambda: rows(kiosk).get(f"request-{new[0]}"))
    assert translate("ka", "reached the portal") in reached["text"]
    assert row_id not in rows(kiosk) and other not in kiosk.texts().get("home-requests", "")

"""Citizens at the glass: the trial's visits, driven through the automation socket.

A visit is what a person does (card in, PIN, services, receipt, log out),
said as widget ids and screens from docs/ui-contract.md. Every `state`
answer of a visit is also searched for the previous citizen's values
(`LeakWatch`): what one citizen typed or was shown must never be on the
next one's screen. Forms are filled from the catalog's field types, with a
token unique to the visit in every free-text value, so a leak can be told
from a coincidence.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fieldtrial.report import wrong_pin
from kiosk.automation import AutomationClient
from kiosk.i18n import LANGUAGES, translate

REF = re.compile(r"\bK[0-9A-Z]-\d{4}-\d{4,}\b")
PAY_REF = re.compile(r"\bPAY-[0-9A-F]{12}\b")
PATTERN_VALUES = {  # catalog patterns -> a maker of a valid, random value
    r"\d{6,12}": lambda r: f"{r.randrange(10**9, 10**10)}",
    r"\d{9}|\d{11}": lambda r: f"{r.randrange(10**8, 10**9)}",
    r"\d{6,14}": lambda r: f"{r.randrange(10**9, 10**10)}",
    r"GE\d{2}[A-Z]{2}\d{16}": lambda r: f"GE{r.randrange(10, 99)}BG{r.randrange(10**15, 10**16)}",
    r"[A-Z]{0,3}\d{6,12}": lambda r: f"GP{r.randrange(10**7, 10**8)}",
    r"[A-Z]{2}-?\d{3}-?[A-Z]{2}": lambda r: (f"{_letters(r, 2)}-{r.randrange(100, 999)}-"
                                             f"{_letters(r, 2)}"),
}


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


class KioskDied(Exception):
    """The automation socket closed: the kiosk process is gone (killed or crashed)."""


class Stuck(Exception):
    """The kiosk did not show what a person would expect next."""


@dataclass
class LeakWatch:
    """The previous visit's secrets, searched for in every screen of the current one."""

    previous: set[str] = field(default_factory=set)
    current: set[str] = field(default_factory=set)
    extra: set[str] = field(default_factory=set)  # also searched for, e.g. over a restart
    visit: int = 0
    leaks: list[dict[str, Any]] = field(default_factory=list)

    def next_visit(self, visit: int) -> None:
        self.previous, self.current, self.visit = self.current, set(), visit

    def remember(self, *values: str) -> None:
        self.current.update(v for v in values if v and len(v) >= 5)

    def observe(self, state: dict[str, Any]) -> None:
        for widget in state.get("widgets", []):
            for secret in _found(str(widget.get("text") or ""), self.previous | self.extra):
                self.leaks.append({"visit": self.visit, "widget": widget.get("id"),
                                   "screen": state.get("screen"), "value": secret})

    def search_held(self, held: dict[str, Any]) -> None:
        """The visit just ended (`held_texts`): its values in any live widget, shown or not,
        and buttons still holding a touch (the PIN keys in touch order spell the PIN)."""
        for text in held.get("texts", []):
            for secret in _found(text, self.current):
                self.leaks.append({"visit": self.visit, "widget": "(held)", "screen": "attract",
                                   "value": secret})
        for button in held.get("touches_kept", []):
            self.leaks.append({"visit": self.visit, "widget": button, "screen": "attract",
                               "value": "(a touch kept)"})


def _found(text: str, secrets: set[str]) -> list[str]:
    """The secrets in ``text``, also as a number shown grouped ("010 0101 2345", "(555) 12-34")."""
    squeezed = re.sub(r"[\s()-]", "", text)
    return [secret for secret in secrets if secret in text or secret in squeezed]


class Driver:
    """The automation client, reconnected after every restart; kills the kiosk when told."""

    def __init__(self, supervisor: Any, leaks: LeakWatch, rng: random.Random) -> None:
        self.sup, self.leaks, self.rng = supervisor, leaks, rng
        self.client: AutomationClient | None = None
        self.kill_after: int | None = None  # commands from now until a SIGKILL is sent
        self.kill_on_tap: str | None = None  # or: SIGKILL while this widget's tap is carried out
        self.commands = 0

    def connect(self, timeout_s: float = 90) -> None:
        self.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.sup.pid is not None and Path(self.sup.socket_path).exists():
                try:
                    self.client = AutomationClient(self.sup.socket_path, timeout_s=60)
                    self.client.send({"cmd": "state"})
                    return
                except (OSError, ValueError):
                    self.close()
            time.sleep(0.2)
        raise Stuck("the kiosk did not come back after a restart")

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except OSError:
                pass
            self.client = None

    def send(self, command: dict[str, Any]) -> dict[str, Any]:
        if self.client is None:
            raise KioskDied("not connected")
        self.commands += 1
        if self.kill_after is not None:
            self.kill_after -= 1
        due = (self.kill_after is not None and self.kill_after <= 0) or (
            self.kill_on_tap is not None and command.get("id") == self.kill_on_tap)
        if due:
            self.kill_after = self.kill_on_tap = None
            # At a random moment while this command is being carried out.
            threading.Timer(self.rng.uniform(0.0, 0.4), self.sup.kill9).start()
        try:
            answer = self.client.send(command)
        except (OSError, ConnectionError, ValueError) as exc:
            self.close()
            raise KioskDied(str(exc)) from exc
        if command["cmd"] == "state":
            self.leaks.observe(answer)
        return answer

    def ok(self, command: dict[str, Any]) -> dict[str, Any]:
        answer = self.send(command)
        if "error" in answer:
            raise Stuck(f"{command} -> {answer}")
        return answer

    def state(self) -> dict[str, Any]:
        return self.ok({"cmd": "state"})

    def texts(self) -> dict[str, str]:
        return {w["id"]: str(w.get("text") or "") for w in self.state()["widgets"]}

    def tap(self, widget: str) -> None:
        self.ok({"cmd": "tap", "id": widget})

    def type(self, widget: str, text: str) -> None:
        self.ok({"cmd": "type", "id": widget, "text": text})

    def wait_screen(self, *screens: str, timeout_s: float = 20) -> str:
        """Poll `state` (so every screen passed through is searched for leaks) until one shows."""
        deadline = time.monotonic() + timeout_s
        while True:
            screen = str(self.state()["screen"])
            if screen in screens:
                return screen
            if time.monotonic() > deadline:
                raise Stuck(f"waited for {screens}, still on {screen}")
            time.sleep(0.15)

    def wait_widget(self, prefix: str, timeout_s: float = 10) -> dict[str, str]:
        deadline = time.monotonic() + timeout_s
        while True:
            texts = self.texts()
            if any(k.startswith(prefix) for k in texts) or time.monotonic() > deadline:
                return texts
            time.sleep(0.15)


@dataclass
class Outcome:
    """What one visit saw; `accepted` are local references shown on a result screen."""

    kind: str
    person: str
    accepted: list[str] = field(default_factory=list)
    paid: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # injected just before this visit


class Visits:
    """The visit scripts; each returns an Outcome or raises KioskDied / Stuck."""

    def __init__(self, driver: Driver, catalog: dict[str, Any], rng: random.Random) -> None:
        self.d, self.rng = driver, rng
        self.services = {s["id"]: s for s in catalog["services"]}
        self.agency = catalog["agencies"][0]["id"]
        self.by_category: dict[str, list[str]] = {}
        for s in catalog["services"]:
            if s.get("mode") == "queueable" and s.get("kind") != "lookup_payment":
                self.by_category.setdefault(s["category"], []).append(s["id"])
        self.payments = [(s["category"], s["id"]) for s in catalog["services"]
                         if s.get("kind") == "lookup_payment"]

    # -- logging in ---------------------------------------------------------------------
    def card_login(self, person: Any, pcsc: Any, out: Outcome, wrong_first: bool = False) -> bool:
        pcsc.wait_slot_empty(timeout_s=5)
        person.card.insert()
        screen = self.d.wait_screen("pin", "error", timeout_s=30)
        if screen == "error":
            out.notes.append("card_error_screen")
            return False
        if wrong_first:
            self.d.type("pin-input", wrong_pin(person.pin))
            self.d.tap("pin-ok")
            if self.d.wait_screen("pin", "authenticating", "error", timeout_s=20) != "pin":
                self.d.wait_screen("pin", "error", timeout_s=20)
            time.sleep(0.3)
        self.d.wait_screen("pin", timeout_s=20)
        self.d.type("pin-input", person.pin)
        self.d.tap("pin-ok")
        return self._after_login(person, out)

    def reader_gone(self, out: Outcome, timeout_s: float = 15) -> None:
        """A citizen with only a card, the reader unplugged: the attract screen must say so.

        Pushing the card into a reader that cannot see it is what such a
        citizen did before the screen said anything (a "stuck" step in the
        300-citizen runs); now they read it and go to the counter.
        """
        gone = {translate(language, "The card reader is not working") for language in LANGUAGES}
        deadline = time.monotonic() + timeout_s  # the screen's 3 s grace; pcscd coming back up
        while time.monotonic() < deadline:
            texts = {w["id"]: w["text"] for w in self.d.state()["widgets"]}
            if texts.get("insert-card") in gone:
                out.notes.append("reader_gone_shown")
                return
            time.sleep(0.2)
        raise Stuck("the attract screen still asks for a card with the reader gone")

    def password_login(self, person: Any, out: Outcome) -> bool:
        self.d.tap("password-login")
        self.d.wait_screen("password")
        self.d.type("field-username", person.username)
        self.d.type("field-password", person.password)
        self.d.tap("submit")
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            state = self.d.state()
            if state["screen"] in ("home", "first_login"):
                return self._after_login(person, out)
            if state["screen"] == "error":  # the portal cannot be reached: no offline passwords
                reason = next((w["text"] for w in state["widgets"] if w["id"] == "error-title"), "")
                out.notes.append(f"password_error:{reason[:40]}")
                self.d.tap("error-ok")
                return False
            message = next((w["text"] for w in state["widgets"] if w["id"] == "password-message"), "")
            if state["screen"] == "password" and message:
                out.notes.append("password_refused")  # portal down: "cannot be reached"
                self.d.tap("cancel")
                return False
            time.sleep(0.2)
        raise Stuck("no answer to the password login")

    def _after_login(self, person: Any, out: Outcome) -> bool:
        screen = self.d.wait_screen("home", "first_login", "error", "pin_blocked", timeout_s=60)
        if screen in ("error", "pin_blocked"):
            out.notes.append(f"login_{screen}")
            self.d.tap("error-ok" if screen == "error" else "pin-blocked-ok")
            return False
        if screen == "first_login":
            mobile = f"5{self.rng.randrange(10**7, 10**8)}"
            email = f"{person.key}.{self.rng.randrange(10**6)}@example.ge"
            self.d.leaks.remember(mobile, email)
            self.d.type("field-mobile", mobile)
            self.d.type("field-email", email)
            self.d.tap("submit")
            self.d.wait_screen("home", timeout_s=40)
        return True

    def block(self, person: Any, out: Outcome) -> None:
        """Wrong PINs until the card is blocked; the visit ends on the blocked screen."""
        pcsc_wait = self.d.sup.stand.pcsc.wait_slot_empty
        pcsc_wait(timeout_s=5)
        person.card.insert()
        for _ in range(6):
            screen = self.d.wait_screen("pin", "pin_blocked", "error", timeout_s=30)
            if screen != "pin":
                break
            self.d.type("pin-input", wrong_pin(person.pin))
            self.d.tap("pin-ok")
            self.d.wait_screen("pin", "pin_blocked", "error", "authenticating", timeout_s=30)
            time.sleep(0.2)
        screen = self.d.wait_screen("pin_blocked", "error", timeout_s=30)
        out.notes.append(f"blocked:{screen}")
        self.d.tap("pin-blocked-ok" if screen == "pin_blocked" else "error-ok")

    def search(self, out: Outcome, close: bool) -> None:
        """Words in the personal page's search box; left open half the time before logging out."""
        word = f"ძებნა{_letters(self.rng, 5)}"
        self.d.leaks.remember(word)
        self.d.type("search", word)
        out.notes.append("searched")
        if close:
            self.d.tap("search-close")

    # -- services -----------------------------------------------------------------------
    def service(self, category: str, out: Outcome, interrupt: Any = None) -> None:
        service_id = self.rng.choice(self.by_category[category])
        self._open(category, service_id)
        texts = self.d.texts()
        if "refusal-title" in texts:
            out.notes.append(f"refused:{service_id}")
            self.d.tap("home")
            self.d.wait_screen("home")
            return
        token = _letters(self.rng, 6)
        for spec in self.services[service_id].get("form", []):
            self._fill(spec, token, out)
        if interrupt is not None:  # the card pulled, or pcscd dead, with the form filled in
            out.notes.append(interrupt())
            # The visit must end: a card that comes back after pcscd's restart starts a new one.
            self.d.wait_screen("attract", "reading_card", "pin", "error", timeout_s=30)
            return
        self.d.tap("submit")
        if self.d.wait_screen("confirm", "service", timeout_s=10) != "confirm":
            time.sleep(1.0)
            if self.d.state()["screen"] != "confirm":
                errors = {k: v for k, v in self.d.texts().items() if k.endswith("-error") and v}
                out.notes.append(f"form_rejected:{service_id}:{errors}")
                self.d.tap("home")
                self.d.wait_screen("home")
                return
        self.d.tap("confirm")
        self._result(out, payment=False)

    def pay(self, out: Outcome) -> None:
        category, service_id = self.rng.choice(self.payments)
        self._open(category, service_id)
        deadline = time.monotonic() + 20
        while True:
            texts = self.d.texts()
            items = [k for k in texts if k.startswith("item-")]
            if items or "refusal-title" in texts or time.monotonic() > deadline or (
                    texts.get("payment-message") and "submit" not in texts):
                break
            time.sleep(0.2)
        if not items:
            out.notes.append(f"nothing_to_pay:{service_id}")
            self.d.tap("home")
            self.d.wait_screen("home")
            return
        self.d.tap(items[0])
        self.d.wait_widget("payment-total")
        self.d.tap("submit")
        self.d.wait_screen("confirm", timeout_s=15)
        self.d.tap("confirm")
        self._result(out, payment=True)

    def _open(self, category: str, service_id: str) -> None:
        self.d.tap(f"category-{category}")
        self.d.wait_screen("category")
        self.d.tap(f"service-{service_id}")
        self.d.wait_screen("service")

    def _result(self, out: Outcome, payment: bool) -> None:
        screen = self.d.wait_screen("result", "confirm", "error", timeout_s=60)
        texts = self.d.texts()
        if screen != "result":
            out.notes.append(f"not_sent:{screen}:{texts.get('confirm-problem', '')[:60]}")
            self.d.tap("home")
            self.d.wait_screen("home", timeout_s=20)
            return
        refs = texts.get("result-references", "")
        if payment:
            match = PAY_REF.search(refs)
            out.paid.append(match.group(0) if match else f"unreadable:{refs[:40]}")
        else:
            match = REF.search(refs)
            if match is None:
                out.notes.append(f"result_without_reference:{refs[:80]}")
            else:
                out.accepted.append(match.group(0))
        if "result-receipt-image" in texts:
            out.notes.append("receipt_on_screen")
        self.d.tap("home")
        self.d.wait_screen("home", timeout_s=20)

    def _fill(self, spec: dict[str, Any], token: str, out: Outcome) -> None:
        name, kind, rng = spec["name"], spec["type"], self.rng
        if kind in ("choice", "multi_choice"):
            choice = rng.choice(spec["choices"]) if kind == "choice" else spec["choices"][0]
            self._choose(f"field-{name}-{choice['value']}", out)
            return
        if kind == "yes_no":
            self._choose(f"field-{name}-{rng.choice(('yes', 'no'))}", out)
            return
        if kind == "agency":
            self._choose(f"field-{name}-{self.agency}", out)
            return
        if not spec.get("required") and kind != "text":
            return
        value = self._value(spec, token)
        if value:
            self.d.leaks.remember(value)
            self.d.type(f"field-{name}", value)

    def _choose(self, option: str, out: Outcome) -> None:
        """Tap a choice and look for its tick, as a person does; tap again if it did not take.

        A tap that did not take is noted with what the driver saw (did the
        touch light the button, the screen, the overlays): refused forms with a
        required choice empty after its tap were seen in 5 of 928 forms and
        are not explained yet.
        """
        lit = self.d.ok({"cmd": "tap", "id": option}).get("highlighted")
        state = self.d.state()
        ticked = next((w.get("selected") for w in state["widgets"] if w["id"] == option), None)
        if ticked is False:
            overlays = ",".join(state.get("overlays") or []) or "-"
            out.notes.append(f"choice_not_taken:{option}:lit={lit}:{state['screen']}:{overlays}")
            self.d.tap(option)

    def _value(self, spec: dict[str, Any], token: str) -> str:
        kind, rng = spec["type"], self.rng
        if kind == "text" and spec.get("pattern"):
            if spec.get("example") and "." in spec["example"]:  # cadastral codes
                return ".".join(f"{rng.randrange(10**n):0{n}d}" for n in (2, 2, 2, 3, 3))
            return PATTERN_VALUES[spec["pattern"]](rng)
        if kind == "text":
            return f"ქ {token}"[: int(spec.get("max_length", 60))]
        if kind == "long_text":
            return f"გთხოვთ განიხილოთ ჩემი მოთხოვნა {token}, მადლობა."
        if kind == "personal_number":
            return f"{rng.randrange(10**10, 10**11)}"
        if kind == "mobile":
            return f"5{rng.randrange(10**7, 10**8)}"
        if kind == "email":
            return f"{token.lower()}@example.ge"
        if kind == "date":
            today = dt.date.today()
            day = (today + dt.timedelta(days=rng.randrange(10, 60)) if spec.get("min") == "today"
                   else dt.date(rng.randrange(1950, 2015), rng.randrange(1, 13), rng.randrange(1, 29)))
            return day.strftime("%d.%m.%Y")
        if kind == "number":
            low, high = int(spec.get("min", 0)), int(spec.get("max", 100))
            return str(rng.randrange(low, min(high, low + 5) + 1))
        if kind == "amount_gel":
            return f"{rng.randrange(10, 500)}.50"
        return ""

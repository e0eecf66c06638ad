"""One citizen's visit as an explicit state machine: events in, states out.

The kiosk's rules about a visit live here, without a window: which screen
follows which, when a visit ends, and that every way out (logout, idle
time-out, the whole-visit cap, the card pulled, an error) wipes the
citizen's data. Screens subscribe and draw the state; devices and the
portal feed events in. Nothing here blocks or does I/O, so the UI thread
can call it, and tests drive it with a fake clock.

Events arrive from several threads (card reader, network workers, the UI),
so every public method takes the lock; listeners are called after the state
has changed, outside the lock, in the order they subscribed.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.logs import event

log = logging.getLogger("kiosk.session")


class State(StrEnum):
    ATTRACT = "attract"
    READING_CARD = "reading_card"
    PIN = "pin"
    AUTHENTICATING = "authenticating"
    PASSWORD = "password"
    FIRST_LOGIN = "first_login"
    HOME = "home"
    CATEGORY = "category"
    SERVICE = "service"
    CONFIRM = "confirm"
    SUBMITTING = "submitting"
    RESULT = "result"
    HELP = "help"
    PIN_BLOCKED = "pin_blocked"
    ERROR = "error"
    OUT_OF_SERVICE = "out_of_service"


# States in which a citizen is signed in and may browse.
SIGNED_IN = frozenset(
    {State.FIRST_LOGIN, State.HOME, State.CATEGORY, State.SERVICE, State.CONFIRM,
     State.SUBMITTING, State.RESULT, State.HELP}
)
# States that belong to a visit: idle time-out and the visit cap apply.
IN_VISIT = SIGNED_IN | {State.READING_CARD, State.PIN, State.AUTHENTICATING, State.PASSWORD,
                        State.PIN_BLOCKED, State.ERROR}
# Where a signed-in citizen may go by tapping (back, home, tiles, help).
BROWSABLE = frozenset({State.HOME, State.CATEGORY, State.SERVICE, State.HELP})


class EndReason(StrEnum):
    LOGOUT = "logout"
    IDLE_TIMEOUT = "idle_timeout"
    SESSION_CAP = "session_cap"
    CARD_REMOVED = "card_removed"
    CANCELLED = "cancelled"
    NEW_CARD = "new_card"


@dataclass
class Visit:
    """Everything personal about the current visit; wiped at every way out."""

    visit_id: str = field(default_factory=lambda: secrets.token_hex(8))
    started_at: float = 0.0
    login_method: str | None = None  # "card" or "password"
    card_session_id: str | None = None
    pin_tries_left: int | None = None
    citizen: dict[str, Any] = field(default_factory=dict)
    offline: bool = False
    token: str | None = None
    category_id: str | None = None
    service_id: str | None = None
    form_values: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    # Fetched for this visit (a lookup's unpaid items, a payment's key): personal too.
    data: dict[str, Any] = field(default_factory=dict)

    def wipe(self) -> None:
        # Clear the containers in place too: a screen that kept a reference
        # to one of them must not go on showing its contents.
        self.citizen.clear()
        self.form_values.clear()
        self.result.clear()
        self.data.clear()
        self.token = None
        self.card_session_id = None
        self.pin_tries_left = None
        self.category_id = self.service_id = None


@dataclass(frozen=True)
class Transition:
    """What listeners are told: the new state, the one before, and why."""

    state: State
    previous: State
    reason: str = ""
    wiped: bool = False


@dataclass(frozen=True)
class Timing:
    idle_timeout_s: float = 120
    idle_warning_s: float = 30
    max_session_s: float = 1200
    max_extensions: int = 10


@dataclass(frozen=True)
class Countdown:
    """An on-screen warning: seconds left, and whether "continue" is offered."""

    seconds_left: float
    can_extend: bool
    cause: str  # "idle" or "session_cap"


Listener = Callable[[Transition], None]


class VisitMachine:
    """The state machine of a visit. ``clock`` is injectable for tests."""

    def __init__(
        self,
        timing: Timing | None = None,
        default_language: str = "ka",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timing = timing or Timing()
        self.default_language = default_language
        self.language = default_language
        self._clock = clock
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self.state = State.ATTRACT
        self.reason = ""
        self.visit = Visit()
        self._last_activity = clock()
        self._extensions = 0

    # ----------------------------------------------------------------- plumbing
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _go(self, new: State, reason: str = "", wiped: bool = False) -> Transition:
        previous, self.state, self.reason = self.state, new, reason
        event(log, "transition", previous=previous.value, state=new.value, reason=reason)
        return Transition(new, previous, reason, wiped)

    def _notify(self, transition: Transition) -> None:
        for listener in list(self._listeners):
            try:
                listener(transition)
            except Exception:  # a broken screen must not break the visit's rules
                log.exception("session listener failed")

    def _apply(self, step: Callable[[], Transition | list[Transition] | None]) -> bool:
        with self._lock:
            outcome = step()
        transitions = outcome if isinstance(outcome, list) else [outcome] if outcome else []
        for transition in transitions:
            self._notify(transition)
        return bool(transitions)

    def _ignored(self, what: str) -> None:
        event(log, "event ignored", event=what, state=self.state.value)

    def _start_visit(self) -> None:
        self.visit = Visit(started_at=self._clock())
        self._last_activity = self._clock()
        self._extensions = 0

    def _end(self, reason: EndReason | str) -> Transition:
        self.visit.wipe()
        self.visit = Visit()
        self.language = self.default_language
        self._extensions = 0
        self._last_activity = self._clock()
        return self._go(State.ATTRACT, str(reason), wiped=True)

    # ------------------------------------------------------------ the citizen
    def select_language(self, language: str) -> None:
        """Any screen, any time: language never touches personal data."""
        with self._lock:
            self.language = language
            self._last_activity = self._clock()

    def activity(self) -> None:
        """A tap anywhere: resets the idle timer (not the whole-visit cap)."""
        with self._lock:
            self._last_activity = self._clock()

    def card_inserted(self, card_session_id: str) -> bool:
        def step() -> list[Transition] | None:
            if self.state == State.OUT_OF_SERVICE:
                return None
            transitions = []
            if self.state in IN_VISIT and self.visit.card_session_id != card_session_id:
                # A new card while a visit is open: never let two citizens mix.
                transitions.append(self._end(EndReason.NEW_CARD))
            self._start_visit()
            self.visit.login_method = "card"
            self.visit.card_session_id = card_session_id
            transitions.append(self._go(State.READING_CARD))
            return transitions

        return self._apply(step)

    def card_ready(self, tries_left: int) -> bool:
        def step() -> Transition | None:
            if self.state != State.READING_CARD:
                return self._ignored("card_ready")
            self.visit.pin_tries_left = tries_left
            if tries_left <= 0:
                return self._go(State.PIN_BLOCKED, "pin_blocked")
            return self._go(State.PIN)

        return self._apply(step)

    def card_failed(self, reason: str) -> bool:
        """The card cannot be used: card_error, unknown_card, card_expired, card_revoked..."""

        def step() -> Transition | None:
            if self.state not in (State.READING_CARD, State.PIN, State.AUTHENTICATING):
                return self._ignored("card_failed")
            self.visit.wipe()
            return self._go(State.ERROR, reason)

        return self._apply(step)

    def pin_submitted(self) -> bool:
        def step() -> Transition | None:
            if self.state != State.PIN:
                return self._ignored("pin_submitted")
            self._last_activity = self._clock()
            return self._go(State.AUTHENTICATING)

        return self._apply(step)

    def pin_wrong(self, tries_left: int) -> bool:
        def step() -> Transition | None:
            if self.state not in (State.AUTHENTICATING, State.PIN):
                return self._ignored("pin_wrong")
            self.visit.pin_tries_left = tries_left
            if tries_left <= 0:
                return self._go(State.PIN_BLOCKED, "pin_blocked")
            return self._go(State.PIN, "wrong_pin")

        return self._apply(step)

    def pin_blocked(self) -> bool:
        return self.pin_wrong(0)

    def start_password_login(self) -> bool:
        def step() -> Transition | None:
            if self.state not in (State.ATTRACT, State.ERROR):
                return self._ignored("start_password_login")
            self._start_visit()
            self.visit.login_method = "password"
            return self._go(State.PASSWORD)

        return self._apply(step)

    def password_submitted(self) -> bool:
        def step() -> Transition | None:
            if self.state != State.PASSWORD:
                return self._ignored("password_submitted")
            return self._go(State.AUTHENTICATING)

        return self._apply(step)

    def authenticated(
        self, citizen: dict[str, Any], *, offline: bool, token: str | None, first_login: bool = False
    ) -> bool:
        def step() -> Transition | None:
            if self.state != State.AUTHENTICATING:
                return self._ignored("authenticated")
            self.visit.citizen.update(citizen)
            self.visit.offline = offline
            self.visit.token = token
            self._last_activity = self._clock()
            return self._go(State.FIRST_LOGIN if first_login and not offline else State.HOME)

        return self._apply(step)

    def login_failed(self, reason: str) -> bool:
        """The portal or the card refused: bad_credentials, card_revoked, portal_error..."""

        def step() -> Transition | None:
            if self.state != State.AUTHENTICATING:
                return self._ignored("login_failed")
            if self.visit.login_method == "password" and reason == "bad_credentials":
                return self._go(State.PASSWORD, reason)  # let the citizen try again
            self.visit.wipe()
            return self._go(State.ERROR, reason)

        return self._apply(step)

    def profile_completed(self, mobile: str, email: str) -> bool:
        def step() -> Transition | None:
            if self.state not in (State.FIRST_LOGIN, State.HOME):
                return self._ignored("profile_completed")
            self.visit.citizen.update(mobile=mobile, email=email)
            return self._go(State.HOME) if self.state == State.FIRST_LOGIN else None

        return self._apply(step)

    def navigate(self, target: State, *, category_id: str | None = None,
                 service_id: str | None = None) -> bool:
        """Taps within a signed-in visit: home, a category, a service, help, back."""

        def step() -> Transition | None:
            if self.state not in SIGNED_IN or self.state == State.SUBMITTING or target not in BROWSABLE:
                return self._ignored(f"navigate:{target}")
            self._last_activity = self._clock()
            if category_id is not None:
                self.visit.category_id = category_id
            if service_id is not None:
                self.visit.service_id = service_id
                self.visit.form_values.clear()
            return self._go(target)

        return self._apply(step)

    def form_completed(self, values: dict[str, Any]) -> bool:
        def step() -> Transition | None:
            if self.state != State.SERVICE:
                return self._ignored("form_completed")
            self.visit.form_values.clear()
            self.visit.form_values.update(values)
            return self._go(State.CONFIRM)

        return self._apply(step)

    def edit_form(self) -> bool:
        def step() -> Transition | None:
            return self._go(State.SERVICE) if self.state == State.CONFIRM else self._ignored("edit")

        return self._apply(step)

    def confirmed(self) -> bool:
        def step() -> Transition | None:
            if self.state != State.CONFIRM:
                return self._ignored("confirmed")
            return self._go(State.SUBMITTING)

        return self._apply(step)

    def submission_done(self, result: dict[str, Any]) -> bool:
        """The outbox accepted it (reached the portal or waiting to be sent)."""

        def step() -> Transition | None:
            if self.state != State.SUBMITTING:
                return self._ignored("submission_done")
            self.visit.result.clear()
            self.visit.result.update(result)
            return self._go(State.RESULT)

        return self._apply(step)

    def submission_failed(self, reason: str) -> bool:
        """Refused before it was accepted (disk full, portal declined a payment)."""

        def step() -> Transition | None:
            if self.state != State.SUBMITTING:
                return self._ignored("submission_failed")
            return self._go(State.CONFIRM, reason)

        return self._apply(step)

    # ------------------------------------------------------------ ways out
    def logout(self) -> bool:
        return self._apply(lambda: self._end(EndReason.LOGOUT) if self.state in IN_VISIT else None)

    def cancel(self) -> bool:
        """The PIN pad's or an error screen's "cancel": the visit ends."""
        return self._apply(lambda: self._end(EndReason.CANCELLED) if self.state in IN_VISIT else None)

    def card_removed(self) -> bool:
        """The card leaves: a card visit ends at once, whatever the step.

        A password visit does not depend on a card, so it goes on.
        """

        def step() -> Transition | None:
            if self.state not in IN_VISIT or self.visit.login_method == "password":
                return None
            return self._end(EndReason.CARD_REMOVED)

        return self._apply(step)

    def out_of_service(self, reason: str) -> bool:
        def step() -> Transition | None:
            self.visit.wipe()
            return self._go(State.OUT_OF_SERVICE, reason, wiped=True)

        return self._apply(step)

    def back_in_service(self) -> bool:
        return self._apply(
            lambda: self._end("back_in_service") if self.state == State.OUT_OF_SERVICE else None
        )

    # ------------------------------------------------------------ time
    def countdown(self) -> Countdown | None:
        """The warning to show now, if any (idle or the whole-visit cap)."""
        with self._lock:
            if self.state not in IN_VISIT:
                return None
            now = self._clock()
            idle_left = self.timing.idle_timeout_s - (now - self._last_activity)
            cap_left = self.timing.max_session_s - (now - self.visit.started_at)
            if cap_left <= self.timing.idle_warning_s and cap_left <= idle_left:
                return Countdown(max(cap_left, 0), can_extend=False, cause="session_cap")
            if idle_left <= self.timing.idle_warning_s:
                can_extend = self._extensions < self.timing.max_extensions
                return Countdown(max(idle_left, 0), can_extend=can_extend, cause="idle")
            return None

    def extend(self) -> bool:
        """The warning's "continue": one tap gives the full idle time again."""
        with self._lock:
            warning = self.countdown()
            if warning is None or not warning.can_extend:
                return False
            self._extensions += 1
            self._last_activity = self._clock()
            event(log, "visit extended", extensions=self._extensions)
            return True

    def tick(self) -> bool:
        """Called about once a second: ends the visit when a limit is reached."""

        def step() -> Transition | None:
            if self.state not in IN_VISIT or self.state == State.SUBMITTING:
                # Never cut a submission in half: it ends in RESULT first.
                return None
            now = self._clock()
            if now - self.visit.started_at >= self.timing.max_session_s:
                return self._end(EndReason.SESSION_CAP)
            if now - self._last_activity >= self.timing.idle_timeout_s:
                return self._end(EndReason.IDLE_TIMEOUT)
            return None

        return self._apply(step)

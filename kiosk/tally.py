"""The kiosk's event counts: visits, logins by result, submissions by outcome.

One `Tally` per controller, shared by the Prometheus endpoint and the
heartbeat, so the fleet sees the same numbers whichever way it asks. They
used to live in the Prometheus registry alone, which the heartbeat never
saw, and which does not exist at all when ``maintenance.metrics_port`` is 0.

Counting follows the visit machine's transitions rather than calls into
the controller, so whatever path a visit takes (card, password, time-out)
it is counted the same way:
- a visit starts when the machine leaves ``attract`` (not for out-of-service);
- a login result is read from where AUTHENTICATING/READING_CARD/PIN leads:
  ``home``/``first_login`` = ``ok`` (card) or ``password`` (password login),
  back to ``pin`` with ``wrong_pin``, ``pin_blocked``, ``error`` with
  ``card_expired``/``card_revoked`` = ``expired``/``revoked``, other errors
  ``error``, and a refused password ``bad_password``;
- submissions: ``queued`` when the outbox durably takes one, ``delivered`` and
  ``dead`` from the forwarder, ``refused`` when SUBMITTING falls back to CONFIRM.

Keys only ever take values from fixed sets: no count can carry a name, a
personal number or a reference.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

log = logging.getLogger("kiosk.metrics")

LOGIN_RESULTS = ("ok", "wrong_pin", "blocked", "expired", "revoked", "error", "password", "bad_password")
SUBMISSION_OUTCOMES = ("delivered", "queued", "dead", "refused")
_LOGIN_FROM = {"authenticating", "reading_card", "pin"}
_REASON_RESULT = {"card_expired": "expired", "card_revoked": "revoked"}

# A controller is counted once however many readers (metrics, heartbeat) ask:
# subscribing twice would count every visit twice.
_TALLIES: weakref.WeakKeyDictionary[Any, Tally] = weakref.WeakKeyDictionary()
_TALLIES_LOCK = threading.Lock()


class Tally:
    """Counts fed by the machine, the outbox and the forwarder, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._visits = 0
        self._logins = dict.fromkeys(LOGIN_RESULTS, 0)
        self._submissions = dict.fromkeys(SUBMISSION_OUTCOMES, 0)
        self._method: str | None = None

    @classmethod
    def of(cls, controller: Any) -> Tally:
        """The controller's one tally, attached to it the first time it is asked for."""
        with _TALLIES_LOCK:
            tally = _TALLIES.get(controller)
            if tally is None:
                tally = _TALLIES[controller] = cls()
                tally.attach(controller)
            return tally

    def attach(self, controller: Any) -> None:
        controller.machine.subscribe(self.on_transition)
        parts = getattr(controller, "parts", None)
        if parts is None:
            return
        if parts.outbox is not None:
            parts.outbox.on_enqueue(lambda _entry: self.count_submission("queued"))
        if parts.forwarder is not None:
            parts.forwarder.subscribe(self.on_forwarder_event)

    # ------------------------------------------------------------------ reading
    def snapshot(self) -> dict[str, Any]:
        """``{"visits": n, "logins": {result: n}, "submissions": {outcome: n}}``, every key present."""
        with self._lock:
            return {"visits": self._visits, "logins": dict(self._logins),
                    "submissions": dict(self._submissions)}

    # ------------------------------------------------------------------ feeding
    def count_submission(self, outcome: str) -> None:
        with self._lock:
            if outcome in self._submissions:
                self._submissions[outcome] += 1

    def on_forwarder_event(self, item: Any) -> None:
        if item.kind in ("delivered", "dead"):
            self.count_submission(item.kind)

    def on_transition(self, transition: Any) -> None:
        """Called by the machine on any thread; never raises into it (counting is best effort)."""
        try:
            with self._lock:
                self._count(str(transition.state), str(transition.previous), str(transition.reason))
        except Exception:
            log.exception("metrics could not count a transition")

    def _count(self, state: str, previous: str, reason: str) -> None:
        if previous == "attract" and state not in ("attract", "out_of_service"):
            self._visits += 1
        if state == "reading_card":
            self._method = "card"
        elif state == "password":
            self._method = "password" if previous != "authenticating" else self._method
        elif state == "attract":
            self._method = None
        if previous == "submitting" and state == "confirm":
            self._submissions["refused"] += 1
        if previous not in _LOGIN_FROM:
            return
        result = None
        if state in ("home", "first_login") and previous == "authenticating":
            result = "password" if self._method == "password" else "ok"
        elif state == "pin" and reason == "wrong_pin":
            result = "wrong_pin"
        elif state == "pin_blocked":
            result = "blocked"
        elif state == "error":
            result = _REASON_RESULT.get(reason, "error")
        elif state == "password" and previous == "authenticating":
            result = "bad_password"
        if result is not None:
            self._logins[result] += 1

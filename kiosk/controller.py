"""The kiosk's conductor: turns device, portal and queue events into visit events.

Screens call the controller and listen to the state machine; the controller
talks to the card, the portal, the outbox and the printer. Every public
method returns at once: anything that may block (a card APDU, an HTTP call,
an fsync, a print) runs on a worker thread and ends as an event on the
machine, so the screen never freezes. It imports no Kivy.

Card work is tied to the card session it started in: an answer that comes
back after the card was pulled, or after another citizen's card went in, is
dropped rather than applied to the wrong visit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config
from kiosk.desk import ServiceDesk
from kiosk.i18n import Translator
from kiosk.logs import event
from kiosk.machine_status import DeviceStatus, MachineStatus, tell
from kiosk.portal.errors import PortalError, PortalOffline, PortalUnauthorised
from kiosk.requests import RecentRequests, remember_submission
from kiosk.session import State, Timing, VisitMachine
from kiosk.watchdog import Notifier

log = logging.getLogger("kiosk.controller")


@dataclass
class Parts:
    """The devices and services the controller drives; any may be missing.

    ``login`` is ``kiosk.login``'s card login: (card, pin, portal) -> outcome.
    Each is optional so the core can run (and be tested) with what exists.
    """

    portal: Any = None
    login: Callable[..., Any] | None = None
    outbox: Any = None
    forwarder: Any = None
    network: Any = None
    printer: Any = None
    journal: Any = None
    catalog: Any = None
    catalog_store: Any = None
    payments: Any = None  # a kiosk.payments.PaymentAuthoriser; None: the portal authorises
    reader: Any = None
    extra_stop: list[Callable[[], None]] = field(default_factory=list)


class KioskController(MachineStatus):
    def __init__(self, config: Config, parts: Parts | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.parts = parts or Parts()
        session = config.session
        self.machine = VisitMachine(
            Timing(session.idle_timeout_s, session.idle_warning_s, session.max_session_s,
                   session.max_extensions),
            default_language=config.kiosk.default_language,
            clock=clock,
        )
        self.translator = Translator(config.kiosk.default_language, config.kiosk.languages)
        self.catalog = self.parts.catalog
        self.demo: Any = None  # DemoControls in `kiosk demo`, else None
        self.config_error: Any = None  # the ConfigError behind an out-of-service start
        self.maintenance: Any = None  # kiosk.maintenance.Maintenance once attached
        # True while a technician has the maintenance screen open: no visit may start under it.
        self.maintenance_open = False
        self.notifier = Notifier("")  # `kiosk run` sets the real one (NOTIFY_SOCKET)
        self._last_ping = 0.0
        self.status = DeviceStatus()
        self._status_listeners: list[Callable[[DeviceStatus], None]] = []
        self._status_lock = threading.Lock()
        self._tasks_running = 0
        self._card: Any = None
        self._card_session: str | None = None
        self._visit_data_listeners: list[Callable[[str], None]] = []
        self._catalog_listeners: list[Callable[[Any], None]] = []
        self._requests = RecentRequests(self.parts, lambda: self.machine.visit, self.visit_data_changed)
        self.desk = ServiceDesk(self)
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-worker")
        self._stopped = threading.Event()
        self._printer_wake = threading.Event()
        self.machine.subscribe(self._on_transition)

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        network = self.parts.network
        if network is not None:
            network.subscribe(self._on_network)
            self._set_status(network_online=bool(network.is_online))
            network.start()
        if self.parts.forwarder is not None:
            self.parts.forwarder.subscribe(lambda *_: self._refresh_queue_status())
            self.parts.forwarder.subscribe(self._on_forwarded)
            self.parts.forwarder.start()
        if self.parts.reader is not None:
            self.parts.reader.start()
        self._refresh_queue_status()
        self._work(self.refresh_catalog)
        threading.Thread(target=self._poll_printer, name="printer-status", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self._printer_wake.set()
        for part in (self.parts.reader, self.parts.forwarder, self.parts.network):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    log.exception("stopping %s failed", type(part).__name__)
        for stop in self.parts.extra_stop:
            stop()
        self._workers.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ the card
    def on_reader_status(self, status: str, card: Any = None, card_session_id: str | None = None) -> None:
        """The card reader service's one callback (called on its thread)."""
        status = str(status)
        self._set_status(reader=status)
        if self.maintenance_open:
            # The technician's test card (or a citizen's) must not start a visit behind the
            # maintenance screen; the reader's state stays visible to `status_report`.
            self._card, self._card_session = None, None
            return
        if status == "ready" and card is not None and card_session_id:
            self._card, self._card_session = card, card_session_id
            if self.machine.card_inserted(card_session_id):
                self._work(self._read_tries, card, card_session_id)
        elif status in ("unknown_card", "card_error"):
            self._card, self._card_session = None, None
            if self.machine.state == State.ATTRACT:
                self.machine.card_inserted(card_session_id or f"bad-{time.monotonic()}")
            self.machine.card_failed(status)
        else:  # no_card, no_reader
            self._card, self._card_session = None, None
            self.machine.card_removed()

    def _still_current(self, card_session_id: str) -> bool:
        return self._card_session == card_session_id and self.machine.visit.card_session_id == card_session_id

    def _read_tries(self, card: Any, card_session_id: str) -> None:
        try:
            tries = card.pin_tries_left()
        except Exception as exc:
            event(log, "reading PIN tries failed", error=type(exc).__name__)
            if self._still_current(card_session_id):
                self.machine.card_failed("card_error")
            return
        if self._still_current(card_session_id):
            self.machine.card_ready(tries)

    def submit_pin(self, pin: bytearray) -> None:
        """Hands the PIN pad's buffer to the card; the buffer is wiped whatever happens."""
        card, session_id = self._card, self._card_session
        if card is None or session_id is None or self.parts.login is None or not self.machine.pin_submitted():
            _wipe(pin)
            return
        self._work(self._login_with_card, card, session_id, pin)

    def _login_with_card(self, card: Any, session_id: str, pin: bytearray) -> None:
        try:
            outcome = self.parts.login(card, pin, self.parts.portal)  # type: ignore[misc]
        except Exception as exc:
            event(log, "card login failed", error=type(exc).__name__)
            outcome = None
        finally:
            _wipe(pin)
        if not self._still_current(session_id):
            return  # the card left, or another citizen's card is in: drop it
        self._apply_login_outcome(outcome)

    def _apply_login_outcome(self, outcome: Any) -> None:
        kind = type(outcome).__name__
        event(log, "login outcome", outcome=kind)
        if kind == "LoginOk":
            self.machine.authenticated(dict(outcome.citizen), offline=outcome.offline,
                                       token=outcome.token, first_login=outcome.first_login)
        elif kind == "WrongPin":
            self.machine.pin_wrong(outcome.tries_left)
        elif kind == "PinBlocked":
            self.machine.pin_blocked()
        elif kind == "CardRemoved":
            self.machine.card_removed()
        else:
            reasons = {"CardExpired": "card_expired", "CardRevoked": "card_revoked",
                       "UnknownCard": "unknown_card"}
            reason = reasons.get(kind) or getattr(outcome, "reason", None) or "card_error"
            self.machine.login_failed(str(reason))

    # ------------------------------------------------------------ maintenance
    def enter_maintenance(self) -> None:
        """A technician opened the maintenance screen: end any visit, ignore cards until leaving.

        The flag goes up before the visit ends, so a card event arriving in
        between cannot start a new visit under the technician's screen.
        """
        self.maintenance_open = True
        self._card, self._card_session = None, None
        self.machine.cancel()

    def leave_maintenance(self) -> None:
        """Serve citizens again; the next card inserted starts a visit."""
        self.maintenance_open = False

    # ------------------------------------------------------------ password login
    def start_password_login(self) -> None:
        self.machine.start_password_login()

    def submit_password(self, username: str, password: str) -> None:
        if self.parts.portal is None or not self.machine.password_submitted():
            return
        self._work(self._login_with_password, username, password)

    def _login_with_password(self, username: str, password: str) -> None:
        try:
            answer = self.parts.portal.auth_password(username, password)
        except PortalUnauthorised:
            self.machine.login_failed("bad_credentials")
            return
        except PortalOffline:
            self.machine.login_failed("portal_offline")  # a password needs the portal
            return
        except PortalError:
            self.machine.login_failed("portal_error")
            return
        self.machine.authenticated(answer["citizen"], offline=False, token=answer.get("session_token"),
                                   first_login=bool(answer.get("first_login")))

    # ------------------------------------------------------------ browsing
    def select_language(self, language: str) -> None:
        self.translator.set_language(language)
        self.machine.select_language(language)

    def activity(self) -> None:
        self.machine.activity()

    def extend(self) -> bool:
        return self.machine.extend()

    def cancel(self) -> None:
        self.machine.cancel()

    def logout(self) -> None:
        self.machine.logout()

    def navigate(self, target: State | str, category_id: str | None = None,
                 service_id: str | None = None) -> bool:
        return self.machine.navigate(State(target), category_id=category_id, service_id=service_id)

    def complete_profile(self, mobile: str, email: str) -> None:
        token, portal = self.machine.visit.token, self.parts.portal
        if portal is None or token is None:
            self.machine.profile_completed(mobile, email)
            return

        def save() -> None:
            try:
                portal.update_profile(token, mobile, email)
            except PortalError as exc:
                event(log, "profile update failed", error=type(exc).__name__)
            self.machine.profile_completed(mobile, email)

        self._work(save)

    # ------------------------------------------------------------ services
    @property
    def visit_data(self) -> dict[str, Any]:
        return self.machine.visit.data

    def subscribe_visit_data(self, listener: Callable[[str], None]) -> None:
        """``listener(key)`` when fetched visit data (e.g. "lookup") arrives, on a worker thread."""
        self._visit_data_listeners.append(listener)

    def visit_data_changed(self, key: str) -> None:
        tell(self._visit_data_listeners, key, "visit data")

    def current_card(self) -> Any:
        """The card of the current visit, or None once it left."""
        if self._card_session and self.machine.visit.card_session_id == self._card_session:
            return self._card
        return None

    def service_refusal(self) -> str | None:
        """Why the chosen service cannot be used now (before the citizen types), or None."""
        return self.desk.refusal_before_form()

    def submit_form(self, values: dict[str, Any]) -> dict[str, str]:
        """Validate; errors by field in the visit's language, or {} and on to CONFIRM."""
        self.machine.activity()
        return self.desk.check_form(values, self.translator.language)

    def edit_form(self) -> None:
        self.machine.edit_form()

    def confirm(self) -> None:
        if self.machine.confirmed():
            self._work(self.desk.submit)

    def load_lookup(self) -> None:
        """Fetch unpaid fines, tax debt or bills for the chosen service (online only)."""
        self._work(self.desk.lookup)

    def select_items(self, item_ids: list[str]) -> bool:
        """A payment's chosen unpaid items: on to CONFIRM, through the machine like any form.

        Only ids from this visit's lookup are kept, so a stale screen cannot
        put another visit's items (or made-up ones) in front of the portal.
        """
        self.machine.activity()
        known = {str(i.get("id")) for i in self.visit_data.get("lookup", []) if isinstance(i, dict)}
        chosen = [str(i) for i in item_ids if str(i) in known]
        return self.machine.form_completed({"item_ids": chosen})

    def load_transactions(self) -> None:
        """Fetch the citizen's recent requests for the personal page, on a worker.

        The portal's list merged with this visit's own requests still in the
        outbox (kiosk/requests.py) lands in ``visit_data["transactions"]``,
        and what kept the portal's part away in ``"transactions_error"``;
        listeners hear ``"transactions"``.
        """
        self._work(self._requests.fetch, self.machine.visit)

    def _on_forwarded(self, item: Any) -> None:
        """A request this visit left waiting reached the portal: the page's row moves on."""
        visit = self.machine.visit
        if RecentRequests.concerns(visit, item):
            self._work(self._requests.fetch, visit)

    # ------------------------------------------------------------ plumbing
    @property
    def busy(self) -> bool:
        """Whether background work (a receipt printing, a portal call) is still running:
        the kiosk does not restart itself over it (screens/app.py)."""
        with self._status_lock:
            return self._tasks_running > 0

    def _work(self, func: Callable[..., None], *args: Any) -> None:
        def guarded() -> None:
            with self._status_lock:
                self._tasks_running += 1
            try:
                func(*args)
            except Exception:
                log.exception("background task %s failed", func.__name__)
            finally:
                with self._status_lock:
                    self._tasks_running -= 1

        try:
            self._workers.submit(guarded)
        except RuntimeError:  # shut down: the kiosk is stopping
            pass

    def _on_transition(self, transition: Any) -> None:
        if transition.state in (State.SERVICE, State.CONFIRM):
            # The form and the confirm screen say so when the printer cannot give a receipt:
            # ask it now, not up to 5 s late, so the citizen is told before sending.
            self._printer_wake.set()
        if transition.state == State.RESULT:
            remember_submission(self.machine.visit.data, self.machine.visit.result)
        if transition.wiped:
            self.translator.set_language(self.machine.language)
            reader = self.parts.reader
            if reader is not None and hasattr(reader, "forget_pin"):
                # A card left in the reader must not stay PIN-verified for the next person.
                self._work(reader.forget_pin)


def _wipe(buffer: bytearray) -> None:
    for i in range(len(buffer)):
        buffer[i] = 0

"""The technician's maintenance screen: the kiosk's health at a glance, and buttons that fix things.

It is not a visit state: the visit machine stays at ``attract`` (or
``out_of_service``) behind it while ``controller.maintenance_open`` keeps
cards from starting a visit (`KioskController.enter_maintenance`). The app
leaves its screen alone while that flag is up, so a late transition cannot
pull the technician back to the citizens' screens.

Everything here goes through `controller.maintenance` (kiosk/maintenance.py):
each button runs one `Maintenance` action on its worker with
`run_in_background` (they may block on a printer or the network for
seconds) and shows the answer in ``maint-result``; the core audits each one.
The status is fetched again every `REFRESH_S` seconds without an audit
entry (a refresh is not an action). A screen left open `IDLE_LEAVE_S`
seconds closes itself: an unattended maintenance screen in a public hall
would let anyone print, restart or read the queue.

Strings are in the ``maintenance`` gettext domain: `M_` in Python and
``tm()`` in maintenance.kv (the shell's own `tr`/`N_` scan is for shell.po).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, StringProperty
from kivy.uix.modalview import ModalView

from kiosk.action_result import ActionResult
from kiosk.i18n import translate
from screens.maintenance_door import M_, HiddenDoor, TechnicianPinPad, TechPinDots
from screens.screens import KioskScreen

if TYPE_CHECKING:
    from screens.app import KioskApp

SCREEN_NAME = "maintenance"
REFRESH_S = 5.0
IDLE_LEAVE_S = 300.0
_KV_CLASSES = (TechnicianPinPad, TechPinDots)  # named by maintenance.kv

# The buttons' action names as the result line shows them.
ACTION_NAMES = {
    "test_print": M_("Test print"), "reprint_recent": M_("Reprint last receipt"),
    "send_queue_now": M_("Send queue now"), "retry_dead": M_("Retry dead letters"),
    "export_dead": M_("Export dead letters"), "test_card": M_("Test card"),
    "set_default_language": M_("Default language"), "restart_app": M_("Restart"),
    "leave": M_("Leave"), "status_report": M_("Status"),
}


def tm(message: str, language: str, **values: Any) -> str:
    """A maintenance string in ``language`` (kv rules pass app.ui.language so they re-render)."""
    return translate(language, message, **values)


def _age(seconds: Any) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    return f"{seconds // 3600} h {seconds % 3600 // 60} min" if seconds >= 3600 else \
        f"{seconds // 60} min {seconds % 60} s"


class MaintenanceScreen(KioskScreen):
    """Status lines bound to the last report; one method per button."""

    report = DictProperty({})
    result_text = StringProperty("")
    result_ok = BooleanProperty(True)
    busy = BooleanProperty(False)  # an action is running: the buttons wait

    def __init__(self, **kwargs: Any) -> None:
        self._refreshing = False
        self._last_refresh = 0.0
        self._last_touch = time.monotonic()
        super().__init__(**kwargs)

    @property
    def maintenance(self) -> Any:
        return App.get_running_app().controller.maintenance

    # ------------------------------------------------------------ life cycle
    def on_enter(self, *_args: object) -> None:
        self._last_touch = time.monotonic()
        Window.bind(on_touch_down=self._touched)
        self.refresh(audit=True)  # the first look: audited, and the portal asked now
        Clock.schedule_interval(self._tick, 1.0)

    def on_leave(self, *_args: object) -> None:
        Window.unbind(on_touch_down=self._touched)
        Clock.unschedule(self._tick)
        self.wipe()

    def wipe(self) -> None:
        """The test card's subject names its holder: gone when the screen is left."""
        self.result_text = ""
        self.result_ok = True

    def _touched(self, *_args: object) -> bool:
        self._last_touch = time.monotonic()
        return False

    def _tick(self, _dt: float) -> None:
        now = time.monotonic()
        if now - self._last_touch > IDLE_LEAVE_S and not self.busy:
            self.leave()
        elif now - self._last_refresh >= REFRESH_S:
            self.refresh()

    def refresh(self, audit: bool = False) -> None:
        maintenance = self.maintenance
        if maintenance is None or self._refreshing:
            return
        self._refreshing = True
        self._last_refresh = time.monotonic()
        maintenance.run_in_background(maintenance.status_report, audit, audit,
                                      done=lambda r: Clock.schedule_once(lambda _dt: self._reported(r)))

    def _reported(self, result: ActionResult) -> None:
        self._refreshing = False
        if result.ok:
            self.report = dict(result.data)

    # ------------------------------------------------------------ status lines
    def line(self, key: str, report: dict[str, Any], language: str) -> str:
        """One status line (label translated, values as the devices report them)."""
        if not report:
            return tm("Collecting the status…", language) if key == "reader" else ""
        value = report.get(key) or {}
        if key == "reader":
            return tm("Card reader: {status} ({name})", language, status=value.get("status", "—"),
                      name=value.get("reader") or "—")
        if key == "card":
            return tm("Card: ATR {atr}, profile {profile}", language, atr=value.get("atr") or "—",
                      profile=value.get("profile") or "—") if value.get("atr") else \
                tm("Card: none in the reader", language)
        if key == "printer":
            return tm("Printer: {status}", language, status=value.get("status", "—"))
        if key == "portal":
            if value.get("up") is None:
                return tm("Portal: not checked", language)
            latency = value.get("latency_ms")
            return tm("Portal: reachable, {ms} ms", language, ms=latency if latency is not None else "—") \
                if value.get("up") else tm("Portal: unreachable ({error})", language,
                                           error=value.get("error") or "—")
        if key == "queue":
            if not value.get("available"):
                return tm("Queue: not available", language)
            return tm("Queue: {pending} waiting (oldest {age}), {dead} dead letters", language,
                      pending=value.get("pending", 0), age=_age(value.get("oldest_pending_age_s")),
                      dead=value.get("dead", 0))
        if key == "dead":
            refs = (report.get("queue") or {}).get("dead_refs") or []
            return tm("Dead letters: {refs}", language, refs=", ".join(refs)) if refs else ""
        if key == "disk":
            return tm("Free disk: {mb} MB in {path}", language, mb=value.get("free_mb", "—"),
                      path=value.get("path", "—"))
        if key == "memory":
            limit = value.get("restart_above_mb")
            return tm("Memory: {mb} MB; restarts between citizens above {limit} MB", language,
                      mb=value.get("resident_mb", "—"), limit=limit) if limit else \
                tm("Memory: {mb} MB; no restart limit", language, mb=value.get("resident_mb", "—"))
        if key == "version":
            return tm("Version {version}, kiosk {kiosk}, up {uptime}", language,
                      version=report.get("version", "—"), kiosk=report.get("kiosk_id", "—"),
                      uptime=_age(report.get("uptime_s")))
        if key == "errors":
            errors = report.get("recent_errors") or []
            lines = [f"{e.get('time', '')} {e.get('level', '')} {e.get('message', '')}"[:110]
                     for e in errors[-6:]]
            return tm("Recent errors:", language) + ("\n" + "\n".join(lines) if lines else " —")
        return ""

    # ------------------------------------------------------------ buttons
    def _run(self, action: Callable[..., ActionResult], *args: Any) -> None:
        maintenance = self.maintenance
        if maintenance is None or self.busy:
            return
        self.busy = True
        self._say_result(None, M_("Working…"))
        maintenance.run_in_background(action, *args,
                                      done=lambda r: Clock.schedule_once(lambda _dt: self._done(r)))

    def _done(self, result: ActionResult) -> None:
        self.busy = False
        self._say_result(result)
        self.refresh()  # most actions change what the status shows

    def _say_result(self, result: ActionResult | None, msgid: str = "") -> None:
        language = App.get_running_app().ui.language
        if result is None:
            self.result_text, self.result_ok = tm(msgid, language), True
            return
        name = tm(ACTION_NAMES.get(result.action, result.action), language)
        verdict = tm("done", language) if result.ok else tm("failed", language)
        details = "".join(f"\n{key}: {value}" for key, value in result.data.items()
                          if key in ("atr", "profile", "pin_tries_left", "subject", "not_after", "path"))
        self.result_text = f"{name}: {verdict}. {result.text(language)}{details}"
        self.result_ok = result.ok

    def test_print(self) -> None:
        self._run(self.maintenance.test_print)

    def reprint_last(self) -> None:
        self._run(self.maintenance.reprint_recent, 1)

    def send_queue(self) -> None:
        self._run(self.maintenance.send_queue_now)

    def retry_dead(self) -> None:
        """Retry every dead letter the status lists (up to 20, oldest first)."""
        refs = list((self.report.get("queue") or {}).get("dead_refs") or [])
        self._run(_retry_all, self.maintenance, refs)

    def export_dead(self) -> None:
        storage = Path(App.get_running_app().controller.config.storage.dir)
        path = storage / time.strftime("dead-letters-%Y%m%d-%H%M%S.jsonl")
        self._run(_export_to, self.maintenance, path)

    def test_card(self) -> None:
        self._run(self.maintenance.test_card)

    def set_language(self, language: str) -> None:
        self._run(self.maintenance.set_default_language, language)

    def restart(self) -> None:
        self._run(self.maintenance.restart_app)

    def leave(self) -> None:
        """Back to the citizens' screens at once; the core lets cards in when its worker gets there.

        Not after the worker: it may be busy for seconds (a print, a slow
        portal) and the technician is walking away. Until `Maintenance.leave`
        runs, a card is still ignored, never taken into a visit half-open.
        """
        app = App.get_running_app()
        maintenance = self.maintenance
        if maintenance is not None:
            # Once the core has let go, show the machine's state again: a transition that
            # came while the flag was still up (out of service...) was not drawn.
            maintenance.run_in_background(maintenance.leave, done=lambda _r: Clock.schedule_once(
                lambda _dt: _back_to_citizens(app) if app.manager.current != SCREEN_NAME else None))
        _back_to_citizens(app)


def _retry_all(maintenance: Any, refs: list[str]) -> ActionResult:
    """Each dead letter through `Maintenance.retry_dead` (each one audited), as one result."""
    if not refs:
        return ActionResult("retry_dead", True, "no dead letters to retry")
    results = [maintenance.retry_dead(ref) for ref in refs]
    retried = [r for r in results if r.ok]
    return ActionResult("retry_dead", len(retried) == len(refs),
                        f"{len(retried)} of {len(refs)} dead letters will be sent again")


def _export_to(maintenance: Any, path: Path) -> ActionResult:
    result = maintenance.export_dead(path)
    data = dict(result.data, path=str(path)) if result.ok else result.data
    return ActionResult(result.action, result.ok, result.message, data, result.available, result.values)


def _back_to_citizens(app: KioskApp) -> None:
    app.manager.current = app.controller.machine.state.value
    app.ui.state = app.manager.current


def show_maintenance(app: KioskApp) -> None:
    """The PIN was accepted (the core has ended the visit): cover everything with the screen."""
    for overlay in [w for w in Window.children if isinstance(w, ModalView)]:
        overlay.dismiss(animation=False)  # help or the idle warning must not sit on top
    app.manager.current = SCREEN_NAME


def install(app: KioskApp) -> HiddenDoor:
    """Called from KioskApp.build: the kv rules, the screen, and the watched corner."""
    Builder.load_file(str(Path(__file__).with_name("maintenance.kv")))
    app.manager.add_widget(MaintenanceScreen(name=SCREEN_NAME))
    door = HiddenDoor(app)
    door.bind()
    return door

"""KioskApp: the full-screen Kivy shell that draws the visit machine's state.

The controller (kiosk.controller, no Kivy) owns the visit; the app only
listens and calls. Listeners fire on device and network threads, so each
one hops to Kivy's main thread with ``Clock.schedule_once`` before touching
a widget. A citizen must never leave the kiosk or see it freeze: Esc, F4
and the window's close request are swallowed, and a once-a-second tick
drives the idle warning and ends abandoned visits.

Import order matters: `screens.boot.prepare_kivy` must have run before
this module is imported (it configures the window).
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.cache import Cache
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.widget import Widget

from kiosk.automation import AutomationServer
from kiosk.heap import RESTART_EXIT_CODE, Released, over_limit, release_freed_heap
from kiosk.logs import event
from kiosk.session import State, Transition
from screens.accessibility_bar import install as install_accessibility
from screens.accessibility_bar import on_transition as accessibility_transition
from screens.automation import UiDriver
from screens.demo_strip import DemoStrip
from screens.fonts import register_fonts
from screens.keyboard import OnScreenKeyboard
from screens.label_memory import release_label_surfaces
from screens.model import ShellModel
from screens.screens import (
    AttractScreen,
    BusyScreen,
    ErrorScreen,
    KioskScreen,
    MessageScreen,
    PendingScreen,
    PinScreen,
)
from screens.services_cache import WarmUp, draw_once, lay_out_off_screen
from screens.texts import COUNTER
from screens.widgets import (
    BusySpinner,
    CardAnimation,
    FoldingGrid,
    FoldingSection,
    KioskButton,
    KioskLabel,
    KioskScroll,
    PinDots,
)

log = logging.getLogger("screens.app")
HERE = Path(__file__).parent
# After a wiped visit: long enough for the attract screen to be drawn and the old
# screens' widgets dropped, short enough to be done before the next card comes.
HEAP_RELEASE_DELAY_S = 1.0
# A reader must stay missing this long before the attract screen says so: pcscd
# restarting, or the reader service's first look at start-up, must not flash it.
READER_MISSING_GRACE_S = 3.0
KV_FILES = ("widgets.kv", "attract.kv", "pin.kv", "messages.kv", "overlays.kv", "demo.kv",
            "keyboard.kv", "services.kv", "personal.kv", "login.kv")
# Keys a stray keyboard could use to close or leave the window.
KEY_ESCAPE, KEY_F4 = 27, 285
# Widget classes the .kv files name; imported so Factory knows them.
_KV_CLASSES = (BusySpinner, CardAnimation, FoldingGrid, FoldingSection, KioskButton, KioskLabel, KioskScroll,
               PinDots)


class IdleWarning(ModalView):
    """The time-out warning: seconds left, and "continue" while extensions remain."""

    automation_id = StringProperty("idle_warning")


def _build_screens() -> list[KioskScreen]:
    from kiosk.i18n import N_

    made: dict[str, KioskScreen] = {
        State.ATTRACT: AttractScreen(),
        State.READING_CARD: BusyScreen(
            title=N_("Reading your card…"),
            body=N_("Please wait and do not take the card out.")),
        State.PIN: PinScreen(),
        State.AUTHENTICATING: BusyScreen(
            title=N_("Checking your PIN…"),
            body=N_("You are being logged in. This takes a few seconds.")),
        State.PIN_BLOCKED: MessageScreen(
            title=N_("Your PIN is blocked"),
            body=N_("The PIN was entered wrongly too many times, so the card is locked for your safety. "
                    "Take your card and go to the counter with the PUK code envelope you received "
                    "with your card; a staff member will help you unblock it."),
            button=N_("Take my card and finish"), button_id="pin-blocked-ok"),
        State.ERROR: ErrorScreen(button=N_("OK, finish"), button_id="error-ok"),
        State.OUT_OF_SERVICE: MessageScreen(
            title=N_("This kiosk is out of service"), body=COUNTER),
        **_service_screens(),
    }
    for state in State:
        screen = made.get(state) or PendingScreen(
            body=N_("This part of the kiosk is not ready yet. Please go to the counter."),
            button=N_("Back to the start"), button_id="back-to-start")
        screen.name = state.value
        made[state] = screen
    return list(made.values())


def _service_screens() -> dict[str, KioskScreen]:
    """The citizen's pages after login (screens/personal.py, services.py, outcome.py, login.py)."""
    from kiosk.i18n import N_
    from screens.login import FirstLoginScreen, PasswordScreen
    from screens.outcome import ConfirmScreen, ResultScreen
    from screens.personal import HelpScreen, PersonalScreen
    from screens.services import CategoryScreen, ServiceScreen

    return {
        State.PASSWORD: PasswordScreen(),
        State.FIRST_LOGIN: FirstLoginScreen(),
        State.HOME: PersonalScreen(),
        State.CATEGORY: CategoryScreen(),
        State.SERVICE: ServiceScreen(),
        State.CONFIRM: ConfirmScreen(),
        State.SUBMITTING: BusyScreen(
            title=N_("Sending your request…"),
            body=N_("Please wait. Your request is being saved and sent; this takes a few seconds.")),
        State.RESULT: ResultScreen(),
        State.HELP: HelpScreen(),
    }


class KioskApp(App):
    """The kiosk window. ``controller`` follows the interface in docs/CONTRACTS.md."""

    max_visit_minutes = NumericProperty(20)

    def __init__(self, controller: Any, automation_socket: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.controller = controller
        self.automation_socket = automation_socket
        self.ui = ShellModel()
        self.manager: ScreenManager
        self.warning: IdleWarning | None = None
        self.demo_strip: DemoStrip | None = None
        self._keyboards_warm_up = WarmUp()
        self.a11y_bar: Any = None  # screens/accessibility_bar.py
        self._server: AutomationServer | None = None
        self.exit_code = 0  # RESTART_EXIT_CODE when the kiosk stops itself to start afresh
        self.heap_releases = 0  # for the automation state, with the last one's figures
        self.heap_last_release: Released | None = None
        self._release_heap = Clock.create_trigger(self._release_heap_after_visit, HEAP_RELEASE_DELAY_S)
        self._confirm_reader_missing = Clock.create_trigger(self._show_reader_missing, READER_MISSING_GRACE_S)
        self.title = "Kiosk"

    # ------------------------------------------------------------ building
    def build(self) -> Widget:
        register_fonts()
        release_label_surfaces()
        config = self.controller.config
        self.ui.dpi = config.screen.dpi
        self.ui.site_name = config.kiosk.site_name
        self.ui.language = self.controller.translator.language
        self.max_visit_minutes = round(config.session.max_session_s / 60)
        # The page colour is the window's clear colour, not a rectangle per screen: with
        # software OpenGL one opaque full-screen layer costs about 30 ms a frame.
        Window.clearcolor = self.ui.paper
        self.ui.bind(paper=lambda _ui, colour: setattr(Window, "clearcolor", colour))
        for name in KV_FILES:
            Builder.load_file(str(HERE / name))
        self.manager = ScreenManager(transition=NoTransition())
        for screen in _build_screens():
            self.manager.add_widget(screen)
        self.manager.current = self.controller.machine.state.value
        from screens.maintenance import install as install_maintenance

        self.maintenance_door = install_maintenance(self)  # the hidden corner and its screen
        Window.bind(on_keyboard=self._on_keyboard, on_request_close=self._on_request_close,
                    on_touch_down=self._on_any_touch)
        # Voice guide, large text, high contrast: a fixed bar under every screen.
        self.a11y_bar = install_accessibility(self)
        root = BoxLayout(orientation="vertical")
        root.add_widget(self.manager)
        root.add_widget(self.a11y_bar)
        demo = getattr(self.controller, "demo", None)
        if demo is None:
            return root
        # Only `kiosk demo` has demo controls: the strip below the kiosk's screens.
        self.demo_strip = DemoStrip(demo)
        root.add_widget(self.demo_strip)
        return root

    def on_start(self) -> None:
        machine = self.controller.machine
        # -1: before the next frame, so a tap's next screen is in the very frame after the
        # touch; with 0 it came one full (software GL) frame later (bench/ui_latency.py).
        machine.subscribe(lambda t: Clock.schedule_once(lambda _dt: self._show_transition(t), -1))
        self.controller.translator.subscribe(
            lambda lang: Clock.schedule_once(lambda _dt: setattr(self.ui, "language", lang)))
        self.controller.subscribe_status(
            lambda status: Clock.schedule_once(lambda _dt: self._show_status(status)))
        self._show_status(self.controller.status)
        Clock.schedule_interval(self._every_second, 1.0)
        # After the first frame: systemd's READY=1 means "a citizen can see the kiosk".
        Clock.schedule_once(lambda _dt: self.controller.window_shown(), 0)
        if self.automation_socket:
            driver = UiDriver(self)
            self._server = AutomationServer(
                self.automation_socket, driver.handle,
                lambda fn: Clock.schedule_once(lambda _dt: fn()))
            self._server.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # systemd stops the kiosk with SIGTERM: close cleanly on the main loop.
            signal.signal(sig, lambda *_: Clock.schedule_once(lambda _dt: self.stop()))
        self._plan_keyboards_warm_up()
        self.ui.bind(language=lambda *_: self._plan_keyboards_warm_up())
        self.controller.start()
        event(log, "kiosk window shown", size=f"{Window.width}x{Window.height}")

    def on_stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self.controller.stop()

    # ------------------------------------------------------------ the visit
    def _show_transition(self, transition: Transition) -> None:
        machine = self.controller.machine
        if transition.wiped:
            self.ui.clear_personal()
            for screen in self.manager.screens:
                screen.wipe()
            # Kivy's TextInput keeps each typed line's texture and width for 60 s, keyed by
            # the text itself: what the citizen typed must not outlive the visit there either.
            Cache.remove("textinput.label")
            Cache.remove("textinput.width")
            self._close_warning()
            self.ui.language = self.controller.translator.language
            self._release_heap()
        self.ui.reason = machine.reason if machine.state == transition.state else transition.reason
        visit = machine.visit
        if visit.pin_tries_left is not None:
            self.ui.tries_left = visit.pin_tries_left
        citizen = visit.citizen
        if transition.state in (State.HOME, State.FIRST_LOGIN) and citizen:
            names = (citizen.get("given_name", ""), citizen.get("surname", ""))
            self.ui.citizen_name = " ".join(n for n in names if n)
            self.ui.personal_number = str(citizen.get("personal_number", ""))
            self.ui.offline_visit = visit.offline
        self.ui.state = transition.state.value
        if not getattr(self.controller, "maintenance_open", False):  # the technician's screen stays
            self.manager.current = transition.state.value
        accessibility_transition(self.a11y_bar, transition.wiped)  # aids reset; the guide speaks

    def _release_heap_after_visit(self, _dt: float) -> None:
        """Once the wiped visit's widgets are gone, their freed memory goes back (kiosk/heap.py)."""
        if self.controller.machine.state is not State.ATTRACT:
            return  # the next citizen came at once: the wipe after their visit does it
        released = release_freed_heap()
        if released is not None:
            self.heap_releases += 1
            self.heap_last_release = released
        config = getattr(self.controller, "config", None)
        limit_mb = config.kiosk.restart_above_mb if config is not None else 0
        if released is not None and over_limit(released, limit_mb):
            event(log, "memory over the limit", rss_mb=round(released.rss_after_mb),
                  limit_mb=limit_mb)
            self._restart_between_citizens()

    def _restart_between_citizens(self, _dt: float = 0.0) -> None:
        """Stop with RESTART_EXIT_CODE for systemd to start the kiosk afresh (kiosk/heap.py)."""
        if self.controller.machine.state is not State.ATTRACT:
            return  # a citizen came meanwhile: asked again after their visit
        if getattr(self.controller, "busy", False):
            # The last citizen's receipt may still be printing: ask again in a moment.
            Clock.schedule_once(self._restart_between_citizens, 2.0)
            return
        event(log, "restarting between citizens", reason="memory over the limit")
        self.exit_code = RESTART_EXIT_CODE
        self.stop()

    def _show_status(self, status: Any) -> None:
        self.ui.network_online = bool(getattr(status, "network_online", True))
        self.ui.printer_ready = getattr(status, "printer", "ready") in ("ready", "near_end")
        if self.controller.card_reader_missing():
            self._confirm_reader_missing()  # shown only if still missing after the grace
        else:
            self._confirm_reader_missing.cancel()
            self.ui.reader_missing = False

    def _show_reader_missing(self, _dt: float) -> None:
        self.ui.reader_missing = self.controller.card_reader_missing()

    def _every_second(self, _dt: float) -> None:
        self.controller.main_loop_alive()  # the watchdog ping comes from the UI loop itself
        machine = self.controller.machine
        machine.tick()
        warning = machine.countdown()
        if warning is None:
            self._close_warning()
            return
        self.ui.warning_seconds = max(0, round(warning.seconds_left))
        self.ui.warning_can_extend = warning.can_extend
        self.ui.warning_cause = warning.cause
        if self.warning is None:
            self.warning = IdleWarning()
            self.warning.open(animation=False)

    def _close_warning(self) -> None:
        if self.warning is not None:
            self.warning.dismiss(animation=False)
            self.warning = None

    def extend_visit(self) -> None:
        if self.controller.extend():
            self._close_warning()

    # ------------------------------------------------------------ no way out
    def _on_any_touch(self, _window: Any, _touch: Any) -> bool:
        # Any tap is a sign of life, except on the warning: there only
        # "continue" counts, so the extension limit means something.
        if self.warning is None:
            self.controller.activity()
        return False

    def _on_keyboard(self, _window: Any, key: int, _scancode: int, _codepoint: str,
                     modifiers: list[str]) -> bool:
        if key in (KEY_ESCAPE, KEY_F4) or "alt" in modifiers:
            # Handled: nothing else sees it, so nothing closes. Logged so a
            # technician can see someone tried; the key code only for Esc and
            # F4, as an Alt+digit could be a PIN digit on the PIN screen.
            event(log, "key swallowed", key=key if key in (KEY_ESCAPE, KEY_F4) else "other",
                  modifiers="+".join(modifiers))
            return True
        return False

    def _plan_keyboards_warm_up(self) -> None:
        """Every screen keyboard's layouts built ahead and drawn once, off screen, one job
        per main-loop turn; never on the screen a citizen is looking at."""
        jobs: list[Any] = []
        for screen in self.manager.screens:
            if screen is self.manager.current_screen:
                continue
            for keyboard in (w for w in screen.walk() if isinstance(w, OnScreenKeyboard)):
                # Sized when the job runs: at the start the screens get their size only with
                # the first frame, and keys laid out before it would be 8 px wide.
                jobs.append(lambda screen=screen: lay_out_off_screen(screen))
                jobs += keyboard.warm_jobs(lambda screen=screen: draw_once(screen))
        self._keyboards_warm_up.restart(jobs)

    def _install_settings_keys(self, _window: Any) -> None:
        """Nothing: Kivy's App binds F1 to its settings panel (full screen, logging...),
        which would open over the kiosk and take F1 from the voice guide's "repeat"."""

    def open_settings(self, *_args: Any) -> bool:
        return False  # never Kivy's settings panel, whatever asks for it

    def _on_request_close(self, *_args: Any, **_kwargs: Any) -> bool:
        event(log, "window close request ignored")
        return True


def run(controller: Any, automation_socket: str | None = None) -> int:
    """Show the kiosk until it is stopped (SIGTERM); returns the exit code."""
    app = KioskApp(controller, automation_socket)
    app.run()
    return app.exit_code

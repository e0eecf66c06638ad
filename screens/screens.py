"""One small screen class per visit state; the layouts are in the .kv files beside this.

Screens read what they show from the app's `ShellModel` (``app.ui``) and
call only the controller. Each is named after its `State` value, which is
also the screen name the automation driver reports.
"""

from __future__ import annotations

import secrets

from kivy.app import App
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen

from screens.texts import PENDING_TITLES, error_text

PIN_LENGTH = 4  # the Georgian eID PIN


class KioskScreen(Screen):
    """Base: a screen that can forget anything personal it holds."""

    def wipe(self) -> None:
        """Called on every way out of a visit; screens holding citizen data override it."""


class AttractScreen(KioskScreen):
    """The waiting screen: insert your card, or choose a language, or log in another way."""

    def on_pre_enter(self, *_args: object) -> None:
        self.ids.card_animation.running = True

    def on_leave(self, *_args: object) -> None:
        self.ids.card_animation.running = False

    def open_help(self) -> None:
        HelpOverlay().open(animation=False)


class HelpOverlay(ModalView):
    """How to use the kiosk, reachable before logging in (the machine's HELP needs a visit)."""

    automation_id = StringProperty("help_overlay")


class BusyScreen(KioskScreen):
    """A wait the citizen cannot shorten: reading the card, asking the portal."""

    title = StringProperty("")
    body = StringProperty("")

    def on_pre_enter(self, *_args: object) -> None:
        self.ids.spinner.running = True

    def on_leave(self, *_args: object) -> None:
        self.ids.spinner.running = False


class PinScreen(KioskScreen):
    """The PIN pad. Digits live in one bytearray that is wiped as soon as it is handed over."""

    key_order = ListProperty([str(d) for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)])
    length = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        self._digits = bytearray()
        super().__init__(**kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        self.wipe()
        app = App.get_running_app()
        if app.controller.config.reader.shuffle_pin_keys:
            # A fresh order each time, so a watcher cannot learn the PIN
            # from where the finger went.
            order = [str(d) for d in range(10)]
            secrets.SystemRandom().shuffle(order)
            self.key_order = order
        else:
            self.key_order = [str(d) for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)]

    def on_leave(self, *_args: object) -> None:
        self.wipe()

    def press_digit(self, digit: str) -> None:
        if len(self._digits) < PIN_LENGTH:
            self._digits.append(ord(digit))
            self.length = len(self._digits)

    def clear(self) -> None:
        self.wipe()

    def submit(self) -> None:
        if len(self._digits) != PIN_LENGTH:
            return
        # The controller gets its own copy (it works on it on a worker thread
        # and wipes it); ours is wiped now.
        handed_over = bytearray(self._digits)
        self.wipe()
        App.get_running_app().controller.submit_pin(handed_over)

    def wipe(self) -> None:
        for i in range(len(self._digits)):
            self._digits[i] = 0
        self._digits.clear()
        self.length = 0


class MessageScreen(KioskScreen):
    """A plain page: what happened, what to do next, one button that ends the visit."""

    title = StringProperty("")
    body = StringProperty("")
    button = StringProperty("")  # msgid of the one button; "" for none
    button_id = StringProperty("")

    def press_button(self) -> None:
        # Every message screen's button ends the visit: the citizen leaves
        # with the advice on the screen, never stuck on it.
        App.get_running_app().controller.cancel()


class ErrorScreen(MessageScreen):
    """One message per ``machine.reason``, chosen when the screen is shown."""

    def on_pre_enter(self, *_args: object) -> None:
        self.show(App.get_running_app().ui.reason)

    def show(self, reason: str) -> None:
        self.title, self.body = error_text(reason)


class PendingScreen(MessageScreen):
    """Stands in for a state whose screen another part of the kiosk provides."""

    def on_pre_enter(self, *_args: object) -> None:
        self.title = PENDING_TITLES.get(self.name, PENDING_TITLES["help"])


class HomeScreen(KioskScreen):
    """The citizen's own page (the services screens will hang off it); its data is in ``app.ui``."""

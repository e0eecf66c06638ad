"""One small screen class per visit state; the layouts are in the .kv files beside this.

Screens read what they show from the app's `ShellModel` (``app.ui``) and
call only the controller. Each is named after its `State` value, which is
also the screen name the automation driver reports.
"""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen

from kiosk.pin_pad import PinPad, key_order
from screens.texts import PENDING_TITLES, error_text


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
    """The PIN pad on screen; the digits live in a kiosk.pin_pad.PinPad, wiped as soon as handed over."""

    key_order = ListProperty(key_order(shuffled=False))
    length = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        self._pad = PinPad()
        super().__init__(**kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        self.wipe()
        app = App.get_running_app()
        self.key_order = key_order(shuffled=app.controller.config.reader.shuffle_pin_keys)

    def on_leave(self, *_args: object) -> None:
        self.wipe()

    def press_digit(self, digit: str) -> None:
        if self._pad.press(digit):
            self.length = self._pad.length

    def clear(self) -> None:
        self.wipe()

    def submit(self) -> None:
        if not self._pad.complete:
            return
        # The controller wipes its copy once the card has it (on a worker thread).
        handed_over = self._pad.hand_over()
        self.length = 0
        App.get_running_app().controller.submit_pin(handed_over)

    def wipe(self) -> None:
        self._pad.wipe()
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

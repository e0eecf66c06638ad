"""The hidden way into maintenance: a long press in the top-right corner, then a technician PIN.

Citizens must not find it, so nothing is drawn: the door is a 15 mm square
of the window watched from KioskApp's window-level touch handling, which
sees every touch before any screen does, on every screen. The touch is not
swallowed (a button under the corner still works for a quick tap); only a
press held for `HOLD_S` opens the PIN pad, and then the widgets that took
that touch are let go of it, so lifting the finger presses nothing.

The PIN pad (`TechnicianPinPad`, overlay ``maintenance_pin``) keeps the
digits in a bytearray, hands a copy to `Maintenance.open_with_pin` on the
maintenance worker (scrypt takes ~0.1 s: never on the UI thread) and wipes
its own at once. The PIN is never logged or shown: the automation driver
sees bullets and a length.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from kiosk.i18n import translate
from kiosk.pin_pad import PinPad, key_order
from screens.widgets import Automatable

if TYPE_CHECKING:
    from screens.app import KioskApp

HOLD_S = 3.0  # long enough that no citizen does it by chance
CORNER_MM = 15.0
PIN_MAX = 8  # `kiosk hash-pin` accepts longer PINs than the citizen's 4 digits
PIN_MIN = 4
PAD_IDLE_S = 60.0  # a pad left open (opened by chance) closes itself


def M_(message: str) -> str:
    """Marks a maintenance msgid (maintenance.po) where it is defined; translated where shown."""
    return message


class TechPinDots(Automatable, Label):
    """Masked places for the technician PIN: how many digits, never which."""

    automation_kind = "input"
    length = NumericProperty(0)

    @property
    def automation_text(self) -> str:
        return "•" * int(self.length)


class TechnicianPinPad(ModalView):
    """The technician's PIN pad, over whatever screen the long press happened on."""

    automation_id = StringProperty("maintenance_pin")
    key_order = ListProperty(key_order(shuffled=False))
    length = NumericProperty(0)
    message = StringProperty("")  # already translated
    alarm = BooleanProperty(False)  # the message is a refusal (drawn in red)
    busy = BooleanProperty(False)  # a PIN is being checked: OK is off
    locked_s = NumericProperty(0)  # seconds of lockout left, counted down here

    def __init__(self, app: KioskApp, **kwargs: Any) -> None:
        self._pad = PinPad(max_length=PIN_MAX)
        self._app = app
        self._last_input = time.monotonic()
        super().__init__(**kwargs)
        # Always shuffled: the pad is in a public hall.
        self.key_order = key_order(shuffled=True)

    # ------------------------------------------------------------ life cycle
    def on_open(self) -> None:
        maintenance = self._app.controller.maintenance
        gate = getattr(maintenance, "gate", None)
        if maintenance is None or (gate is not None and not gate.enabled):
            self._say(M_("Maintenance is not configured on this kiosk."), alarm=True)
        elif gate is not None and gate.seconds_locked() > 0:
            self._lock(gate.seconds_locked())
        Clock.schedule_interval(self._tick, 1.0)

    def on_dismiss(self) -> None:
        Clock.unschedule(self._tick)
        self.wipe()

    def _tick(self, _dt: float) -> None:
        if self.locked_s > 0 and not self.busy:
            # The gate's own count (its lock is only held while a PIN is hashed, and not now):
            # a lockout left from before a restart, or a clock change, shows right.
            gate = getattr(self._app.controller.maintenance, "gate", None)
            self._lock(gate.seconds_locked() if gate is not None else 0.0)
        if time.monotonic() - self._last_input > PAD_IDLE_S and not self.busy:
            self.dismiss(animation=False)

    # ------------------------------------------------------------ keys
    def press_digit(self, digit: str) -> None:
        self._last_input = time.monotonic()
        if self._pad.press(digit):
            self.length = self._pad.length

    def clear(self) -> None:
        self._last_input = time.monotonic()
        self.wipe()

    def submit(self) -> None:
        """Check the PIN on the maintenance worker; the answer comes back on the Clock."""
        self._last_input = time.monotonic()
        maintenance = self._app.controller.maintenance
        if self._pad.length < PIN_MIN or self.busy:
            return
        if maintenance is None:
            self.wipe()
            self._say(M_("Maintenance is not configured on this kiosk."), alarm=True)
            return
        handed_over = self._pad.hand_over()  # the gate wipes this copy
        self.wipe()
        self.busy = True
        self._say(M_("Checking…"))
        maintenance.run_in_background(
            maintenance.open_with_pin, handed_over,
            done=lambda result: Clock.schedule_once(lambda _dt: self._answered(result)))

    def _answered(self, result: Any) -> None:
        self.busy = False
        kind = type(result).__name__
        if kind == "Accepted":
            self.dismiss(animation=False)
            from screens.maintenance import show_maintenance

            show_maintenance(self._app)
        elif kind == "Wrong":
            self._say(M_("Wrong PIN. {n} more tries before a lockout."), alarm=True,
                      n=int(result.tries_before_lock))
        elif kind == "LockedOut":
            self._lock(float(result.seconds_left))
        else:  # Disabled
            self._say(M_("Maintenance is not configured on this kiosk."), alarm=True)

    def _lock(self, seconds: float) -> None:
        self.locked_s = math.ceil(seconds)  # never "try again in 0 s" while still locked
        if self.locked_s > 0:
            self._say(M_("Too many wrong PINs. Try again in {seconds} s."), alarm=True, seconds=self.locked_s)
        else:
            self._say("")

    def _say(self, msgid: str, alarm: bool = False, **values: Any) -> None:
        self.message = translate(self._app.ui.language, msgid, **values) if msgid else ""
        self.alarm = alarm

    def wipe(self) -> None:
        self._pad.wipe()
        self.length = 0


class HiddenDoor:
    """Watches the window's touches for a long press in the top-right corner."""

    def __init__(self, app: KioskApp, hold_s: float = HOLD_S) -> None:
        self.app = app
        self.hold_s = hold_s
        self._pressing: dict[Any, Any] = {}  # touch uid -> the scheduled opening
        self.pad: TechnicianPinPad | None = None

    def bind(self) -> None:
        Window.bind(on_touch_down=self._down, on_touch_move=self._move, on_touch_up=self._up)

    def in_corner(self, x: float, y: float) -> bool:
        """Kivy's origin is bottom-left: the corner is the top (high y) right (high x)."""
        side = self.app.ui.mm(CORNER_MM)
        return x >= Window.width - side and y >= Window.height - side

    def _down(self, _window: Any, touch: Any) -> bool:
        if self.in_corner(*touch.pos) and self.pad is None and not self._maintenance_shown():
            self._pressing[touch.uid] = Clock.schedule_once(lambda _dt: self._held(touch), self.hold_s)
        return False  # never swallowed: a button under the corner still works

    def _move(self, _window: Any, touch: Any) -> bool:
        if touch.uid in self._pressing and not self.in_corner(*touch.pos):
            self._pressing.pop(touch.uid).cancel()
        return False

    def _up(self, _window: Any, touch: Any) -> bool:
        pending = self._pressing.pop(touch.uid, None)
        if pending is not None:
            pending.cancel()
        return False

    def _held(self, touch: Any) -> None:
        self._pressing.pop(touch.uid, None)
        for ref in list(touch.grab_list):
            widget = ref()
            if widget is None:
                continue
            touch.ungrab(widget)
            if isinstance(widget, ButtonBehavior):
                widget.state = "normal"  # let go without a release: nothing is pressed
        self.open_pad()

    def open_pad(self) -> None:
        self.pad = TechnicianPinPad(self.app)
        self.pad.bind(on_dismiss=lambda *_: setattr(self, "pad", None))
        self.pad.open(animation=False)

    def _maintenance_shown(self) -> bool:
        return bool(getattr(self.app.controller, "maintenance_open", False))

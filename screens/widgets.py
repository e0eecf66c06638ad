"""The kiosk's few building blocks: a big button, a wrapping label, PIN dots, the card animation.

Every widget a person can see or press carries an ``automation_id`` (the
name the automation driver, the tests and the docs use for it), so tests
address what a citizen sees, not Kivy's widget tree. Looks live in
widgets.kv; what is here is behaviour.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.properties import (
    BooleanProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

# How long a key stays lit after it is released: a quick tap must still be
# seen, or elderly users tap again and enter a digit twice.
FEEDBACK_S = 0.25


class Automatable:
    """Mixin: the stable name the automation driver reports and taps by."""

    automation_id = StringProperty("")
    # "button", "label", "input" or "image": what the driver reports as `kind`.
    automation_kind = "label"


class PressButton(ButtonBehavior):
    """Kivy's ButtonBehavior that lets go of the touch once it is released.

    Kivy keeps each button's last touch (``last_touch``) with its times, so
    the PIN keys sorted by when they were last pressed spell the PIN, and the
    keyboard's keys what was typed, long after the visit. Nothing here reads
    the touch after its release.
    """

    last_touch = ObjectProperty(None, allownone=True)  # Kivy's refuses None once set

    def on_touch_up(self, touch: Any) -> bool:
        handled = bool(super().on_touch_up(touch))
        if self.last_touch is touch:
            self.last_touch = None
        return handled


class KioskLabel(Automatable, Label):
    """A label that wraps to its width and grows to its text (Georgian strings are long)."""


class KioskButton(Automatable, PressButton, Label):
    """A large button that lights up the moment it is touched."""

    automation_kind = "button"
    style = OptionProperty("primary", options=["primary", "secondary", "quiet", "key"])
    lit = BooleanProperty(False)
    enabled = BooleanProperty(True)

    def on_enabled(self, _instance: object, enabled: bool) -> None:
        self.disabled = not enabled

    def on_press(self) -> None:
        self.lit = True
        Clock.unschedule(self._unlight)
        Clock.schedule_once(self._unlight, FEEDBACK_S)

    def _unlight(self, _dt: float) -> None:
        self.lit = False

    def one_line_width(self, text: str, font_size: float, font_name: str) -> float:
        """How wide ``text`` is on one line in this button's font, padding included.

        For a button sized to its words beside a field that takes the rest:
        wrapped into a fixed width, a Georgian label broke mid-word and the
        button grew over the row above. Measured without drawing a texture.
        """
        extent = CoreLabel(font_size=font_size, font_name=font_name, bold=self.bold).get_extents(text)[0]
        return float(extent + 2 * self.padding[0])


class PinDots(Automatable, Widget):
    """Four masked places for the PIN: only how many digits are entered, never which."""

    automation_kind = "input"
    length = NumericProperty(0)
    capacity = NumericProperty(4)

    @property
    def automation_text(self) -> str:
        return "•" * int(self.length)


class CardAnimation(Automatable, Widget):
    """An ID card sliding chip-first into a reader, looping while the widget is shown.

    Drawn with Kivy graphics (no image files) and stepped by the Clock at a
    modest rate, since every frame is drawn by the CPU on software GL. The
    attract screen starts and stops it, so it costs nothing during a visit.
    """

    automation_kind = "image"
    phase = NumericProperty(0.0)  # 0: card above the reader, 1: card inside
    card_w = NumericProperty(0.0)
    card_h = NumericProperty(0.0)
    reader_top = NumericProperty(0.0)
    running = BooleanProperty(False)
    # The reader is gone: the card rests above it, crossed out, and nothing invites it in.
    unavailable = BooleanProperty(False)
    period_s = NumericProperty(4.0)
    _elapsed = 0.0

    def on_running(self, *_args: object) -> None:
        Clock.unschedule(self._step)
        if self.running and not self.unavailable:
            self._elapsed = 0.0
            Clock.schedule_interval(self._step, 1 / 15)
        else:
            self.phase = 0.0

    on_unavailable = on_running

    def _step(self, dt: float) -> None:
        self._elapsed = (self._elapsed + dt) % self.period_s
        t = self._elapsed / self.period_s
        # Slide in over 30 % of the loop, rest inside, then rest above. The
        # window is only redrawn while the card moves (a property set to
        # the value it has draws nothing): measured 66 % of a core when it
        # moved all the time at 20 fps on llvmpipe, so it rests most of the loop.
        if t < 0.3:
            x = t / 0.3
            self.phase = x * x * (3 - 2 * x)  # ease in and out
        elif t < 0.7:
            self.phase = 1.0
        else:
            self.phase = 0.0


class BusySpinner(Widget):
    """A turning arc: the kiosk is working, not frozen (only while its screen is shown)."""

    angle = NumericProperty(0.0)
    running = BooleanProperty(False)

    def on_running(self, _instance: object, running: bool) -> None:
        Clock.unschedule(self._step)
        if running:
            Clock.schedule_interval(self._step, 1 / 15)

    def _step(self, dt: float) -> None:
        self.angle = (self.angle + 300 * dt) % 360


class FoldsAway:
    """A part of a page shown or folded away with one flag, ``shown`` (mixed into a layout).

    Folded, it is 0 px high, transparent and disabled, but its children keep
    their own heights and Kivy does not clip touches to a parent's box: a
    disabled child spilling over the part shown takes every touch that lands
    on it. A fine paid earlier in the visit left its panel over the lower half
    of the next form, whose choices and phone field then did nothing when
    tapped (found by the field trial); the personal page's folded tiles and
    actions did the same to the lowest search results. Folded, it takes no
    touch and passes none on.
    """

    shown = BooleanProperty(True)

    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_down(touch))  # type: ignore[misc]

    def on_touch_move(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_move(touch))  # type: ignore[misc]

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_up(touch))  # type: ignore[misc]


class FoldingSection(FoldsAway, BoxLayout):
    """A vertical section that folds away (its looks: widgets.kv)."""


class FoldingGrid(FoldsAway, GridLayout):
    """A grid that folds away (its looks: widgets.kv)."""


class KioskScroll(ScrollView):
    """The lists and forms' ScrollView (looks in services.kv), without Kivy 2.3's listener leak.

    Kivy's `ScrollView.update_from_scroll` binds `_change_bar_color` to
    `bar_color` on every call but unbinds it once, half a second after the
    last one: every scroll, layout or `scroll_to` within that half second
    left one more listener for good (bench/memory_soak.py: about 13 a visit,
    forever). Unbinding first keeps exactly one.
    """

    def update_from_scroll(self, *args: object) -> None:
        self.funbind("bar_color", self._change_bar_color)
        super().update_from_scroll(*args)

"""The voice guide in the window: speech on every screen change, and navigation without sight.

kiosk/speech.py has the guide itself (espeak-ng into the headset, PIN
tones, volume steps) and the focus ring; this module wires them to what the
window shows, following docs/CONTRACTS.md "Voice guide and accessibility
checks". It all runs on Kivy's main thread: the app calls `on_transition`
from its own (already main-thread) transition handler, and the bar's
buttons and the physical keys arrive there too.

- The guide is OFF until a citizen presses "Voice guide" (or a key of the
  keypad beside the headset jack); every wiped visit turns it off again and
  puts the volume back to the default (Section 508 §402), so the next
  citizen starts from a silent kiosk at a normal volume.
- The focus ring is fed the same widget descriptions the automation driver
  gives tests (`UiDriver.describe`), so what a listener can reach is what a
  test can see; "activate" presses the focused control with a real touch
  through the driver's own ``tap`` command.
- The service form and the confirm screen add their printer note (the
  receipt will be on the screen) while the printer is not ready, and say it
  when the printer stops while they are shown. The answer to a letter
  (overlay ``request-answer``) is announced and read, the agency's text in
  the voice of its own language (kiosk/speech_texts.py `answer_reading`).
- PIN digits are heard as tones: the pad's ``length`` rising is all this
  module watches, so it never learns which digit was pressed. Digits typed
  on a physical keypad go to the pad's own ``press_digit`` and are neither
  spoken, logged nor kept here.

``KIOSK_SPEECH_WAV_DIR=/some/dir`` replaces the audio player with one that
writes each utterance and tone as a WAV file into that folder (tests, and a
technician checking a kiosk without a headset). espeak-ng still speaks.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics import Color, Line
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from kiosk.i18n import N_, translate
from kiosk.logs import event
from kiosk.speech import (
    VOLUME_AMPLITUDES,
    FocusRing,
    VoiceGuide,
    describe_control,
    screen_instructions,
    warning_instructions,
)
from kiosk.speech_texts import PRINTER_NOTE_SCREENS, answer_reading, printer_note
from screens.automation import UiDriver, after_drawn

if TYPE_CHECKING:
    from screens.app import KioskApp

log = logging.getLogger("screens.voice")
WAV_DIR_ENV = "KIOSK_SPEECH_WAV_DIR"
# A player for VoiceGuide that writes the WAV stream it is given into the
# folder ($0), whole or not at all (a cut-off utterance leaves only .part).
WAV_SINK = 'f=$(mktemp "$0/.part.XXXXXX") && cat > "$f" && mv "$f" "$0/$(date +%s%N).wav"'

VOLUME_SAID = N_("Volume {n} of {top}")
GUIDE_ON = N_("Voice guide on.")
FOLLOW_S = 0.5  # how often the focus frame catches up with a control that moved

# Kivy key codes of a keyboard or the keypad beside the headset jack.
KEY_TAB, KEY_ENTER, KEY_NUMPAD_ENTER = 9, 13, 271
KEYS_NEXT = {274, 275}  # down, right (and Tab)
KEYS_PREVIOUS = {273, 276}  # up, left (and shift+Tab)
KEYS_VOLUME_UP = {43, 61, 270}  # "+", "=" (+ without shift), numpad +
KEYS_VOLUME_DOWN = {45, 269}  # "-", numpad -
KEYS_REPEAT = {282, ord("h")}  # F1, h
NUMPAD_DIGITS = {256 + d: str(d) for d in range(10)}


def make_guide(language: str) -> VoiceGuide:
    """The app's one guide; its player writes WAV files instead when KIOSK_SPEECH_WAV_DIR is set."""
    folder = os.environ.get(WAV_DIR_ENV)
    if folder:
        os.makedirs(folder, exist_ok=True)
        return VoiceGuide(language, player=["sh", "-c", WAV_SINK, os.path.abspath(folder)])
    return VoiceGuide(language)


class FocusFrame(Widget):
    """A thick yellow-and-black frame drawn over the focused control, above everything else.

    Added to the Window itself (not a screen), and raised above an overlay
    when one opens, so the focus shows wherever it is. It takes no touches.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(size_hint=(None, None), size=(0, 0), **kwargs)
        with self.canvas:
            Color(0, 0, 0, 1)
            self._outer = Line(rectangle=(0, 0, 0, 0), width=6)
            Color(1, 0.867, 0, 1)
            self._inner = Line(rectangle=(0, 0, 0, 0), width=3)

    def show(self, rect: list[float] | None) -> None:
        """Frame ``rect`` (the automation driver's top-left [x, y, w, h]); None hides it."""
        if rect is None:
            self.opacity = 0
            return
        x, top, w, h = rect
        y = Window.height - top - h
        self._outer.rectangle = (x - 6, y - 6, w + 12, h + 12)
        self._inner.rectangle = (x - 6, y - 6, w + 12, h + 12)
        self.opacity = 1
        if self.parent is not None and self.parent.children[0] is not self:
            parent = self.parent
            parent.remove_widget(self)  # back on top of an overlay opened since
            parent.add_widget(self)

    def on_touch_down(self, touch: Any) -> bool:
        return False


class VoiceController:
    """One per app: the guide, the focus ring, the frame, the keys; OFF until asked for."""

    def __init__(self, app: KioskApp, bar: Any) -> None:
        self.app = app
        self.bar = bar  # screens/accessibility_bar.py: shows the navigation row while on
        self.guide = make_guide(app.ui.language)
        self.ring = FocusRing()
        self.driver = UiDriver(app)  # only to describe and tap, never a socket
        self.frame = FocusFrame()
        self._overlays: list[ModalView] = []
        self._pin_length = 0

    @property
    def on(self) -> bool:
        return bool(self.bar.guide_on)

    def install(self) -> None:
        Window.add_widget(self.frame)
        self.frame.show(None)
        Window.bind(on_keyboard=self._on_keyboard, children=self._on_window_children)
        self.app.ui.bind(language=self._on_language, printer_ready=self._on_printer,
                         reader_missing=self._on_reader)
        pin = self.app.manager.get_screen("pin")
        pin.bind(length=self._on_pin_length)

    # ------------------------------------------------------------ on / off
    def toggle(self) -> None:
        self.set_on(not self.on)

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        self.bar.guide_on = on
        event(log, "voice guide", on=on)
        if on:
            Clock.schedule_interval(self._follow, FOLLOW_S)
            self.guide.set_language(self.app.ui.language)
            self._refresh_ring()
            self._say_where_we_are(prefix=translate(self.guide.language, GUIDE_ON))
        else:
            Clock.unschedule(self._follow)
            self.guide.stop()
            self.frame.show(None)

    def _follow(self, _dt: float) -> None:
        # The focused control moves when text grows or a list scrolls: the frame follows it.
        self._refresh_ring()

    def reset(self) -> None:
        """A wiped visit: silence, default volume and language, guide off for the next citizen."""
        Clock.unschedule(self._follow)
        self.guide.reset()
        self.bar.guide_on = False
        self.ring = FocusRing()
        self.frame.show(None)

    # ------------------------------------------------------------ what is shown
    def on_transition(self, wiped: bool) -> None:
        """Called by the app after each visit transition is drawn into the model (main thread)."""
        if wiped:
            self.reset()
        if not self.on:
            return
        after_drawn(lambda: (self._refresh_ring(), self._say_where_we_are()))

    def _say_where_we_are(self, prefix: str = "") -> None:
        overlay = self._top_overlay()
        if overlay is not None and getattr(overlay, "automation_id", "") == "idle_warning":
            self._say_warning()
            return
        if overlay is not None and getattr(overlay, "automation_id", "") == "help_overlay":
            self.guide.say_screen("help_overlay")
            return
        if overlay is not None and getattr(overlay, "automation_id", "") == "request-answer":
            self._say_answer(overlay, prefix)
            return
        ui = self.app.ui
        tries = int(ui.tries_left) if ui.tries_left >= 0 else None
        if prefix:
            text = screen_instructions(ui.state, self.guide.language, ui.reason or None, tries_left=tries,
                                       printer_ready=ui.printer_ready, reader_missing=ui.reader_missing,
                                       online=ui.network_online)
            self.guide.say(f"{prefix} {text}")
        else:
            self.guide.say_screen(ui.state, ui.reason or None, tries_left=tries,
                                  printer_ready=ui.printer_ready, reader_missing=ui.reader_missing,
                                  online=ui.network_online)

    def _say_answer(self, overlay: Any, prefix: str = "") -> None:
        """A letter's answer: what it is in the citizen's language, the agency's text in its own voice."""
        item = getattr(overlay, "item", None) or {}
        parts = answer_reading(self.guide.language, overlay.agency, overlay.subject, overlay.date,
                               str(item.get("answer") or ""))
        if prefix:
            parts.insert(0, (self.guide.language, prefix))
        self.guide.say_parts(parts)

    def _on_printer(self, _model: Any, ready: bool) -> None:
        # The form's and confirm screen's receipt-note appears while the citizen is there: say
        # it too. The controller asks the printer as the screen opens, so its answer often
        # comes while the screen's own text is read: then that text again, with the note.
        ui = self.app.ui
        if not self.on or ready or ui.state not in PRINTER_NOTE_SCREENS or self._top_overlay() is not None:
            return
        if self.guide.speaking:
            self._say_where_we_are()
        else:
            self.guide.say(printer_note(self.guide.language))

    def _on_reader(self, _model: Any, _missing: bool) -> None:
        # A listener at the attract screen cannot see the card prompt change: say it again.
        if self.on and self.app.ui.state == "attract" and self._top_overlay() is None:
            self._say_where_we_are()

    def _say_warning(self) -> None:
        ui = self.app.ui
        seconds, language = int(ui.warning_seconds), self.guide.language
        self.guide.say(warning_instructions(seconds, ui.warning_can_extend, language))

    def _on_language(self, _model: Any, language: str) -> None:
        self.guide.set_language(language)
        if self.on:
            after_drawn(lambda: (self._refresh_ring(), self._say_where_we_are()))

    def _top_overlay(self) -> ModalView | None:
        overlays = self.driver.overlays()
        return overlays[-1] if overlays else None

    def _on_window_children(self, _window: Any, children: list[Widget]) -> None:
        overlays = [w for w in children if isinstance(w, ModalView)]
        opened = [o for o in overlays if o not in self._overlays]
        closed = bool(set(self._overlays) - set(overlays))
        self._overlays = overlays
        if not self.on or not (opened or closed):
            return
        def said() -> None:
            self._refresh_ring()
            kind = getattr(opened[0], "automation_id", "") if opened else ""
            if kind == "idle_warning":
                self._say_warning()
            elif kind == "help_overlay":
                self.guide.say_screen("help_overlay")
            elif kind == "request-answer":
                self._say_answer(opened[0])
        after_drawn(said)

    def _on_pin_length(self, _screen: Any, length: int) -> None:
        # A digit went in: a tone, never the digit (the pad's length is all we see).
        if length > self._pin_length and self.on:
            self.guide.pin_feedback()
        self._pin_length = length

    # ------------------------------------------------------------ navigation
    def _widgets(self) -> list[dict[str, Any]]:
        """What the ring may reach: the top overlay if one is open, else the current screen."""
        overlay = self._top_overlay()
        root = overlay if overlay is not None else self.app.manager.current_screen
        found = []
        for widget in self.driver.visible_widgets():
            parent = widget
            while parent is not None and parent is not root and parent is not parent.parent:
                parent = parent.parent
            if parent is root:
                found.append(self.driver.describe(widget))
        return found

    def _refresh_ring(self) -> None:
        self.ring.update(self._widgets())
        current = self.ring.current
        self.frame.show(current["rect"] if current and self.on else None)

    def move(self, forward: bool) -> None:
        """Next/previous control: the frame moves there and the guide names it."""
        self._refresh_ring()
        widget = self.ring.next() if forward else self.ring.previous()
        if widget is None:
            return
        self.frame.show(widget["rect"])
        self.guide.say(describe_control(widget, self.guide.language))

    def activate(self) -> None:
        """Press the focused control with a real touch (the driver's tap, as a finger would)."""
        self._refresh_ring()
        automation_id = self.ring.activate()
        if automation_id is None:
            self.move(True)  # nothing focused yet: the first press finds the first control
            return
        self.driver.handle({"cmd": "tap", "id": automation_id}, lambda _answer: self._refresh_ring())

    def repeat(self) -> None:
        if self.guide.last_text:
            self.guide.repeat()
        else:
            self._say_where_we_are()

    def volume(self, up: bool) -> None:
        step = self.guide.volume_up() if up else self.guide.volume_down()
        self.guide.say(translate(self.guide.language, VOLUME_SAID, n=step + 1, top=len(VOLUME_AMPLITUDES)))

    # ------------------------------------------------------------ physical keys
    def _on_keyboard(self, _window: Any, key: int, _scancode: int, codepoint: str | None,
                     modifiers: list[str]) -> bool:
        if "alt" in modifiers or "ctrl" in modifiers:
            return False  # the app swallows these itself
        if self._focused_text_input() is not None and key not in KEYS_REPEAT - {ord("h")}:
            return False  # a text field is being typed in: its keys are its own
        digit = NUMPAD_DIGITS.get(key) or (codepoint if codepoint and codepoint.isdigit() else None)
        if digit is not None and self.app.manager.current == "pin":
            self.app.manager.get_screen("pin").press_digit(digit)  # a tone via the length, if on
            return True
        action = self._action_for(key, modifiers)
        if action is None:
            return False
        if not self.on:
            self.set_on(True)  # a keypad user is most likely listening: any guide key starts it
            if action in ("next", "previous", "activate", "repeat"):
                return True
        {"next": lambda: self.move(True), "previous": lambda: self.move(False), "activate": self.activate,
         "repeat": self.repeat, "up": lambda: self.volume(True), "down": lambda: self.volume(False)}[action]()
        return True

    @staticmethod
    def _action_for(key: int, modifiers: list[str]) -> str | None:
        if key == KEY_TAB:
            return "previous" if "shift" in modifiers else "next"
        if key in KEYS_NEXT:
            return "next"
        if key in KEYS_PREVIOUS:
            return "previous"
        if key in (KEY_ENTER, KEY_NUMPAD_ENTER):
            return "activate"
        if key in KEYS_VOLUME_UP:
            return "up"
        if key in KEYS_VOLUME_DOWN:
            return "down"
        if key in KEYS_REPEAT:
            return "repeat"
        return None

    def _focused_text_input(self) -> Widget | None:
        from kivy.uix.textinput import TextInput

        for widget in self.driver.visible_widgets():
            if isinstance(widget, TextInput) and widget.focus:
                return widget
        return None

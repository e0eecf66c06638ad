"""The fixed bar at the bottom of every screen: voice guide, large text, high contrast.

A citizen with low vision or without sight must find these one tap away on
every screen, in the same place, and low on the tall portrait screen where
a seated or short citizen can reach them (reach range 380-1220 mm). So they
are not part of any screen's layout: the app stacks this bar under its
ScreenManager, and no .kv rule of a screen needs to know it exists.

While the voice guide is on, a second row of LARGE fixed buttons appears
above the toggles: previous / press / next, and volume down / repeat /
volume up, laid out like the keypad beside a headset jack, for a citizen
who navigates by ear (screens/voice.py does the listening part).

An overlay (the idle warning, help) is a ModalView that takes every touch
in the window; touches on this bar are handed to it anyway, so the focus
keys work on the warning's "Continue" too.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from kiosk.i18n import N_
from kiosk.logs import event
from screens.voice import VoiceController

if TYPE_CHECKING:
    from screens.app import KioskApp

log = logging.getLogger("screens.accessibility_bar")
# msgids of the bar (a11y.po); the .kv file shows them through app.ui.tr.
LABELS = (
    N_("Voice guide"), N_("Large text"), N_("High contrast"),
    N_("Previous"), N_("Next"), N_("Press"), N_("Repeat"), N_("Quieter"), N_("Louder"),
)
HIDDEN_ON = frozenset({"maintenance"})  # the technician's screen has its own rules


class A11yBar(BoxLayout):
    """The bar's widgets (looks in accessibility.kv); ``guide_on`` shows the navigation row."""

    guide_on = BooleanProperty(False)
    hidden = BooleanProperty(False)

    def __init__(self, app: KioskApp, **kwargs: Any) -> None:
        self.app = app
        self.voice = VoiceController(app, self)
        super().__init__(**kwargs)
        self._nav = self.ids.nav.__self__  # a strong reference: ids are weak
        self.remove_widget(self._nav)  # until the guide is turned on

    def on_guide_on(self, _instance: object, on: bool) -> None:
        if on and self._nav.parent is None:
            self.add_widget(self._nav, index=len(self.children))  # above the toggles
        elif not on and self._nav.parent is self:
            self.remove_widget(self._nav)

    # Buttons (accessibility.kv) call these.
    def toggle_voice(self) -> None:
        self.voice.toggle()

    def toggle_large_text(self) -> None:
        self.app.ui.large_text = not self.app.ui.large_text
        event(log, "large text", on=self.app.ui.large_text)

    def toggle_contrast(self) -> None:
        self.app.ui.contrast = not self.app.ui.contrast
        event(log, "high contrast", on=self.app.ui.contrast)

    def end_of_visit(self) -> None:
        """Every aid back to normal for the next citizen (called on each wiped transition)."""
        self.app.ui.reset_accessibility()

    # Hidden (height 0) its disabled buttons would still swallow taps meant for the screen.
    def on_touch_down(self, touch: Any) -> bool:
        return False if self.hidden else super().on_touch_down(touch)

    def on_touch_up(self, touch: Any) -> bool:
        return False if self.hidden else super().on_touch_up(touch)

    def through_overlay(self, _window: Any, touch: Any) -> bool:
        """A touch on the bar while an overlay is open: the bar gets it, not the overlay."""
        if self.hidden or not self.collide_point(*touch.pos):
            return False
        if not any(isinstance(w, ModalView) for w in Window.children):
            return False
        self.dispatch("on_touch_down", touch)
        return True


def install(app: KioskApp) -> A11yBar:
    """Called from KioskApp.build once the screens exist: the kv rules, the bar and its listeners."""
    Builder.load_file(str(Path(__file__).with_name("accessibility.kv")))
    bar = A11yBar(app)
    bar.voice.install()
    Window.bind(on_touch_down=bar.through_overlay)

    def follow_screen(_manager: Any, name: str) -> None:
        bar.hidden = name in HIDDEN_ON

    app.manager.bind(current=follow_screen)
    follow_screen(app.manager, app.manager.current)
    return bar


def on_transition(bar: A11yBar, wiped: bool) -> None:
    """The app's transition hook: aids reset on a wiped visit, then the guide speaks (if on)."""
    if wiped:
        bar.end_of_visit()
    bar.voice.on_transition(wiped)

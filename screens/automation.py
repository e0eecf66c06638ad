"""The Kivy half of the automation driver: what a person sees, and real taps.

Runs on Kivy's main thread (the transport in kiosk/automation.py hops here
with the Clock). It reports only what is visible on the current screen and
any open overlay, in window pixels with a top-left origin, and it presses
widgets with real touch events through the window, so a test exercises
the same path as a finger. The PIN field reports how many digits it holds,
never which.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from kiosk.automation import Reply
from screens.fonts import missing_glyphs
from screens.services_cache import warming_up

if TYPE_CHECKING:
    from screens.app import KioskApp

LONG_PRESS_MAX_S = 8.0
DEMO_ACTIONS = ("insert_card", "remove_card", "toggle_network", "cycle_printer", "fail_next_card")


def after_drawn(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the next frame is drawn, before it is swapped to the screen.

    A redraw is requested so this never waits on an idle window; the
    callback runs in the window's on_flip, while the back buffer holds
    exactly what is about to be shown (what a screenshot must read).
    """

    def once(*_args: object) -> None:
        Window.unbind(on_flip=once)
        callback()

    Window.bind(on_flip=once)
    Window.canvas.ask_update()


class UiDriver:
    """Answers automation commands for one running KioskApp."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.commands: dict[str, Callable[[dict[str, Any], Reply], None]] = {
            "state": self._state,
            "tap": self._tap,
            "long_press": self._long_press,
            "type": self._type,
            "wait": self._wait,
            "screenshot": self._screenshot,
            "missing_glyphs": self._missing_glyphs,
            "held_texts": self._held_texts,
            "demo": self._demo,
        }

    def handle(self, command: dict[str, Any], reply: Reply) -> None:
        name = command.get("cmd")
        handler = self.commands.get(str(name))
        if handler is None:
            reply({"error": "unknown_command", "cmd": name, "known": sorted(self.commands)})
            return
        handler(command, reply)

    # ------------------------------------------------------------ looking
    def overlays(self) -> list[ModalView]:
        return [w for w in Window.children if isinstance(w, ModalView)]

    def visible_widgets(self) -> Iterator[Widget]:
        """Widgets with an automation_id that a person can see now, top overlay first."""
        roots: list[Widget] = list(self.overlays())
        roots.append(self.app.manager.current_screen)
        bar = getattr(self.app, "a11y_bar", None)  # voice guide, large text, contrast (every screen)
        if bar is not None:
            roots.append(bar)
        strip = getattr(self.app, "demo_strip", None)
        if strip is not None:
            roots.append(strip)
        for root in roots:
            yield from self._walk(root)

    def _walk(self, widget: Widget) -> Iterator[Widget]:
        if widget.opacity <= 0 or widget.width <= 0 or widget.height <= 0:
            return
        if getattr(widget, "automation_id", ""):
            x, y = widget.to_window(widget.x, widget.y)
            if x < Window.width and y < Window.height and x + widget.width > 0 and y + widget.height > 0:
                yield widget
        for child in reversed(widget.children):  # Kivy keeps children last-added first
            yield from self._walk(child)

    def describe(self, widget: Widget) -> dict[str, Any]:
        x, y = widget.to_window(widget.x, widget.y)
        entry: dict[str, Any] = {
            "id": widget.automation_id,
            "kind": getattr(widget, "automation_kind", "label"),
            "enabled": not widget.disabled,
            # Top-left origin, like screenshots and xdotool.
            "rect": [round(x), round(Window.height - y - widget.height), round(widget.width),
                     round(widget.height)],
        }
        if hasattr(widget, "automation_text"):
            entry["text"] = widget.automation_text  # the PIN: bullets only
            entry["length"] = int(widget.length)
        elif isinstance(widget, TextInput):
            entry["text"] = "•" * len(widget.text) if widget.password else widget.text
            entry["length"] = len(widget.text)
        else:
            entry["text"] = getattr(widget, "text", "")
        if hasattr(widget, "lit"):
            entry["highlighted"] = bool(widget.lit)  # the touch feedback, shown at once
        if hasattr(widget, "selected"):
            entry["selected"] = bool(widget.selected)  # a form's choice: filled and ticked
        if hasattr(widget, "font_size"):
            entry["font_px"] = round(float(widget.font_size), 1)
        return entry

    def find(self, automation_id: str) -> Widget | None:
        return next((w for w in self.visible_widgets() if w.automation_id == automation_id), None)

    def _state(self, _command: dict[str, Any], reply: Reply) -> None:
        overlays = [getattr(o, "automation_id", "") or type(o).__name__ for o in self.overlays()]
        reply({
            "screen": self.app.manager.current,
            "overlays": overlays,
            "language": self.app.ui.language,
            "dpi": self.app.ui.dpi,
            "window": [Window.width, Window.height],
            "warming_up": warming_up(),
            "heap_releases": self.app.heap_releases,
            "heap_last_release": None if (last := self.app.heap_last_release) is None else
            [round(last.rss_before_mb, 1), round(last.rss_after_mb, 1), round(last.took_ms)],
            "widgets": [self.describe(w) for w in self.visible_widgets()],
        })

    # ------------------------------------------------------------ acting
    def _press(self, widget: Widget) -> None:
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        touch.touch_down()
        touch.touch_up()

    def _find_below_the_fold(self, automation_id: str) -> Widget | None:
        """A widget of the current screen's scrolling list or form, outside the window for now.

        A long form runs below the window's edge; a person scrolls down to
        reach its last field, so the driver may tap it (after scrolling).
        """
        def walk(widget: Widget, in_scroll: bool) -> Iterator[Widget]:
            if widget.opacity <= 0 or widget.width <= 0 or widget.height <= 0:
                return
            if in_scroll and getattr(widget, "automation_id", "") == automation_id:
                yield widget
            for child in widget.children:
                yield from walk(child, in_scroll or isinstance(widget, ScrollView))

        return next(walk(self.app.manager.current_screen, False), None)

    def _scrolled_into_view(self, widget: Widget, then: Callable[[], None]) -> None:
        """Scroll ``widget``'s ScrollView until it shows, as a person would, then call ``then``.

        A widget below the fold of a list or form is reported (it is on the
        page), but a finger can only press it once it is scrolled into view.
        """
        scroll, seen = widget.parent, set()
        while scroll is not None and not isinstance(scroll, ScrollView) and id(scroll) not in seen:
            seen.add(id(scroll))  # the Window is its own parent
            scroll = scroll.parent
        if not isinstance(scroll, ScrollView):
            scroll = None
        if scroll is None:
            then()
            return
        x, y = widget.to_window(widget.x, widget.y)
        sx, sy = scroll.to_window(scroll.x, scroll.y)
        if sy <= y and y + widget.height <= sy + scroll.height:
            then()
            return
        scroll.scroll_to(widget, padding=10, animate=False)
        after_drawn(then)  # the list is laid out at its new place on the next frame

    def _target(self, command: dict[str, Any], reply: Reply) -> Widget | None:
        automation_id = command.get("id")
        widget = None
        if isinstance(automation_id, str):
            widget = self.find(automation_id) or self._find_below_the_fold(automation_id)
        if widget is None:
            reply({"error": "unknown_id", "id": automation_id, "screen": self.app.manager.current,
                   "visible": [w.automation_id for w in self.visible_widgets()]})
        return widget

    def _tap(self, command: dict[str, Any], reply: Reply) -> None:
        widget = self._target(command, reply)
        if widget is None:
            return
        if widget.disabled:
            reply({"error": "disabled", "id": widget.automation_id})
            return
        def press() -> None:
            self._press(widget)
            # Whether the tap lit the widget, read in the same main-loop turn: the
            # feedback lasts a fraction of a second, shorter than a loaded round trip.
            lit = bool(getattr(widget, "lit", False))
            after_drawn(lambda: reply({"ok": True, "screen": self.app.manager.current, "highlighted": lit}))

        self._scrolled_into_view(widget, press)

    def _long_press(self, command: dict[str, Any], reply: Reply) -> None:
        """A finger held at a point (top-left origin) for ``seconds``, then lifted.

        Points, not ids: the maintenance door is a corner with no widget.
        Answers after the touch is up and the next frame is drawn. At most
        `LONG_PRESS_MAX_S`, so the answer comes before the socket's own time limit.
        """
        try:
            x, y = float(command["x"]), float(command["y"])
            seconds = float(command.get("seconds", 3.2))
        except (KeyError, TypeError, ValueError):
            reply({"error": "bad_argument", "detail": '"x" and "y" (and "seconds") must be numbers'})
            return
        if not (0 <= x < Window.width and 0 <= y < Window.height and 0 <= seconds <= LONG_PRESS_MAX_S):
            reply({"error": "bad_argument",
                   "detail": f"the point must be in the window, seconds in 0..{LONG_PRESS_MAX_S}"})
            return
        touch = UnitTestTouch(x, Window.height - 1 - y)
        touch.touch_down()

        def lift(_dt: float) -> None:
            touch.touch_up()
            after_drawn(lambda: reply({"ok": True, "screen": self.app.manager.current}))

        Clock.schedule_once(lift, seconds)

    def _type(self, command: dict[str, Any], reply: Reply) -> None:
        text = command.get("text")
        if not isinstance(text, str):
            reply({"error": "bad_argument", "detail": '"text" must be a string'})
            return
        widget = self._target(command, reply)
        if widget is None:
            return
        if isinstance(widget, TextInput):
            def focus_and_type() -> None:
                self._press(widget)  # focus it the way a finger does
                widget.insert_text(text)
                after_drawn(lambda: reply({"ok": True}))

            self._scrolled_into_view(widget, focus_and_type)
            return
        if widget.automation_id == "pin-input":
            # A PIN is typed on the pad's own keys, so shuffled layouts and
            # key feedback are exercised too.
            for char in text:
                key = self.find(f"pin-{char}")
                if key is None or not char.isdigit():
                    reply({"error": "bad_argument", "detail": "the PIN pad takes digits only"})
                    return
                self._press(key)
        else:
            reply({"error": "not_an_input", "id": widget.automation_id})
            return
        after_drawn(lambda: reply({"ok": True}))

    def _wait(self, command: dict[str, Any], reply: Reply) -> None:
        screen, overlay = command.get("screen"), command.get("overlay")
        try:
            timeout_s = float(command.get("timeout_s", 5))
        except (TypeError, ValueError):
            reply({"error": "bad_argument", "detail": '"timeout_s" must be a number'})
            return
        deadline = time.monotonic() + timeout_s

        def reached() -> bool:
            open_ids = [getattr(o, "automation_id", "") for o in self.overlays()]
            if screen is not None and self.app.manager.current != screen:
                return False
            if overlay is not None and overlay not in open_ids:
                return False
            return overlay is not None or screen is not None

        def poll(_dt: float) -> None:
            if reached():
                after_drawn(lambda: reply({"ok": True, "screen": self.app.manager.current}))
            elif time.monotonic() >= deadline:
                reply({"error": "timeout", "wanted": screen or overlay,
                       "screen": self.app.manager.current})
            else:
                # Every frame, not every 50 ms: benches time screens through this wait.
                Clock.schedule_once(poll, 0)

        if screen is None and overlay is None:
            reply({"error": "bad_argument", "detail": 'give "screen" or "overlay"'})
            return
        poll(0)

    def _screenshot(self, command: dict[str, Any], reply: Reply) -> None:
        path = command.get("path")
        if not isinstance(path, str) or not path.endswith(".png"):
            reply({"error": "bad_argument", "detail": '"path" must be a .png file path'})
            return
        target = Path(path).resolve()

        def shoot() -> None:
            # Kivy appends a counter to the name it is given; write to a
            # private directory, then move the file to the exact path asked.
            with tempfile.TemporaryDirectory() as tmp:
                written = Window.screenshot(name=os.path.join(tmp, "shot.png"))
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(written, target)
            reply({"ok": True, "path": str(target)})

        after_drawn(shoot)

    def _missing_glyphs(self, command: dict[str, Any], reply: Reply) -> None:
        """Characters of visible texts that the font would draw as boxes (per widget id).

        With ``"text"``, checks that string instead: a translator can test a
        new sentence before it ships, and a test can prove the check bites.
        """
        if isinstance(command.get("text"), str):
            reply({"missing": {"text": missing_glyphs(command["text"])}})
            return
        missing: dict[str, list[str]] = {}
        for widget in self.visible_widgets():
            text = getattr(widget, "text", "")
            if text and not hasattr(widget, "automation_text"):
                chars = missing_glyphs(text, bold=bool(getattr(widget, "bold", False)))
                if chars:
                    missing[widget.automation_id] = chars
        reply({"missing": missing})

    def _held_texts(self, _command: dict[str, Any], reply: Reply) -> None:
        """Every text any live widget holds, seen or not: screens not shown, closed overlays, forms kept.

        `state` answers what a person can see; this is what a wipe must have
        emptied, wherever the app keeps a widget. A password field and the
        PIN field give their length only, as in `state`. ``touches_kept``
        names the buttons that still hold a touch: the PIN keys in the order
        of their last touches would spell the PIN.
        """
        import gc

        texts: set[str] = set()
        touches_kept: set[str] = set()  # buttons still holding their last touch (and its times)
        # type(), not isinstance(): a dead weak proxy among the objects raises on isinstance.
        for widget in (o for o in gc.get_objects() if issubclass(type(o), Widget)):
            if isinstance(widget, ButtonBehavior) and widget.last_touch is not None:
                touches_kept.add(getattr(widget, "automation_id", "") or type(widget).__name__)
            if hasattr(widget, "automation_text"):
                continue
            if isinstance(widget, TextInput):
                text = "•" * len(widget.text) if widget.password else widget.text
                texts.update(t for t in (text, widget.hint_text) if t)
            elif isinstance(getattr(widget, "text", None), str) and widget.text:
                texts.add(widget.text)
        reply({"texts": sorted(texts), "touches_kept": sorted(touches_kept)})

    def _demo(self, command: dict[str, Any], reply: Reply) -> None:
        """Demo-mode controls (a card in, the network down...) when the controller has them."""
        demo = getattr(self.app.controller, "demo", None)
        action = command.get("action")
        if demo is None:
            reply({"error": "not_demo", "detail": "the controller has no demo controls"})
            return
        if action not in DEMO_ACTIONS or not callable(getattr(demo, str(action), None)):
            reply({"error": "unknown_action", "action": action})
            return
        args = command.get("args") or {}
        if not isinstance(args, dict):
            reply({"error": "bad_argument", "detail": '"args" must be an object'})
            return
        getattr(demo, action)(**args)
        reply({"ok": True})

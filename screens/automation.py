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
from kivy.uix.modalview import ModalView
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from kiosk.automation import Reply
from screens.fonts import missing_glyphs

if TYPE_CHECKING:
    from screens.app import KioskApp

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
            "type": self._type,
            "wait": self._wait,
            "screenshot": self._screenshot,
            "missing_glyphs": self._missing_glyphs,
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
            "widgets": [self.describe(w) for w in self.visible_widgets()],
        })

    # ------------------------------------------------------------ acting
    def _press(self, widget: Widget) -> None:
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        touch.touch_down()
        touch.touch_up()

    def _target(self, command: dict[str, Any], reply: Reply) -> Widget | None:
        automation_id = command.get("id")
        widget = self.find(str(automation_id)) if isinstance(automation_id, str) else None
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
        self._press(widget)
        after_drawn(lambda: reply({"ok": True, "screen": self.app.manager.current}))

    def _type(self, command: dict[str, Any], reply: Reply) -> None:
        text = command.get("text")
        if not isinstance(text, str):
            reply({"error": "bad_argument", "detail": '"text" must be a string'})
            return
        widget = self._target(command, reply)
        if widget is None:
            return
        if isinstance(widget, TextInput):
            self._press(widget)  # focus it the way a finger does
            widget.insert_text(text)
        elif widget.automation_id == "pin-input":
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
                Clock.schedule_once(poll, 0.05)

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

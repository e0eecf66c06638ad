"""The demo strip: buttons that stand in for the physical world in `kiosk demo`.

A demo has no card to insert, no cable to pull and no paper to run out, so
a slim strip along the bottom edge does those things through the
controller's `DemoControls`. It exists only when the controller has demo
controls; `kiosk run` never builds it.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout


class DemoStrip(BoxLayout):
    controls = ObjectProperty(None, allownone=True)
    network_up = BooleanProperty(True)
    printer_status = StringProperty("ready")

    def __init__(self, controls: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.controls = controls

    def insert_card(self) -> None:
        self.controls.insert_card()

    def remove_card(self) -> None:
        self.controls.remove_card()

    def toggle_network(self) -> None:
        self.network_up = bool(self.controls.toggle_network())

    def cycle_printer(self) -> None:
        self.printer_status = str(self.controls.cycle_printer())

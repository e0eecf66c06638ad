"""Listeners that must not pile up over visits (bench/memory_soak.py found the first one).

Kivy 2.3's `ScrollView.update_from_scroll` binds `_change_bar_color` to
`bar_color` on every call and unbinds it once, half a second later: every
scroll, layout or `scroll_to` in between left a listener for good, about
13 a visit. `KioskScroll` keeps exactly one. No window is needed.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")

pytestmark = pytest.mark.ui


def bar_listeners(scroll: object) -> int:
    return sum(1 for callback, *_ in scroll.get_property_observers("bar_color", args=True)
               if getattr(callback, "__name__", "") == "_change_bar_color")


def test_scrolling_keeps_one_bar_colour_listener() -> None:
    from kivy.uix.widget import Widget

    from screens.widgets import KioskScroll

    scroll = KioskScroll()
    scroll.add_widget(Widget())
    for _ in range(25):  # a form scrolled field after field, within Kivy's half second
        scroll.scroll_y = 1 - scroll.scroll_y
        scroll.update_from_scroll()
    assert bar_listeners(scroll) == 1

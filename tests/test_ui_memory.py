"""Memory: listeners that must not pile up over visits, and what is built before the first one.

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


def test_lists_tiles_and_keyboards_are_built_before_the_first_citizen(xvfb_display: str, tmp_path) -> None:
    """What every visit shows and the screens keep is built while the attract screen waits.

    The category lists were built ahead already; the personal page's tiles,
    every keyboard's layouts and the kept forms were built by the first
    citizens' visits. All are now built and drawn once (under software GL a
    texture's memory comes at its first draw) before `warming_up` in the
    state turns false; the memory benches read their start figure after it.
    """
    from bench.memory_soak import PROBE_ENV, probe, wait_warm
    from devices.printer_sim import start_printer_sim
    from kiosk.catalog import Catalog
    from kiosk.portal import simulator
    from kiosk.portal.simulator.seed import load_catalog
    from screens.services import FORMS_KEPT
    from tests.ui_sim_controller import config_for
    from tests.xvfb import run_kiosk

    catalog = Catalog.from_document(load_catalog())
    rows = sum(len(catalog.services_in(category.id)) for category in catalog.categories)
    probes = tmp_path / "probes"
    probes.mkdir()
    sim = simulator.start(tmp_path / "portal" / "portal.sqlite3")
    printer = start_printer_sim(tmp_path / "printed")
    try:
        with run_kiosk(xvfb_display, tmp_path / "kiosk", factory="bench.memory_soak:build",
                       config_extra=config_for(sim, printer), extra_env={PROBE_ENV: str(probes)}) as kiosk:
            wait_warm(kiosk, timeout_s=30)
            assert kiosk.state()["screen"] == "attract"
            widgets = probe(kiosk.proc.pid, probes, 0)["widgets"]
    finally:
        printer.stop()
        sim.stop()
    assert widgets.get("ServiceRow") == rows
    assert widgets.get("CategoryTile") == len(catalog.categories)
    # Keyboards: Georgian text, English text (password), the four number pads, e-mail.
    assert widgets.get("KeyboardKey", 0) > 200
    # As many forms as the service screen keeps, each with at least one field.
    assert widgets.get("FieldBlock", 0) >= FORMS_KEPT

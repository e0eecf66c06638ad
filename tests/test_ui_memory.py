"""Memory: listeners that must not pile up over visits, what is built before the first one,
and the restart between citizens when memory is over the configured limit.

Kivy 2.3's `ScrollView.update_from_scroll` binds `_change_bar_color` to
`bar_color` on every call and unbinds it once, half a second later: every
scroll, layout or `scroll_to` in between left a listener for good, about
13 a visit. `KioskScroll` keeps exactly one. No window is needed.
"""

from __future__ import annotations

import os
import subprocess

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
    from bench.memory_soak import PROBE_ENV, log_in, probe, wait_warm
    from kiosk.catalog import Catalog
    from kiosk.portal.simulator.seed import load_catalog
    from screens.services import FORM_TEXTURES_KEPT_KB
    from tests.ui_services_support import open_service
    from tests.ui_sim_controller import sim_kiosk

    catalog = Catalog.from_document(load_catalog())
    rows = sum(len(catalog.services_in(category.id)) for category in catalog.categories)
    probes = tmp_path / "probes"
    probes.mkdir()
    with sim_kiosk(xvfb_display, tmp_path, factory="bench.memory_soak:build",
                   extra_env={PROBE_ENV: str(probes)}) as running:
        kiosk = running.kiosk
        wait_warm(kiosk, timeout_s=30)
        state = kiosk.state()
        assert state["screen"] == "attract"
        window_width = state["window"][0]
        at_attract = probe(kiosk.proc.pid, probes, 0)
        widgets = at_attract["widgets"]
        forms_kept = at_attract["forms_kept"][0]
        # A citizen opens the form of the longest options (every agency, up to three lines
        # each), then leaves it: measured once drawn, it pushes older forms out.
        log_in(kiosk)
        open_service(kiosk, "personal", "complaint-to-agency")
        kiosk.tap("back")
        kiosk.wait(screen="category")
        after_options = probe(kiosk.proc.pid, probes, 1)["forms_kept"][0]
    assert widgets.get("ServiceRow") == rows
    assert widgets.get("CategoryTile") == len(catalog.categories)
    # Keyboards: Georgian text, English text (password), the four number pads, e-mail; laid out
    # at the window's width (before the first frame a screen is 100 px wide: keys of 8 px).
    assert widgets.get("KeyboardKey", 0) > 200
    widths = at_attract["keyboard_layout_widths"]
    assert widths and min(widths) > window_width / 2, (widths, window_width)
    # Forms built ahead until their label textures fill the service screen's budget (another of
    # their average would not fit), and then no more: each holds its textures for good. What
    # the screen counted is what they hold, measured again here once drawn.
    kept_kb, n = forms_kept["texture_kb_measured"], forms_kept["forms"]
    assert FORM_TEXTURES_KEPT_KB * n / (n + 1) < kept_kb <= FORM_TEXTURES_KEPT_KB, forms_kept
    assert abs(forms_kept["texture_kb"] - kept_kb) <= kept_kb * 0.02, forms_kept
    assert widgets.get("FieldBlock", 0) >= n > 3
    assert after_options["forms"] < n and after_options["texture_kb_measured"] <= FORM_TEXTURES_KEPT_KB
    assert abs(after_options["texture_kb"] - after_options["texture_kb_measured"]) <= kept_kb * 0.02
    # Each drawn label's pixels live in its texture only, not also in an SDL surface.
    assert at_attract["label_surfaces_kept"] == 0


def test_a_rendered_label_lets_go_of_its_drawing_surface() -> None:
    """Kivy 2.3 keeps `_surface` on every SDL2 label after copying its pixels out."""
    from kivy.core.text.text_sdl2 import LabelSDL2

    from screens.label_memory import release_label_surfaces

    release_label_surfaces()
    label = LabelSDL2(text="ნინო")
    label._size = (64, 32)
    label._render_begin()
    data = label._render_end()
    assert (data.width, data.height) == (64, 32) and len(data.data) == 64 * 32 * 4
    assert label._surface is None


def test_an_emptied_label_lets_go_of_its_last_texture() -> None:
    """A wiped field's label must not keep the pixels of the last citizen's text."""
    from kivy.uix.label import Label

    from screens.label_memory import release_label_surfaces

    release_label_surfaces()
    label = Label()
    label._label.texture = "pixels of ნინო ბერიძე"  # what Kivy leaves there after drawing a text
    label.text = ""
    label.texture_update()
    assert label.texture is None and label._label.texture is None


def test_a_wiped_visit_hands_its_freed_memory_back(xvfb_display: str, tmp_path) -> None:
    """A second after a visit is wiped, the kiosk at the attract screen returns the C heap
    the visit freed (kiosk/heap.py): without it the kiosk grew ~30-45 MB after its 10th
    visit (bench/memory_soak.py --trial), with it within ~5 MB."""
    from bench.memory_soak import visit, wait_heap_released
    from devices.printer_sim import start_printer_sim
    from kiosk.portal import simulator
    from tests.ui_sim_controller import config_for
    from tests.xvfb import run_kiosk

    sim = simulator.start(tmp_path / "portal" / "portal.sqlite3")
    printer = start_printer_sim(tmp_path / "printed")
    try:
        with run_kiosk(xvfb_display, tmp_path / "kiosk", factory="bench.memory_soak:build",
                       config_extra=config_for(sim, printer)) as kiosk:
            before = kiosk.state()
            assert before["heap_releases"] == 0 and before["heap_last_release"] is None
            visit(kiosk, "public-information-request")
            assert wait_heap_released(kiosk.state, 0)
            after = kiosk.state()
    finally:
        printer.stop()
        sim.stop()
    assert after["screen"] == "attract"
    assert after["heap_releases"] == 1  # once per wiped visit, not on every tick
    rss_before, rss_after, took_ms = after["heap_last_release"]
    assert 0 < rss_after < rss_before  # a visit always frees some whole pages
    assert took_ms < 2000


def test_over_its_memory_limit_the_kiosk_restarts_between_citizens_not_during_a_visit(
        xvfb_display: str, tmp_path) -> None:
    """With ``restart_above_mb`` below what the kiosk holds (the real parts: ~480 MB under
    software OpenGL), it must still serve the visit to its end, then stop on the attract
    screen with the code systemd restarts on (kiosk/heap.py `over_limit`)."""
    from devices.printer_sim import start_printer_sim
    from kiosk.heap import RESTART_EXIT_CODE
    from kiosk.portal import simulator
    from tests.ui_services_support import log_in
    from tests.ui_sim_controller import config_for
    from tests.xvfb import run_kiosk

    sim = simulator.start(tmp_path / "portal" / "portal.sqlite3")
    printer = start_printer_sim(tmp_path / "printed")
    try:
        with run_kiosk(xvfb_display, tmp_path / "kiosk", factory="tests.ui_sim_controller:build",
                       config_extra=config_for(sim, printer),
                       kiosk_extra="restart_above_mb = 256") as kiosk:
            log_in(kiosk)
            assert kiosk.proc.poll() is None, "restarted with a citizen on screen"
            kiosk.tap("logout")
            try:
                code = kiosk.proc.wait(30)
            except subprocess.TimeoutExpired:
                pytest.fail("still running 30 s after the visit, over its memory limit")
            log = kiosk.log_path.read_text(errors="replace")
    finally:
        printer.stop()
        sim.stop()
    assert code == RESTART_EXIT_CODE
    assert "memory over the limit" in log and "restarting between citizens" in log

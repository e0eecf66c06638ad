"""What every frame costs under software OpenGL: no line is drawn the expensive way for nothing.

Kivy draws a Line wider than 1 px whose colour is not opaque twice, through
the stencil buffer, every time its widget is drawn. Primary buttons had a
transparent 2 px border (they have none to show; the keyboards' keys and
the PIN pad's are primary buttons too) and the attract screen's card
animation two hidden 7 px crossing lines. The attract screen, which a kiosk
shows most of the day, took 16.7 s of CPU a minute against 12.9 s now
(`bench/idle_cpu.py --against`, llvmpipe, 2026-12-06). A hidden line is now
1 px wide.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui


def test_no_wide_line_is_drawn_translucent_on_the_warm_kiosk(xvfb_display: str, tmp_path) -> None:
    """Every screen is built by now (lists, tiles, keyboards, the forms kept): all their lines."""
    from bench.memory_soak import PROBE_ENV, probe, wait_warm
    from tests.ui_sim_controller import sim_kiosk

    probes = tmp_path / "probes"
    probes.mkdir()
    with sim_kiosk(xvfb_display, tmp_path, factory="bench.memory_soak:build",
                   extra_env={PROBE_ENV: str(probes)}) as running:
        wait_warm(running.kiosk, timeout_s=30)
        assert running.kiosk.state()["screen"] == "attract"
        lines = probe(running.kiosk.proc.pid, probes, 0)["wide_lines"]
    # Borders of secondary buttons, fields, tiles and rows, the PIN dots: the walk saw them.
    assert lines["checked"] > 100, lines
    assert lines["translucent"] == [], lines

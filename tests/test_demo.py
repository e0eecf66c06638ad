"""`kiosk demo` on a machine with no display: it plays the scripted visit and says where things are.

This is what `make demo` does on a server or in CI: the real window on a
virtual display, the real PC/SC stack with the virtual card, the portal
simulator and the printer stand-in, all started and stopped by the demo.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

# A whole kiosk start-up with pcscd, the simulators and a tour: minutes on a loaded 2-core CI machine.
pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.timeout(400)]


def test_demo_tour_without_a_display(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["KIVY_HOME"] = str(tmp_path / "kivy")
    # A TMPDIR of its own, too long for the tour's socket path (AF_UNIX ends at 107 bytes):
    # the tour puts its socket elsewhere and still plays.
    tmp = Path(tempfile.mkdtemp(prefix="demo-")) / ("long-tmpdir-" * 6)
    tmp.mkdir()
    env["TMPDIR"] = str(tmp)
    out = tmp_path / "tour"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kiosk", "demo", "--tour", str(out)],
            capture_output=True, text=True, timeout=360, env=env, check=False,
        )
        left = sorted(p.name for p in tmp.iterdir())
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "the virtual card's PIN is 1234" in output
    assert "Printed receipts are written as PNG files to" in output
    assert "Tour done" in output, output[-3000:]
    assert "Traceback" not in output
    # What the demo made in TMPDIR: the folder it told the user the receipts are in, nothing else.
    assert len(left) == 1 and left[0].startswith("kiosk-demo-"), left
    for name in ("attract-ka", "attract-en", "attract-ru", "pin"):
        picture = out / f"{name}.png"
        assert picture.exists(), f"{name}.png missing; have {sorted(p.name for p in out.iterdir())}"
        with Image.open(picture) as image:
            assert image.size == (1080, 1920)
            assert len(set(image.convert("L").resize((54, 96)).getdata())) > 8, "not a blank frame"
    # The whole visit, not just its start: a service to its result, and the receipt it printed.
    shots = sorted(p.name for p in out.iterdir())
    assert "stopped-here.png" not in shots, f"the tour stopped early; {shots}"
    for name in ("service", "confirm", "result"):
        assert f"{name}.png" in shots, f"{name}.png missing; have {shots}"
    receipts = [p for p in out.glob("receipt-*.png")]
    assert receipts, f"no printed receipt came home from the tour; have {shots}"
    with Image.open(receipts[0]) as receipt:
        assert receipt.width in (384, 576, 512), receipt.size  # a thermal printer's dots per line

"""Tap -> next screen drawn, over a scripted visit: `python bench/ui_latency.py [--rounds N]`.

Starts its own Xvfb (software OpenGL), the portal simulator, the printer
stand-in and the kiosk window (tests/ui_sim_controller.py), logs in with a
password, then repeats a visit: personal page -> category -> service ->
back -> category -> my page -> help -> my page. Each step is one `tap`
followed by `wait` for the next screen; `wait` answers once a frame
showing that screen has been drawn, so the time covers the touch, the
controller and visit machine, the screen's build and one render. Printed:
median and p95 per step and overall (target: p95 <= 100 ms).

Steps that talk to the portal (confirm, login) are left out on purpose:
their time is the network's, and they show progress at once instead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.xvfb import Xvfb  # noqa: E402
from tests.ui_sim_controller import sim_kiosk  # noqa: E402

VISIT = [  # (widget to tap, screen it leads to)
    ("category-personal", "category"),
    ("service-birth-certificate-repeat", "service"),
    ("back", "category"),
    ("home", "home"),
    ("category-fines", "category"),
    ("home", "home"),
    ("help", "help"),
    ("home", "home"),
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def log_in(kiosk: object) -> None:
    from tests.test_ui_services import log_in as services_log_in

    services_log_in(kiosk)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    xvfb = Xvfb()
    display = xvfb.start()
    steps: dict[str, list[float]] = {}
    try:
        with sim_kiosk(display, Path(tempfile.mkdtemp(prefix="ui-latency-"))) as sk:
            kiosk = sk.kiosk
            log_in(kiosk)
            for _ in range(args.rounds):
                for widget, screen in VISIT:
                    started = time.perf_counter()
                    kiosk.tap(widget)
                    kiosk.wait(screen=screen)
                    ms = (time.perf_counter() - started) * 1000
                    steps.setdefault(f"{widget} -> {screen}", []).append(ms)
    finally:
        xvfb.stop()
    everything = [ms for values in steps.values() for ms in values]
    print(f"{'step':45} {'median ms':>10} {'p95 ms':>8}")
    for name, values in steps.items():
        print(f"{name:45} {statistics.median(values):10.1f} {percentile(values, 0.95):8.1f}")
    p95 = percentile(everything, 0.95)
    print(f"{'all ' + str(len(everything)) + ' taps':45} {statistics.median(everything):10.1f} {p95:8.1f}")
    print("target p95 <= 100 ms:", "met" if p95 <= 100 else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

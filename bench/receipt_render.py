"""How long a receipt takes to draw and encode, beside how long paper takes to print it.

The render and encode run while the citizen waits at the last screen, so
they must stay well under the printer's own time: a receipt that takes
0.7 s to come out of the printer should not spend more than ~40 ms in
Python first. Prints the median of 30 runs per language and paper width.
Run: .venv/bin/python bench/receipt_render.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.printer import PROFILE_FOR_WIDTH, Printer  # noqa: E402
from devices.receipt import example_receipt, render  # noqa: E402

RUNS = 30
DOTS_PER_MM = 8
PRINT_SPEED_MM_S = 250  # TM-T20II class printers
TARGET_MS = 40.0


def measure(language: str, width: int) -> dict[str, float]:
    printer = Printer("file:///dev/null", profile=PROFILE_FOR_WIDTH[width], width_dots=width)
    receipt = example_receipt(language, status="queued" if language == "ru" else "delivered")
    render(receipt, width)  # first run loads fonts and fills the glyph cache
    renders, encodes = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        image = render(receipt, width)
        middle = time.perf_counter()
        payload = printer.encode(image)
        renders.append(middle - start)
        encodes.append(time.perf_counter() - middle)
    length_mm = image.height / DOTS_PER_MM
    return {"render_ms": statistics.median(renders) * 1000,
            "encode_ms": statistics.median(encodes) * 1000,
            "kb": len(payload) / 1024, "mm": length_mm,
            "print_s": length_mm / PRINT_SPEED_MM_S}


def main() -> int:
    print(f"receipt render + encode, median of {RUNS} (target <= {TARGET_MS:.0f} ms), "
          f"vs printing at {PRINT_SPEED_MM_S} mm/s")
    print(f"{'lang':4} {'dots':>4} {'render ms':>10} {'encode ms':>10} {'total ms':>9} "
          f"{'KB sent':>8} {'paper mm':>9} {'print s':>8}")
    worst = 0.0
    for width in (576, 384):
        for language in ("ka", "en", "ru"):
            m = measure(language, width)
            total = m["render_ms"] + m["encode_ms"]
            worst = max(worst, total)
            print(f"{language:4} {width:>4} {m['render_ms']:>10.1f} {m['encode_ms']:>10.1f} "
                  f"{total:>9.1f} {m['kb']:>8.1f} {m['mm']:>9.0f} {m['print_s']:>8.2f}")
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"slowest render + encode {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

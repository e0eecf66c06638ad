"""Regenerate the example receipts in this folder from what the printer stand-in decoded.

Each picture is the real path: render, encode with python-escpos, send over
TCP to `kiosk printer-sim`'s stand-in, decode GS v 0 back into a PNG. So the
pictures show what a printer would get, not what the renderer meant.
Run: .venv/bin/python docs/receipts/generate.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from devices.printer import Printer  # noqa: E402
from devices.printer_sim import start_printer_sim  # noqa: E402
from devices.receipt import example_receipt  # noqa: E402

EXAMPLES = [
    # (file name, language, status, paper width, profile)
    ("receipt-ka.png", "ka", "delivered", 576, "TM-T20II"),
    ("receipt-en.png", "en", "delivered", 576, "TM-T20II"),
    ("receipt-ru.png", "ru", "delivered", 576, "TM-T20II"),
    ("receipt-ka-queued-58mm.png", "ka", "queued", 384, "POS-5890"),
]


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch, start_printer_sim(scratch) as sim:
        for count, (name, language, status, width, profile) in enumerate(EXAMPLES, start=1):
            printer = Printer(f"tcp://127.0.0.1:{sim.port}", profile=profile, width_dots=width)
            printer.print_receipt(example_receipt(language, status=status))
            printed = sim.wait_for_receipts(count)[-1]
            shutil.copyfile(printed, HERE / name)
            print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

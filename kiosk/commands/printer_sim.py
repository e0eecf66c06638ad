"""`kiosk printer-sim`: the ESC/POS LAN printer stand-in, in the foreground.

A thin wrapper over `devices.printer_sim.start_printer_sim`, so the stand-in
a technician or the demo starts is exactly the one the tests start. Its
status can be changed while it runs: `kiosk printer-sim --control-port N
--set paper-out` from another shell, or SIGUSR1 to step to the next status.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from kiosk.logs import event


def register(subparsers: argparse._SubParsersAction) -> None:
    from devices.printer_sim import SIM_STATUSES

    parser = subparsers.add_parser(
        "printer-sim", help="run the receipt-printer stand-in (for tests and the demo)",
        description="Listens on 127.0.0.1 like an ESC/POS LAN printer, answers status requests "
                    "and writes one PNG per receipt.",
    )
    parser.add_argument("--port", type=int, default=9100, help="printer port (0 picks a free one)")
    parser.add_argument("--out", type=Path, default=Path("printed"), help="folder for receipt PNGs")
    parser.add_argument("--status", choices=SIM_STATUSES, default="ready", help="status at start")
    parser.add_argument("--width", type=int, choices=(576, 384), default=None,
                        help="paper width in dots (places narrower images as the printer would)")
    parser.add_argument("--control-port", type=int, default=None,
                        help="also listen here for control lines (status NAME | status | count)")
    parser.add_argument("--set", choices=SIM_STATUSES, default=None, dest="set_status",
                        help="do not start: tell the stand-in on --control-port to change status")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devices.printer_sim import send_control, start_printer_sim

    if args.set_status:
        if args.control_port is None:
            print("kiosk printer-sim: --set needs --control-port of the running stand-in")
            return 2
        answer = send_control(args.control_port, f"status {args.set_status}")
        print(answer)
        return 0 if answer.startswith("ok") else 1
    handled = {signal.SIGINT, signal.SIGTERM, signal.SIGUSR1}
    # The stand-in's threads inherit a mask that blocks these signals, so the kernel
    # delivers them to the main thread, whose handlers then run at once; a signal
    # landing on a server thread would wait, and a second SIGUSR1 would be lost.
    signal.pthread_sigmask(signal.SIG_BLOCK, handled)
    try:
        sim = start_printer_sim(args.out, status=args.status, port=args.port,
                                control_port=args.control_port, paper_width=args.width)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, handled)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    signal.signal(signal.SIGUSR1, lambda *_: sim.cycle_status())
    event(logging.getLogger("kiosk.printer_sim"), "printer stand-in listening",
          connection=f"tcp://127.0.0.1:{sim.port}", control_port=sim.control_port,
          status=sim.status, out=str(args.out))
    # The connection on its own line, so scripts can read it back (with --port 0).
    print(f"tcp://127.0.0.1:{sim.port}", flush=True)
    if sim.control_port is not None:
        print(f"control 127.0.0.1:{sim.control_port}", flush=True)
    while not stopped.wait(0.5):  # wakes regularly so handlers never wait long
        pass
    sim.stop()
    return 0

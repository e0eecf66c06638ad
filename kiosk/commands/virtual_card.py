"""`kiosk virtual-card`: a test eID card in a vpcd virtual reader, in the foreground.

A thin wrapper over `devices.virtual_card.VirtualCard`, so the card a
technician or the demo runs as a child process is exactly the one the tests
drive in-process. While it runs, SIGUSR1 pulls the card out and SIGUSR2 puts
it back in (what the demo strip's buttons do); SIGTERM/SIGINT pull it out
and exit. Never on a production kiosk: vpcd listens on every interface.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from kiosk.logs import event

log = logging.getLogger("kiosk.virtual_card")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "virtual-card", help="run a virtual eID card in a vpcd reader (tests and the demo)",
        description="Connects to the vpcd driver like an inserted card and answers the eID "
                    "card profile's APDUs with a test-PKI citizen's certificate and key.",
    )
    parser.add_argument("--vpcd", default="127.0.0.1:35963", metavar="HOST:PORT",
                        help="the vpcd reader slot (Debian's system pcscd: 35963)")
    parser.add_argument("--pki", required=True, metavar="DIR", help="a `kiosk test-pki` folder")
    parser.add_argument("--citizen", default="citizen",
                        help="which test citizen's card (citizen, expired, revoked, ...)")
    parser.add_argument("--pin", default="1234", help="the card's PIN (4 digits)")
    parser.add_argument("--atr-profile", default="virtual", choices=("virtual", "geo-2011", "geo-new"),
                        help="which card generation to play")
    parser.add_argument("--fault", action="append", default=[], metavar="FAULT",
                        help="remove-at=N | mute-at=N | sw-at=N:6F00 | slow=SECONDS | "
                             "bad-contacts=N | atr=HEX (repeatable)")
    parser.add_argument("--removed", action="store_true", help="start with the card out")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devices.virtual_card import Faults, VirtualCard

    host, _, port = args.vpcd.rpartition(":")
    if not (args.pin.isdigit() and len(args.pin) == 4):
        print("kiosk virtual-card: --pin must be 4 digits")
        return 2
    try:
        faults = Faults.parse(args.fault)
    except ValueError as exc:
        print(f"kiosk virtual-card: {exc}")
        return 2
    card = VirtualCard.from_pki(args.pki, args.citizen, args.pin, int(port), host=host or "127.0.0.1",
                                profile=args.atr_profile, faults=faults)
    done = threading.Event()

    def pull(*_: object) -> None:
        threading.Thread(target=card.remove, daemon=True).start()

    def push(*_: object) -> None:
        card.insert()

    signal.signal(signal.SIGUSR1, pull)
    signal.signal(signal.SIGUSR2, push)
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if not args.removed:
        card.insert()
    event(log, "virtual card running", vpcd=args.vpcd, profile=args.atr_profile,
          inserted=not args.removed)
    done.wait()
    card.remove()
    return 0

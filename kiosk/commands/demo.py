"""`kiosk demo`: the kiosk on embedded defaults with the simulators and the virtual card."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="try the kiosk: simulated portal, virtual eID card, printer to PNG files")
    parser.add_argument("--config", help="override the embedded defaults key by key from this file")
    parser.add_argument("--pin", default="1234", help="the virtual card's PIN (default 1234)")
    parser.add_argument("--automation-socket", metavar="PATH", help="UI automation socket")
    parser.add_argument("--tour", metavar="DIR", nargs="?", const="demo-output",
                        help="play a scripted visit on a virtual display and save screenshots and "
                             "receipts in DIR (the default when there is no display)")
    parser.set_defaults(handler=handle, logs_to_stdout=True)


def handle(args: argparse.Namespace) -> int:
    from kiosk.launch import run_demo

    return run_demo(config_path=args.config, pin=args.pin, automation_socket=args.automation_socket,
                    tour_dir=args.tour)

"""`kiosk run`: the production kiosk, full screen, as kiosk.service starts it."""

from __future__ import annotations

import argparse
import logging

from kiosk import config as kiosk_config
from kiosk.logs import event

log = logging.getLogger("kiosk.run")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run the kiosk (production: full screen, locked down)")
    parser.add_argument("--config", help="configuration file (else $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    parser.add_argument("--automation-socket", metavar="PATH",
                        help="UI automation socket for end-to-end tests (never in production)")
    parser.set_defaults(handler=handle, logs_to_stdout=True)


def handle(args: argparse.Namespace) -> int:
    from kiosk.launch import run_kiosk

    try:
        config = kiosk_config.load(args.config)
    except kiosk_config.ConfigError as exc:
        # No restart loop on a bad configuration: the window says "out of
        # service" to citizens, and `kiosk doctor` names the broken keys.
        event(log, "configuration invalid", problems="; ".join(exc.problems))
        return run_kiosk(None, automation_socket=args.automation_socket, config_error=exc)
    return run_kiosk(config, automation_socket=args.automation_socket)

"""`kiosk hash-pin`: make the ``maintenance.pin_hash`` line for the configuration.

The PIN is read twice without echo (a typo would lock the technician out
of every kiosk the configuration is copied to), or once from standard input
with ``--stdin`` for provisioning scripts. Only the hash is printed; the
PIN itself never reaches the terminal, the shell history or a log.
"""

from __future__ import annotations

import argparse
import getpass
import sys

MIN_DIGITS, MAX_DIGITS = 4, 12


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hash-pin", help="hash a technician PIN for maintenance.pin_hash")
    parser.add_argument("--stdin", action="store_true",
                        help="read the PIN from standard input (one line) instead of asking twice")
    parser.set_defaults(handler=handle)


def check_pin(pin: str) -> str | None:
    """A problem sentence, or None: the touchscreen PIN pad has digits only."""
    if not pin.isdigit() or not pin.isascii():
        return "the PIN must be digits only (the maintenance PIN pad has no letters)"
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"the PIN must have {MIN_DIGITS} to {MAX_DIGITS} digits"
    return None


def handle(args: argparse.Namespace) -> int:
    from kiosk.technician import hash_pin

    if args.stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = getpass.getpass("Technician PIN: ")
        if getpass.getpass("Once more: ") != pin:
            print("kiosk: the two PINs differ; nothing was made", file=sys.stderr)
            return 1
    problem = check_pin(pin)
    if problem:
        print(f"kiosk: {problem}", file=sys.stderr)
        return 1
    print("# in the [maintenance] section of /etc/kiosk/kiosk.toml:", file=sys.stderr)
    print(f'pin_hash = "{hash_pin(pin)}"')
    return 0

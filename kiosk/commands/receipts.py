"""`kiosk receipts`: the technician's view of the receipt journal.

`list` shows the last receipts with their print status (no personal data:
the journal keeps that sealed), `failed` those to reprint, `reprint ID`
prints one again on the configured printer, `test-print` prints a made-up
receipt to check paper, fonts and the cutter after maintenance, `status`
asks the printer.
"""

from __future__ import annotations

import argparse

from kiosk import config as kiosk_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("receipts", help="list, reprint and test-print receipts")
    parser.add_argument("--config", default=None, help="configuration file (default: $KIOSK_CONFIG "
                                                       "or /etc/kiosk/kiosk.toml)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the last receipts, newest first")
    listing.add_argument("-n", type=int, default=20, help="how many (default 20)")
    actions.add_parser("failed", help="receipts whose print failed")
    again = actions.add_parser("reprint", help="print a kept receipt again")
    again.add_argument("id", type=int, help="receipt id from `kiosk receipts list`")
    test = actions.add_parser("test-print", help="print a made-up receipt")
    test.add_argument("--language", choices=("ka", "en", "ru"), default="ka")
    actions.add_parser("status", help="ask the printer for its status")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devices.printer import Printer, PrinterError
    from devices.receipt import example_receipt
    from kiosk.receipt_journal import JournalError, ReceiptJournal, reprint

    cfg = kiosk_config.load(args.config)
    if args.action == "status":
        print(Printer.from_config(cfg).status().value)
        return 0
    if args.action == "test-print":
        try:
            Printer.from_config(cfg).print_receipt(example_receipt(args.language))
        except PrinterError as exc:
            print(f"not printed: {exc}")
            return 1
        print("printed")
        return 0
    with ReceiptJournal(cfg.storage_path) as journal:
        if args.action in ("list", "failed"):
            entries = journal.recent(args.n) if args.action == "list" else journal.failed()
            print(f"{'ID':>5}  {'CREATED (UTC)':25}  {'LANG':4}  {'RECEIPT':16}  {'PRINT':8}  "
                  f"{'TRIES':>5}  {'LAST ERROR':14}  REFERENCE")
            for e in entries:
                print(f"{e.id:>5}  {e.created_at:25}  {e.language:4}  {e.receipt_status:16}  "
                      f"{e.print_status:8}  {e.attempts:>5}  {e.last_error or '-':14}  {e.local_reference}")
            return 0
        try:
            reprint(journal, Printer.from_config(cfg), args.id)
        except JournalError as exc:
            print(exc)
            return 1
        except PrinterError as exc:
            print(f"receipt {args.id} not printed: {exc}")
            return 1
        print(f"receipt {args.id} printed")
        return 0

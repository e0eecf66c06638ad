"""`kiosk portal-sim`: run the citizen-portal simulator in the foreground.

A thin wrapper over `kiosk.portal.simulator.build`, so what a technician
starts by hand is exactly what the tests start in a thread.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from kiosk.logs import event
from kiosk.portal.simulator.faults import MODES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "portal-sim", help="run the citizen-portal simulator (for tests and the demo)",
        description="Serve docs/portal-api.yaml over HTTP with state in SQLite, verifying "
                    "cards against the test PKI and opening sealed submissions.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--db", type=Path, required=True, help="SQLite file for the state")
    parser.add_argument("--pki", type=Path, default=None,
                        help="test PKI directory (made with the demo citizens if missing; "
                             "default: pki/ next to the database)")
    parser.add_argument("--sealing-key", type=Path, default=None,
                        help="X25519 private key (PEM) that opens sealed submissions; made "
                             "when missing (default: portal-sealing.key next to the database)")
    parser.add_argument("--tls", action="store_true",
                        help="serve https with a certificate from the test root CA")
    parser.add_argument("--fault", choices=MODES, default="none", help="start with a fault")
    parser.add_argument("--fault-delay", type=float, default=0.0, help="seconds, for slow")
    parser.add_argument("--fault-retry-after", type=int, default=5,
                        help="Retry-After seconds, for unavailable503")
    parser.add_argument("--fault-count", type=int, default=None,
                        help="how many requests the fault hits (default: all)")
    parser.add_argument("--letter-delay", type=float, default=5.0,
                        help="seconds before a letter to an agency is answered")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from kiosk.portal.simulator import build
    from kiosk.portal.simulator.server import serve_in_thread

    server, store, public_key = build(args.db, args.pki, args.sealing_key, args.host,
                                      args.port, tls=args.tls)
    server.api.settings.letter_answer_delay_s = args.letter_delay
    if args.fault != "none":
        server.faults.set(args.fault, args.fault_delay, args.fault_retry_after, args.fault_count)
    host, port = server.server_address[:2]
    scheme = "https" if args.tls else "http"
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    thread = serve_in_thread(server)
    event(logging.getLogger("kiosk.portal.simulator"), "portal simulator listening",
          url=f"{scheme}://{host}:{port}", sealing_public_key=str(public_key), db=str(args.db))
    # The URL on its own line, so scripts can read it back (with --port 0).
    print(f"{scheme}://{host}:{port}", flush=True)
    stopped.wait()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    store.close()
    return 0

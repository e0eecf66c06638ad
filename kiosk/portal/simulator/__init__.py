"""A citizen-portal simulator that speaks docs/portal-api.yaml over real HTTP.

Tests, the demo and a technician's bench all need a portal that verifies
cards against the test PKI, opens sealed submissions, keeps idempotency
promises and can misbehave on request. `start()` runs one in a thread;
`kiosk portal-sim` runs one in the foreground.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.portal.simulator import contract
from kiosk.portal.simulator.api import PortalApi
from kiosk.portal.simulator.enrolment import KioskRegistry, load_or_create_admin_token
from kiosk.portal.simulator.faults import Fault, Faults
from kiosk.portal.simulator.seed import load_catalog
from kiosk.portal.simulator.server import SimHTTPServer, serve_in_thread, tls_context
from kiosk.portal.simulator.store import Store
from kiosk.portal.simulator.verify import CardVerifier, open_envelope
from kiosk.sealing import load_private_key, write_keypair
from kiosk.testpki import TestPki

__all__ = ["RunningSimulator", "start", "sealing_key_paths"]


def sealing_key_paths(db_path: Path, private_path: Path | None = None) -> tuple[Path, Path]:
    """Where the portal's X25519 key pair lives: next to the database unless told."""
    private = Path(private_path) if private_path else Path(db_path).parent / "portal-sealing.key"
    return private, private.with_name(private.stem + ".pub.pem")


class RunningSimulator:
    """A simulator serving in a background thread; ``stop()`` frees port and database."""

    def __init__(self, server: SimHTTPServer, store: Store, public_key_path: Path,
                 scheme: str) -> None:
        self._server = server
        self.store = store
        self.api: PortalApi = server.api
        self.kiosks: KioskRegistry = server.kiosks
        self.admin_token = server.kiosks.admin_token
        self.public_key_path = public_key_path
        self.host, self.port = server.server_address[:2]
        self.url = f"{scheme}://{self.host}:{self.port}"
        self._thread = serve_in_thread(server)

    def set_fault(self, mode: str, delay_s: float = 0.0, retry_after_s: int = 5,
                  count: int | None = None) -> Fault:
        return self._server.faults.set(mode, delay_s, retry_after_s, count)

    def set_catalog(self, catalog: dict[str, Any]) -> None:
        """Serve ``catalog`` from now on: a test's injection, like a fault.

        A test may inject a broken catalog on purpose (to see the kiosk keep
        its old one), so the contract check no longer judges catalog answers.
        """
        self.api.set_catalog(catalog)
        if self._server.contract is not None:
            self._server.contract.exempt.add("getCatalog")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build(db_path: str | Path, pki_dir: str | Path | None = None,
          sealing_private_key_path: str | Path | None = None, host: str = "127.0.0.1",
          port: int = 0, *, tls: bool = False) -> tuple[SimHTTPServer, Store, Path]:
    """Make (not start) the server: PKI and sealing key are created when missing."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    pki = TestPki(pki_dir or db_path.parent / "pki")
    pki.make_demo()
    private_path, public_path = sealing_key_paths(
        db_path, Path(sealing_private_key_path) if sealing_private_key_path else None)
    if not private_path.exists():
        write_keypair(private_path, public_path)
    private_key = load_private_key(private_path)
    cards = CardVerifier(pki)
    store = Store(db_path)
    kiosks = KioskRegistry(store, load_or_create_admin_token(db_path.parent / "portal-admin.token"))
    api = PortalApi(store, cards,
                    lambda sealed: kiosks.admit(open_envelope(sealed, private_key, cards)),
                    load_catalog())
    context = None
    if tls:
        cert_path, key_path = pki.dir / "tls-server.pem", pki.dir / "tls-server.key"
        if not cert_path.exists():
            cert_path, key_path = pki.issue_tls_server()
        context = tls_context(cert_path, key_path)
    server = SimHTTPServer((host, port), api, Faults(), context, kiosks,
                           contract.Checker() if contract.enabled() else None)
    return server, store, public_path


def start(db_path: str | Path, pki_dir: str | Path | None = None,
          sealing_private_key_path: str | Path | None = None, host: str = "127.0.0.1",
          port: int = 0, *, tls: bool = False) -> RunningSimulator:
    """Start a simulator in a background thread (port 0: a free port is picked)."""
    server, store, public_path = build(db_path, pki_dir, sealing_private_key_path, host, port,
                                      tls=tls)
    return RunningSimulator(server, store, public_path, "https" if tls else "http")

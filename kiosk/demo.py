"""`kiosk demo`: the whole kiosk on one machine with no hardware and no portal.

It starts, on loopback and in temporary storage: the portal simulator, the
printer stand-in (receipts become PNG files), and the PC/SC stack with the
virtual eID card: a private pcscd with the vpcd driver when the demo has
the rights (root), else the system pcscd's vpcd reader. The card runs as a
child process (`kiosk virtual-card`, the same card the tests drive), as an
external card would be: the kiosk process holds no card key. The demo
strip's buttons act on these through `DemoControls`. Stopping the demo
stops all.

The real kiosk code runs unchanged against them: the same config keys, the
same controller, reader service, portal client and printer as `kiosk run`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import config as kiosk_config
from kiosk.config import Config
from kiosk.logs import event
from kiosk.testpki import TestPki

log = logging.getLogger("kiosk.demo")
DEMO_CITIZEN = "citizen"
PRINTER_CYCLE = ("ready", "near-end", "paper-out", "cover-open")


class DemoControls:
    """What the demo strip's buttons do; each stands in for the physical world."""

    def __init__(self, stack: DemoStack, network: Any = None) -> None:
        self._stack = stack
        self.network_up = True
        # The kiosk's NetworkMonitor: told at once, so the demo's audience sees the kiosk go
        # offline now, not after its usual two missed health checks.
        self.network = network

    def insert_card(self) -> None:
        """Put the virtual card in, on a thread: the button must not wait for pcscd."""
        card, pcsc = self._stack.card, self._stack.pcsc
        if card is None or card.inserted:
            return

        def insert() -> None:
            if pcsc is not None:
                # vpcd wedges its slot when a card goes in before pcscd saw the last one leave.
                pcsc.wait_slot_empty()
            card.insert()

        threading.Thread(target=insert, name="demo-insert-card", daemon=True).start()

    def remove_card(self) -> None:
        if self._stack.card is not None:
            self._stack.card.remove()

    def toggle_network(self) -> bool:
        """Cut or restore the portal simulator; returns True when it is up again."""
        self.network_up = not self.network_up
        if self._stack.portal is not None:
            self._stack.portal.set_fault("none" if self.network_up else "down")
        network = self.network
        if network is not None:
            def tell() -> None:
                for _ in range(max(1, int(getattr(network, "failures_to_offline", 1)))):
                    if network.check_now() == self.network_up:
                        break

            # Off the button's thread: a health check may wait for its time-out.
            threading.Thread(target=tell, name="demo-network", daemon=True).start()
        return self.network_up

    def cycle_printer(self) -> str:
        """ready -> paper near end -> paper out -> cover open -> ready."""
        printer = self._stack.printer
        if printer is None:
            return "offline"
        following = PRINTER_CYCLE[(PRINTER_CYCLE.index(printer.status) + 1) % len(PRINTER_CYCLE)
                                  ] if printer.status in PRINTER_CYCLE else "ready"
        printer.set_status(following)
        return following


class ChildCard:
    """`kiosk virtual-card` as a child process: SIGUSR2 puts the card in, SIGUSR1 pulls it out."""

    READY_LINE = "virtual card running"

    def __init__(self, pki_dir: Path, citizen: str, pin: str, port: int, log_path: Path) -> None:
        self.port = port
        self._log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        # The PIN goes on the child's command line: the demo card's PIN is printed for anyone anyway.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "virtual-card", "--pki", str(pki_dir), "--citizen", citizen,
             "--pin", pin, "--vpcd", f"127.0.0.1:{port}", "--removed"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.inserted = False
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 20.0) -> None:
        # A signal that arrives before the child's handlers are set would end it.
        deadline = time.monotonic() + timeout_s
        while self.READY_LINE not in self._log_path.read_text(errors="replace"):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the virtual card did not start (see {self._log_path})")
            time.sleep(0.05)

    def insert(self) -> None:
        self._proc.send_signal(signal.SIGUSR2)
        self.inserted = True

    def remove(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGUSR1)
        self.inserted = False

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._log.close()


# A Unix socket's path ends at 107 bytes (sun_path). A long TMPDIR (a CI job's, a
# test runner's) leaves no room for the demo's sockets; they then go in /tmp.
SOCKET_PATH_MAX = 107


def socket_dir(prefix: str, socket_name: str) -> Path:
    """A new private folder for a socket at ``socket_name`` inside it; in TMPDIR if that fits, else /tmp."""
    folder = tempfile.gettempdir()
    # mkdtemp adds eight characters to the prefix, then a separator before the name.
    if len(os.fsencode(folder)) + 1 + len(prefix) + 8 + 1 + len(socket_name) > SOCKET_PATH_MAX:
        folder = "/tmp"  # noqa: S108 - mkdtemp makes a private (0700) folder in it
    return Path(tempfile.mkdtemp(prefix=prefix, dir=folder))


@dataclass
class DemoStack:
    """The stand-ins a demo runs against; `start()` returns the kiosk's configuration."""

    pin: str = "1234"
    # Made at start() when not given: a stack only built (a test of its controls) leaves no folder.
    workdir: Path | None = None
    receipts_dir: Path | None = None
    portal: Any = None
    printer: Any = None
    pcsc: Any = None
    card: Any = None
    problems: list[str] = field(default_factory=list)
    pcsc_dir: Path | None = None  # pcscd's socket, config and log: removed at stop

    def start(self, config_path: str | None = None) -> Config:
        from devices.printer_sim import start_printer_sim
        from kiosk.portal import simulator

        workdir = self.workdir = self.workdir or Path(tempfile.mkdtemp(prefix="kiosk-demo-"))
        workdir.mkdir(parents=True, exist_ok=True)
        pki = TestPki(workdir / "pki")
        pki.make_demo()
        self.portal = simulator.start(workdir / "portal" / "portal.sqlite3", pki.dir)
        self.receipts_dir = self.receipts_dir or workdir / "receipts"
        self.printer = start_printer_sim(self.receipts_dir)
        overrides: dict[str, dict[str, Any]] = {
            "kiosk": {"id": "demo-kiosk", "site_name": "Demo justice house"},
            "portal": {"url": self.portal.url, "public_key": str(self.portal.public_key_path)},
            "printer": {"connection": f"tcp://127.0.0.1:{self.printer.port}"},
            "storage": {"dir": str(workdir / "storage")},
            "reader": {"trusted_root": str(pki.chain_path), "crl": str(pki.crl_path),
                       "allow_virtual_reader": True},
        }
        reader = self._start_card(pki, workdir / "virtual-card.log")
        if reader:
            overrides["reader"]["name"] = reader
        if config_path:
            config = kiosk_config.load(config_path, overrides=overrides)
        else:
            config = kiosk_config.from_mapping(overrides, "embedded demo defaults")
        return config

    def _start_card(self, pki: TestPki, card_log: Path) -> str:
        """PC/SC with the virtual card; returns the reader name ("" when unavailable)."""
        from devices import pcsc_stack

        reason = pcsc_stack.can_run_private_pcscd()
        port = pcsc_stack.pick_port(os.getpid())
        if reason is None:
            self.pcsc_dir = socket_dir("kiosk-pcscd-", "pcscd/pcscd.comm")
            stack = pcsc_stack.PcscStack(self.pcsc_dir / "pcscd", port)
            try:
                stack.start()
            except pcsc_stack.PcscStackError as exc:
                self.problems.append(f"the private pcscd did not start: {exc}")
            else:
                self.pcsc = stack
                # pcsc-lite reads this once, at this process's first PC/SC call.
                os.environ["PCSCLITE_CSOCK_NAME"] = str(stack.socket_path)
        if self.pcsc is None:
            problem = pcsc_stack.system_reader_problem()
            if problem:
                self.problems.append(problem)
                return ""
            port = 35963  # the system pcscd's vpcd reader, as Debian's package registers it
            self.problems.append(f"using the system pcscd's virtual reader ({reason})")
        try:
            self.card = ChildCard(pki.dir, DEMO_CITIZEN, self.pin, port, card_log)
        except RuntimeError as exc:
            self.problems.append(str(exc))
            return ""
        return pcsc_stack.VIRTUAL_READER_PREFIX

    def controls(self, network: Any = None) -> DemoControls:
        return DemoControls(self, network)

    def stop(self) -> None:
        for name in ("card", "printer", "portal"):
            part = getattr(self, name)
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        if self.pcsc is not None:
            self.pcsc.stop()
        if self.pcsc_dir is not None:
            shutil.rmtree(self.pcsc_dir, ignore_errors=True)
        event(log, "demo stopped")

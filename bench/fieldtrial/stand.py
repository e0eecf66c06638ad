"""What outlives the kiosk during a field trial, and the supervisor that restarts it.

On a real justice house the portal, the printer and the card reader do not
die when the kiosk program does; systemd restarts the program
(`Restart=always` in kiosk.service). So the trial keeps the portal
simulator, the printer stand-in, a private pcscd with the vpcd reader and
the citizens' virtual cards in the bench process (`Stand`), and runs the
kiosk itself (`kiosk run`, the production entry point) as a child process
under Xvfb that `Supervisor` starts again whenever it dies, with the same
configuration file and the same storage directory. The child's stdout and
stderr go to files, so the trial can search them for PINs afterwards.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
KIOSK_ID = "trial-kiosk"
GIVEN = ("ლევან", "მარიამ", "ზურაბ", "ეკა", "დავით", "ნათია", "ირაკლი", "სოფო", "გოჩა", "ქეთევან")
SURNAMES = ("გელაშვილი", "ხარაიშვილი", "ჯავახიშვილი", "წერეთელი", "ლომიძე", "ჩხეიძე",
            "ქავთარაძე", "მჭედლიძე", "აბაშიძე", "კიკნაძე")


@dataclass
class Person:
    """One citizen of the trial: a card with a PIN, and a portal password."""

    key: str
    personal_number: str
    given_name: str
    surname: str
    pin: str
    username: str
    password: str
    card: Any = None  # devices.virtual_card.VirtualCard

    @property
    def masked(self) -> str:
        from kiosk.forms import mask_personal_number

        return mask_personal_number(self.personal_number)


def _pin(rng: random.Random, taken: set[str]) -> str:
    """A PIN that is no substring of another secret and not a run like 1234 (easy to find in logs)."""
    while True:
        pin = "".join(rng.choice("23456789") for _ in range(4))
        if pin not in taken and len(set(pin)) >= 3:
            taken.add(pin)
            return pin


def identities(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(personal number, PIN, password) of each test citizen, drawn from ``rng`` in order:
    the same seed gives the same citizens, so a finished run's secrets can be searched again."""
    pins: set[str] = set()
    numbers: set[str] = set()
    drawn = []
    for _ in range(count):
        while True:
            number = "".join(rng.choice("0123456789") for _ in range(11))
            if number[:3] + number[-3:] not in numbers:
                numbers.add(number[:3] + number[-3:])
                break
        drawn.append((number, _pin(rng, pins), f"pw-{rng.randrange(10**8):08d}"))
    return drawn


class Stand:
    """Portal simulator, printer stand-in, pcscd + vpcd and the cards; `config_path` for the kiosk."""

    PERSONS = 8  # test citizens with a card, a PIN and a password

    def __init__(self, workdir: Path, rng: random.Random, persons: int = PERSONS) -> None:
        self.workdir, self.rng, self.person_count = workdir, rng, persons
        self.portal: Any = None
        self.printer: Any = None
        self.pcsc: Any = None
        self.persons: list[Person] = []
        self.storage = workdir / "storage"
        self.config_path = workdir / "kiosk.toml"

    def start(self) -> None:
        from devices import pcsc_stack
        from devices.printer_sim import start_printer_sim
        from kiosk.portal import simulator
        from kiosk.testpki import TestPki

        pki = TestPki(self.workdir / "pki")
        pki.make_demo()
        self.portal = simulator.start(self.workdir / "portal" / "portal.sqlite3", pki.dir)
        self.printer = start_printer_sim(self.workdir / "printed")
        reason = pcsc_stack.can_run_private_pcscd()
        if reason is not None:
            raise RuntimeError(f"the field trial needs a private pcscd: {reason}")
        port = pcsc_stack.pick_port(os.getpid())
        self.pcsc = pcsc_stack.PcscStack(self.workdir / "pcscd", port, die_with_parent=True)
        self.pcsc.start()
        # pcsc-lite reads this once, at this process's first PC/SC call (wait_slot_empty).
        os.environ["PCSCLITE_CSOCK_NAME"] = str(self.pcsc.socket_path)
        self._make_persons(pki, port)
        self._write_config(pki)

    def _make_persons(self, pki: Any, port: int) -> None:
        from devices.virtual_card import VirtualCard
        from kiosk.portal.simulator.store import hash_password

        store = self.portal.store
        for n, (number, pin, password) in enumerate(identities(self.rng, self.person_count)):
            person = Person(f"p{n}", number, GIVEN[n % len(GIVEN)], SURNAMES[n % len(SURNAMES)],
                            pin, f"citizen{n}", password)
            pki.issue_citizen(person.key, number, person.given_name, person.surname)
            person.card = VirtualCard.from_pki(pki.dir, person.key, person.pin, port)
            store.ensure_citizen(number, person.given_name, person.surname)
            with store._lock:
                store.db["users"].insert({"username": person.username, "personal_number": number,
                                          "password_hash": hash_password(person.password)}, replace=True)
            self.persons.append(person)

    def _write_config(self, pki: Any) -> None:
        self.config_path.write_text(
            f'[kiosk]\nid = "{KIOSK_ID}"\nsite_name = "Field trial justice house"\n\n'
            f'[portal]\nurl = "{self.portal.url}"\npublic_key = "{self.portal.public_key_path}"\n'
            'connect_timeout_s = 2\nread_timeout_s = 6\n\n'
            f'[printer]\nconnection = "tcp://127.0.0.1:{self.printer.port}"\n\n'
            f'[storage]\ndir = "{self.storage}"\n\n'
            f'[reader]\nname = "{self.pcsc.reader_name}"\ntrusted_root = "{pki.chain_path}"\n'
            f'crl = "{pki.crl_path}"\nallow_virtual_reader = true\n\n'
            '[maintenance]\nmetrics_port = 0\n', encoding="utf-8")

    # -- faults ---------------------------------------------------------------------
    def portal_fault(self, mode: str, delay_s: float = 0.0, retry_after_s: int = 1,
                     count: int | None = None) -> None:
        self.portal.set_fault(mode, delay_s=delay_s, retry_after_s=retry_after_s, count=count)

    def printer_status(self, status: str) -> None:
        self.printer.set_status(status)

    def pcscd_crash(self) -> None:
        """pcscd killed (SIGKILL) and started again, as systemd would after a crash."""
        self.pcsc.restart(kill=True, down_s=0.3)

    def reader_gone(self) -> None:
        """The reader unplugged: pcscd comes back without the vpcd reader."""
        self.pcsc.restart(with_reader=False)

    def reader_back(self) -> None:
        self.pcsc.restart(with_reader=True)

    # -- what the world saw ---------------------------------------------------------
    def received(self) -> list[dict[str, Any]]:
        return requests.get(self.portal.url + "/_sim/transactions", timeout=30).json()["items"]

    def payments(self) -> list[dict[str, Any]]:
        store = self.portal.store
        with store._lock:
            return list(store.db["payments"].rows)

    def outbox_counts(self) -> dict[str, int]:
        path = self.storage / "outbox.sqlite3"
        if not path.exists():
            return {}
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            return dict(db.execute("SELECT status, count(*) FROM entries GROUP BY status").fetchall())

    def journal_refs(self) -> set[str]:
        """Local references in the receipt journal now (it keeps only the last 50)."""
        path = self.storage / "receipts.db"
        if not path.exists():
            return set()
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            return {row[0] for row in db.execute("SELECT local_reference FROM receipts")}

    def stop(self) -> None:
        for person in self.persons:
            with contextlib.suppress(Exception):
                person.card.remove()
        for part in (self.printer, self.portal, self.pcsc):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()


class Supervisor:
    """Runs `kiosk run` under Xvfb and starts it again when it dies (Restart=always, RestartSec=1)."""

    def __init__(self, stand: Stand, display: str, logs: Path, restart_s: float = 1.0) -> None:
        self.stand, self.display, self.logs, self.restart_s = stand, display, logs, restart_s
        self.socket_path = logs / "automation.sock"
        self.kivy_home = logs / "kivy"
        self.starts = 0
        self.kills = 0
        self.exits: list[int] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._loop, name="kiosk-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ, DISPLAY=self.display, KIVY_HOME=str(self.kivy_home), KIVY_NO_ARGS="1",
                   PYTHONPATH=str(REPO), PCSCLITE_CSOCK_NAME=str(self.stand.pcsc.socket_path))
        env.pop("WAYLAND_DISPLAY", None)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # a stale socket must not look like a kiosk that is up
        with open(self.logs / "kiosk-stdout.log", "ab") as out, \
                open(self.logs / "kiosk-stderr.log", "ab") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "kiosk", "run", "--config", str(self.stand.config_path),
                 "--automation-socket", str(self.socket_path)],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._changed:
                self._proc = self._spawn()
                self.starts += 1
                self._changed.notify_all()
            code = self._proc.wait()
            with self._changed:
                self.exits.append(code)
                self._changed.notify_all()
            self._stopping.wait(self.restart_s)

    def wait_started(self, after: int, timeout_s: float = 60) -> bool:
        """Wait until the kiosk has been started more than ``after`` times."""
        with self._changed:
            return self._changed.wait_for(lambda: self.starts > after, timeout_s)

    def kill9(self) -> None:
        """SIGKILL the kiosk, as a power cut or the OOM killer would."""
        pid = self.pid
        if pid is not None:
            self.kills += 1
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def rss_mb(self) -> float | None:
        """Resident memory of the kiosk process from /proc (no psutil needed)."""
        pid = self.pid
        if pid is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        """Stop restarting, then stop the kiosk; again after the loop ended, in case it had
        just started one when told to stop (an orphan kiosk would outlive its X server)."""
        self._stopping.set()
        _terminate(self._proc)
        if self._thread is not None:
            self._thread.join(timeout=20)
        _terminate(self._proc)


def _terminate(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

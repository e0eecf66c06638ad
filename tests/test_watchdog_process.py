"""The watchdog and the restart, proven with real processes.

systemd itself cannot run inside the test (no PID 1 of our own, no
cgroups to hand out), so a small supervisor here plays its part, using
kiosk.service's own ``Restart=``, ``RestartSec=`` and ``WatchdogSec=``
values, parsed from the unit file: it listens on a NOTIFY_SOCKET, sets
WATCHDOG_USEC, restarts the service's main process when it exits as
``Restart=`` says, and kills the process group when the pings stop for
``WatchdogSec`` (scaled down, so the test takes seconds, not minutes).

The process layout copies the unit's: the service's main process is a
stand-in for cage, which starts the kiosk as its child and exits when the
kiosk does. systemd sets WATCHDOG_PID to the *main* process's PID, so the
kiosk sees its parent's PID there; the pings must come anyway.

The kiosk child runs the real `KioskController.main_loop_alive()` in a loop
as the UI's main loop does; SIGUSR1 makes that loop block for good, as a
frozen UI thread would, while its other threads run on. The last test
does the same with the real kiosk window (tests/ui_watchdog_controller.py):
its pings must come from Kivy's main loop and stop while that loop stalls.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.notify_socket import NotifySocket
from tests.ui_watchdog_controller import STALL_ENDED, STALL_STARTED
from tests.xvfb import run_kiosk

UNIT = Path(__file__).resolve().parent.parent / "kiosk.service"
WATCHDOG_SCALE = 1 / 50  # WatchdogSec=30 becomes 0.6 s here

KIOSK_LOOP = """
import os, sys, threading, time, signal
from kiosk.config import Config
from kiosk.controller import KioskController
from kiosk.watchdog import Notifier

with open(sys.argv[1], "a") as starts:
    starts.write(f"{os.getpid()}\\n")
controller = KioskController(Config())
controller.notifier = Notifier()
frozen = threading.Event()
signal.signal(signal.SIGUSR1, lambda *_: frozen.set())
# A helper thread that keeps working through the freeze: it must not keep the watchdog fed.
threading.Thread(target=lambda: [time.sleep(0.01) for _ in iter(int, 1)], daemon=True).start()
controller.window_shown()
while True:
    if frozen.is_set():
        threading.Event().wait()  # the UI thread stuck in a call that never returns
    controller.main_loop_alive()
    time.sleep(0.02)
"""

CAGE_STANDIN = """
import os, subprocess, sys
# systemd gives the service's main process WATCHDOG_PID=<its own PID>; Popen cannot
# know the PID before the fork, so the stand-in sets the same value itself.
os.environ["WATCHDOG_PID"] = str(os.getpid())
kiosk = subprocess.Popen([sys.executable] + sys.argv[1:])
code = kiosk.wait()
sys.exit(code if code >= 0 else 128 - code)  # cage exits when its only client does
"""


def unit_service_settings() -> dict[str, str]:
    """The [Service] section's keys (last value wins, as for these single-valued keys)."""
    settings: dict[str, str] = {}
    section = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def timespan_s(text: str) -> float:
    """systemd time spans as the unit uses them: "2", "500ms", "30s", "1min"."""
    units = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}
    text = text.strip()
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix) and text[: -len(suffix)].strip().replace(".", "", 1).isdigit():
            return float(text[: -len(suffix)]) * units[suffix]
    return float(text)


def should_restart(policy: str, returncode: int, watchdog_fired: bool) -> bool:
    """systemd.service(5)'s table for Restart= (the subset a kiosk could use)."""
    clean = returncode == 0
    by_signal = returncode < 0 or returncode > 128
    return {
        "no": False,
        "always": True,
        "on-failure": not clean or watchdog_fired,
        "on-abnormal": by_signal or watchdog_fired,
        "on-watchdog": watchdog_fired,
        "on-abort": by_signal and not watchdog_fired,
    }[policy]


class MiniSystemd:
    """Enough of systemd for one Type=notify service with Restart= and WatchdogSec=."""

    def __init__(self, argv: list[str], restart: str, restart_s: float, watchdog_s: float,
                 enforce_watchdog: bool = True) -> None:
        self.argv = argv
        self.enforce_watchdog = enforce_watchdog
        self.restart = restart
        self.restart_s = restart_s
        self.watchdog_s = watchdog_s
        self.address = f"@kiosk-test-notify-{secrets.token_hex(6)}"
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind("\0" + self.address[1:])
        self.messages: list[tuple[float, str]] = []
        self.started: list[float] = []
        self.exits: list[int] = []
        self.watchdog_kills = 0
        self.main: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MiniSystemd:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._kill_group(signal.SIGKILL)
        self.socket.close()

    def pings(self, since: float = 0.0) -> int:
        return sum(1 for when, text in list(self.messages) if when >= since and "WATCHDOG=1" in text)

    def _spawn(self) -> None:
        env = {**os.environ, "NOTIFY_SOCKET": self.address}
        env.pop("WATCHDOG_PID", None)
        env["WATCHDOG_USEC"] = str(int(self.watchdog_s * 1_000_000))
        self.main = subprocess.Popen(self.argv, env=env, start_new_session=True)
        self.started.append(time.monotonic())

    def _kill_group(self, sig: int) -> None:
        if self.main is not None and self.main.poll() is None:
            try:
                os.killpg(self.main.pid, sig)
            except ProcessLookupError:
                pass
            self.main.wait(10)

    def _run(self) -> None:
        self._spawn()
        last_ping = time.monotonic()
        while not self._stop.is_set():
            readable, _, _ = select.select([self.socket], [], [], 0.02)
            if readable:
                text = self.socket.recv(4096).decode()
                self.messages.append((time.monotonic(), text))
                if "WATCHDOG=1" in text or "READY=1" in text:
                    last_ping = time.monotonic()
            fired = False
            if self.enforce_watchdog and time.monotonic() - last_ping > self.watchdog_s:
                # systemd: WatchdogSignal= (SIGABRT) to the service, then the rest of the cgroup.
                self.watchdog_kills += 1
                fired = True
                self._kill_group(signal.SIGABRT)
            assert self.main is not None
            code = self.main.poll()
            if code is None:
                continue
            # Whatever is left of the group goes too (KillMode=control-group).
            try:
                os.killpg(self.main.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.exits.append(code)
            if not should_restart(self.restart, code, fired) or self._stop.wait(self.restart_s):
                return
            self._spawn()
            last_ping = time.monotonic()


def wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def kiosk_pids(starts: Path) -> list[int]:
    return [int(line) for line in starts.read_text().split()] if starts.exists() else []


@pytest.fixture
def scripts(tmp_path: Path) -> tuple[list[str], Path]:
    (tmp_path / "kiosk_loop.py").write_text(KIOSK_LOOP)
    (tmp_path / "cage_standin.py").write_text(CAGE_STANDIN)
    starts = tmp_path / "starts"
    argv = [sys.executable, str(tmp_path / "cage_standin.py"), str(tmp_path / "kiosk_loop.py"), str(starts)]
    return argv, starts


def test_the_unit_file_gives_the_supervisor_its_values() -> None:
    unit = unit_service_settings()
    assert unit["Restart"] == "always" and timespan_s(unit["RestartSec"]) == 2.0
    assert timespan_s(unit["WatchdogSec"]) == 30.0
    assert [timespan_s(t) for t in ("500ms", "2s", "1min", "3")] == [0.5, 2.0, 60.0, 3.0]


def test_pings_come_from_the_main_loop_under_cage_and_stop_when_it_freezes(scripts) -> None:
    argv, starts = scripts
    unit = unit_service_settings()
    watchdog_s = timespan_s(unit["WatchdogSec"]) * WATCHDOG_SCALE
    # No restarts and no kill here: this test watches one process go quiet.
    with MiniSystemd(argv, "no", 0, watchdog_s, enforce_watchdog=False) as systemd:
        assert wait_until(lambda: systemd.pings() >= 5, 20), systemd.messages
        assert any(text.startswith("READY=1") for _, text in systemd.messages)
        pid = kiosk_pids(starts)[0]
        os.kill(pid, signal.SIGUSR1)
        time.sleep(watchdog_s / 2)  # a ping already on its way may still land
        quiet_from = time.monotonic()
        time.sleep(watchdog_s * 2)
        assert systemd.pings(since=quiet_from) == 0, "a frozen main loop must stop the pings"
        assert systemd.main is not None and systemd.main.poll() is None, "the kiosk is alive, only stuck"


def test_a_killed_kiosk_is_started_again_after_restart_sec(scripts) -> None:
    argv, starts = scripts
    unit = unit_service_settings()
    restart_s = timespan_s(unit["RestartSec"])
    watchdog_s = timespan_s(unit["WatchdogSec"]) * WATCHDOG_SCALE
    with MiniSystemd(argv, unit["Restart"], restart_s, watchdog_s, enforce_watchdog=False) as systemd:
        assert wait_until(lambda: len(kiosk_pids(starts)) == 1 and systemd.pings() > 0, 20)
        first = kiosk_pids(starts)[0]
        killed_at = time.monotonic()
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: len(kiosk_pids(starts)) == 2, restart_s + 15)
        assert systemd.started[1] - killed_at >= restart_s - 0.05, "Restart= waits RestartSec= first"
        second = kiosk_pids(starts)[1]
        assert second != first
        back_at = time.monotonic()
        assert wait_until(lambda: systemd.pings(since=back_at) > 0, 20), "the new kiosk pings again"
        assert systemd.exits[0] != 0  # cage passed on the kiosk's violent end


def test_a_frozen_kiosk_is_killed_by_the_watchdog_and_comes_back(scripts) -> None:
    argv, starts = scripts
    unit = unit_service_settings()
    restart_s = timespan_s(unit["RestartSec"])
    watchdog_s = timespan_s(unit["WatchdogSec"]) * WATCHDOG_SCALE
    with MiniSystemd(argv, unit["Restart"], restart_s, watchdog_s) as systemd:
        assert wait_until(lambda: systemd.pings() >= 3, 20)
        # Running well for several watchdog periods: the pings keep it alive.
        time.sleep(watchdog_s * 3)
        assert systemd.watchdog_kills == 0 and len(kiosk_pids(starts)) == 1
        os.kill(kiosk_pids(starts)[0], signal.SIGUSR1)
        assert wait_until(lambda: systemd.watchdog_kills == 1, watchdog_s * 5)
        assert wait_until(lambda: len(kiosk_pids(starts)) == 2, restart_s + 15)
        back_at = time.monotonic()
        assert wait_until(lambda: systemd.pings(since=back_at) > 0, 20)
        assert systemd.watchdog_kills == 1


@pytest.mark.ui
@pytest.mark.slow
def test_the_real_window_pings_from_its_main_loop_and_stops_while_it_stalls(xvfb_display: str,
                                                                            tmp_path: Path) -> None:
    watchdog_s = 2.0  # the window pings about once a second (every WatchdogSec/2)
    with NotifySocket() as notify, run_kiosk(
            xvfb_display, tmp_path / "kiosk", extra_env=notify.env(watchdog_s),
            factory="tests.ui_watchdog_controller:build") as kiosk:
        ready = notify.wait_for("READY=1", timeout_s=30)
        assert ready is not None, notify.messages
        assert notify.wait_for("WATCHDOG=1", timeout_s=watchdog_s * 2, since=ready[0]), notify.messages
        os.kill(kiosk.proc.pid, signal.SIGUSR1)
        stalled = notify.wait_for(STALL_STARTED, timeout_s=10)
        assert stalled is not None, "the main loop never ran the stall"
        time.sleep(watchdog_s * 2)  # two whole WatchdogSec: systemd would have killed it by now
        assert notify.count("WATCHDOG=1", since=stalled[0]) == 0, "a stalled main loop must not be pinging"
        assert kiosk.alive(), "only stuck, not dead: what the watchdog is for"
        os.kill(kiosk.proc.pid, signal.SIGUSR2)
        running = notify.wait_for(STALL_ENDED, timeout_s=10)
        assert running is not None
        assert notify.wait_for("WATCHDOG=1", timeout_s=watchdog_s * 2, since=running[0]), \
            "the pings come back with the loop"
        assert kiosk.state()["screen"] == "attract"

"""Pytest plugin: a private Xvfb display and the real kiosk window, driven through its socket.

Each test session (each xdist worker) starts its own Xvfb the first time a
UI test asks for it, with ``-displayfd`` so the server picks a free display
number and tells us once it is ready. The kiosk then runs as a separate
process, exactly as on a kiosk, and tests talk to it only through the
automation socket, as a person would through the glass.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.automation import AutomationClient
from kiosk.xvfb import Xvfb, XvfbError

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30.0


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A fresh X display for this worker (kiosk.xvfb, as the demo uses); stopped at the end."""
    server = Xvfb()
    try:
        display = server.start()
    except XvfbError as exc:
        pytest.fail(f"{exc} (`make test` installs the Debian package xvfb)")
    try:
        yield display
    finally:
        server.stop()


class KioskUnderTest:
    """A running kiosk window and a client on its automation socket."""

    def __init__(self, proc: subprocess.Popen[bytes], client: AutomationClient, display: str,
                 log_path: Path, workdir: Path) -> None:
        self.proc, self.client, self.display = proc, client, display
        self.log_path, self.workdir = log_path, workdir

    def send(self, command: dict[str, Any]) -> dict[str, Any]:
        return self.client.send(command)

    def ok(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send a command that must succeed; its error, if any, fails the test."""
        answer = self.client.send(command)
        assert "error" not in answer, f"{command} -> {answer}"
        return answer

    def state(self) -> dict[str, Any]:
        return self.ok({"cmd": "state"})

    def texts(self) -> dict[str, str]:
        return {w["id"]: w["text"] for w in self.state()["widgets"]}

    def tap(self, automation_id: str) -> dict[str, Any]:
        return self.ok({"cmd": "tap", "id": automation_id})

    def wait(self, screen: str | None = None, overlay: str | None = None,
             timeout_s: float = 10) -> dict[str, Any]:
        command: dict[str, Any] = {"cmd": "wait", "timeout_s": timeout_s}
        if screen:
            command["screen"] = screen
        if overlay:
            command["overlay"] = overlay
        return self.ok(command)

    def alive(self) -> bool:
        return self.proc.poll() is None


# `KIOSK_UPDATE_SCREENSHOTS=1 make test` refreshes docs/screenshots; else they go to the kiosk's workdir.
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"


def screenshot(kiosk: KioskUnderTest, name: str) -> Path:
    """The window as it is now, as ``name``: into docs/screenshots only when asked to refresh them."""
    folder = DOCS_SCREENSHOTS if os.environ.get("KIOSK_UPDATE_SCREENSHOTS") else kiosk.workdir / "shots"
    shot = Path(kiosk.ok({"cmd": "screenshot", "path": str(folder / name)})["path"])
    assert shot.stat().st_size > 10_000
    return shot


def write_config(path: Path, storage: Path, extra: str = "", kiosk_extra: str = "",
                 **session: int) -> Path:
    """A kiosk.toml; ``extra`` is more TOML tables (e.g. [portal] for the simulator),
    ``kiosk_extra`` more lines of its [kiosk] table."""
    timings = {"idle_timeout_s": 120, "idle_warning_s": 30, **session}
    lines = ["[kiosk]", 'site_name = "Justice House Tbilisi"', kiosk_extra, "", "[storage]",
             f'dir = "{storage}"', "", "[session]"] + [f"{key} = {value}" for key, value in timings.items()]
    path.write_text("\n".join(lines) + "\n\n" + extra, encoding="utf-8")
    return path


@contextlib.contextmanager
def run_kiosk(display: str, workdir: Path, clock_speed: float = 1.0, first_screen: str = "attract",
              extra_env: dict[str, str] | None = None,
              factory: str = "tests.ui_fake_controller:build", config_extra: str = "",
              kiosk_extra: str = "", **session: int) -> Iterator[KioskUnderTest]:
    """Start `python -m screens` (default: the pretend card); stop it, and check it did not crash, after.

    ``factory`` builds the controller (tests/ui_sim_controller.py: the real
    parts over the portal simulator); ``config_extra`` adds TOML tables.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_config(workdir / "kiosk.toml", workdir / "storage", config_extra, kiosk_extra,
                          **session)
    sock = workdir / "ui.sock"
    log_path = workdir / "kiosk.log"
    env = dict(os.environ, DISPLAY=display, KIVY_HOME=str(workdir / "kivy"), KIVY_NO_ARGS="1",
               KIVY_NO_CONSOLELOG="1", KIOSK_UI_CLOCK_SPEED=str(clock_speed), PYTHONPATH=str(REPO),
               **(extra_env or {}))
    env.pop("WAYLAND_DISPLAY", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "screens", "--config", str(config), "--automation-socket", str(sock),
             "--controller-factory", factory],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    client = None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while client is None:
            if proc.poll() is not None:
                pytest.fail(f"the kiosk exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                tail = log_path.read_text()[-3000:]
                pytest.fail(f"no automation socket after {START_TIMEOUT_S} s:\n{tail}")
            with contextlib.suppress(OSError):
                client = AutomationClient(sock)
            if client is None:
                time.sleep(0.05)
        kiosk = KioskUnderTest(proc, client, display, log_path, workdir)
        kiosk.wait(screen=first_screen)
        yield kiosk
    finally:
        if client is not None:
            client.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert "Traceback" not in log_path.read_text(errors="replace"), log_path.read_text()[-4000:]


@pytest.fixture
def ui_kiosk(xvfb_display: str, tmp_path: Path) -> Iterator[KioskUnderTest]:
    """The kiosk window at its attract screen, with the default (slow) clock."""
    with run_kiosk(xvfb_display, tmp_path / "kiosk") as running:
        yield running

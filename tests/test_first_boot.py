"""First boot: no configuration, or a broken one, is "out of service" on the glass, never a crash loop.

`kiosk doctor` names what is wrong; `kiosk run` keeps running with the
out-of-service screen (systemd's Restart=always would otherwise restart a
crashing kiosk every two seconds, with a flickering screen in the hall).
Out of service or not, it tells systemd READY=1 and then pings the watchdog:
kiosk.service is Type=notify with WatchdogSec=, so a quiet kiosk would be
killed and started again, the same loop by another road.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.automation import AutomationClient
from kiosk.config import Config, PortalSection
from kiosk.launch import missing_files
from kiosk.sealing import write_keypair
from kiosk.xvfb import Xvfb
from tests.notify_socket import NotifySocket

REPO = Path(__file__).resolve().parent.parent
WATCHDOG_S = 2.0  # the kiosk pings every WatchdogSec/2: once a second here

BROKEN = """
[kiosk]
id = "tbilisi-01"
[portal]
url = "ftp://portal.example.ge"
"""


def doctor(config: Path) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    result = subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--json", "--config", str(config)],
                            capture_output=True, text=True, check=False, timeout=60, env=env)
    return result.returncode, json.loads(result.stdout)


def test_doctor_names_a_missing_configuration(tmp_path: Path) -> None:
    missing = tmp_path / "kiosk.toml"
    code, report = doctor(missing)
    assert code != 0 and report["ok"] is False
    finding = report["findings"][0]
    assert finding["check"] == "configuration" and finding["status"] == "fail"
    assert str(missing) in finding["detail"] and "does not exist" in finding["detail"]


def test_doctor_names_the_broken_key(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(BROKEN)
    code, report = doctor(config)
    assert code != 0 and report["ok"] is False
    finding = report["findings"][0]
    assert finding["check"] == "configuration" and finding["status"] == "fail"
    assert "portal.url" in finding["detail"] and finding["action"]


def sealing_key(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    public = directory / "portal-sealing.pub.pem"
    write_keypair(directory / "portal-sealing.pem", public)
    return public


@pytest.mark.parametrize(("portal", "named"), [
    ({}, ["portal.public_key is not set"]),
    ({"public_key": "{dir}/nowhere.pem"}, ["portal.public_key: {dir}/nowhere.pem does not exist"]),
    ({"public_key": "{dir}/garbage.pem"}, ["portal.public_key: {dir}/garbage.pem cannot be used"]),
    ({"public_key": "{key}", "ca_bundle": "{dir}/ca.pem"}, ["portal.ca_bundle: {dir}/ca.pem does not exist"]),
    ({"public_key": "{dir}/nowhere.pem", "ca_bundle": "{dir}/ca.pem"},
     ["portal.public_key: {dir}/nowhere.pem", "portal.ca_bundle: {dir}/ca.pem"]),
    ({"public_key": "{key}"}, []),
    ({"public_key": "{key}", "ca_bundle": "{key}"}, []),  # any existing file: requests reads it
], ids=["key-unset", "key-missing", "key-garbage", "ca-missing", "both-missing", "key-ok", "both-ok"])
def test_missing_files_name_the_key_and_the_file(tmp_path: Path, portal: dict[str, str],
                                                 named: list[str]) -> None:
    key = sealing_key(tmp_path / "keys")
    (tmp_path / "garbage.pem").write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    values = {name: value.format(dir=tmp_path, key=key) for name, value in portal.items()}
    problems = missing_files(Config(portal=PortalSection(**values)))
    assert len(problems) == len(named), problems
    for problem, start in zip(problems, named, strict=True):
        assert problem.startswith(start.format(dir=tmp_path)), problems


@contextlib.contextmanager
def kiosk_run(tmp_path: Path, config: Path, notify: NotifySocket) -> Iterator[AutomationClient]:
    """`kiosk run` as kiosk.service starts it (NOTIFY_SOCKET, WATCHDOG_USEC), on a private Xvfb."""
    socket_path = tmp_path / "automation.sock"
    xvfb = Xvfb(1080, 1920)
    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_CONFIG", "WATCHDOG_PID")}
    env.update(DISPLAY=xvfb.start(), KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_ARGS="1",
               KIVY_NO_CONSOLELOG="1", **notify.env(WATCHDOG_S))
    env.pop("WAYLAND_DISPLAY", None)
    log = (tmp_path / "kiosk.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config),
         "--automation-socket", str(socket_path)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 45
        while not socket_path.exists():
            assert process.poll() is None, f"kiosk run exited ({process.returncode}):\n" + \
                (tmp_path / "kiosk.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the window never came up"
            time.sleep(0.1)
        with AutomationClient(socket_path) as client:
            yield client
            assert process.poll() is None, "still running: not a crash being restarted"
        process.terminate()
        assert process.wait(timeout=15) is not None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        xvfb.stop()
    assert "Traceback" not in (tmp_path / "kiosk.log").read_text()


def assert_ready_then_pinging(notify: NotifySocket, status: str) -> None:
    """READY=1 with the out-of-service status, then watchdog pings after it, as from a serving kiosk."""
    ready = notify.wait_for("READY=1", timeout_s=30)
    assert ready is not None, f"no READY=1: systemd would give up on the start; heard {notify.messages}"
    assert f"STATUS={status}" in ready[1].splitlines(), ready
    ping = notify.wait_for("WATCHDOG=1", timeout_s=WATCHDOG_S * 3, since=ready[0])
    assert ping is not None, f"no WATCHDOG=1 after READY=1: systemd would kill it; heard {notify.messages}"
    settled = time.monotonic()
    time.sleep(WATCHDOG_S * 1.5)
    assert notify.count("WATCHDOG=1", since=settled) >= 1, "the pings go on"


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.parametrize("config_text", [None, BROKEN], ids=["missing", "broken"])
def test_kiosk_run_stays_up_out_of_service(tmp_path: Path, config_text: str | None) -> None:
    config = tmp_path / "kiosk.toml"
    if config_text is not None:
        config.write_text(config_text)
    with NotifySocket() as notify, kiosk_run(tmp_path, config, notify) as client:
        state = client.send({"cmd": "state"})
        assert state["screen"] == "out_of_service", state
        # Plain words for citizens: the technical reason stays on the maintenance side.
        visible = " ".join(w.get("text", "") for w in state["widgets"])
        assert "portal.url" not in visible and "kiosk.toml" not in visible
        assert_ready_then_pinging(notify, "out of service: configuration")
        assert client.send({"cmd": "state"})["screen"] == "out_of_service"
    log_text = (tmp_path / "kiosk.log").read_text()
    assert "configuration invalid" in log_text
    if config_text is not None:
        assert "portal.url" in log_text, "the reason is in the journal for the technician"


def example_config(tmp_path: Path) -> tuple[Path, Path, Path]:
    """kiosk.example.toml as `make install` leaves it, its /etc/kiosk and /var/lib/kiosk moved here."""
    etc, storage = tmp_path / "etc", tmp_path / "storage"
    etc.mkdir()
    storage.mkdir(mode=0o700)
    text = (REPO / "kiosk.example.toml").read_text()
    text = text.replace("/etc/kiosk/", f"{etc}/").replace("/var/lib/kiosk", str(storage))
    text = text.replace("metrics_port = 9310", "metrics_port = 0")
    config = etc / "kiosk.toml"
    config.write_text(text)
    return config, etc / "portal-sealing.pub.pem", etc / "portal-ca.pem"


@pytest.mark.ui
@pytest.mark.slow
def test_example_config_without_its_key_files_is_out_of_service(tmp_path: Path) -> None:
    config, key, bundle = example_config(tmp_path)
    assert not key.exists() and not bundle.exists()
    code, report = doctor(config)
    findings = {f["check"]: f["status"] for f in report["findings"]}
    assert code != 0 and findings["sealing key"] == findings["portal"] == "fail", report
    with NotifySocket() as notify, kiosk_run(tmp_path, config, notify) as client:
        assert client.send({"cmd": "wait", "screen": "out_of_service", "timeout_s": 5}).get("ok"), \
            "no sealing key, no CA bundle: no citizen may start a visit"
        assert_ready_then_pinging(notify, "out of service: configuration")
    log_text = (tmp_path / "kiosk.log").read_text()
    assert "configuration incomplete" in log_text
    assert f"portal.public_key: {key} does not exist" in log_text
    assert f"portal.ca_bundle: {bundle} does not exist" in log_text


@pytest.mark.ui
@pytest.mark.slow
@pytest.mark.pcsc
def test_kiosk_run_refuses_a_virtual_reader(tmp_path: Path, pcsc) -> None:
    """vpcd listens on every interface: on a production kiosk, anyone on the network could insert a card."""
    storage = tmp_path / "storage"
    storage.mkdir(mode=0o700)
    config = tmp_path / "kiosk.toml"
    key = sealing_key(tmp_path / "keys")
    config.write_text(f'[portal]\nurl = "http://127.0.0.1:9"\npublic_key = "{key}"\n'
                      f'[storage]\ndir = "{storage}"\n[reader]\nallow_virtual_reader = false\n')
    assert pcsc.reader_name, "the private pcscd has its vpcd reader"
    with NotifySocket() as notify, kiosk_run(tmp_path, config, notify) as client:
        assert client.send({"cmd": "wait", "screen": "out_of_service", "timeout_s": 5}).get("ok")
        assert_ready_then_pinging(notify, "out of service: virtual_reader")
    log_text = (tmp_path / "kiosk.log").read_text()
    assert "VIRTUAL CARD READER PRESENT" in log_text and pcsc.reader_name in log_text

"""The sd_notify protocol, checked against a datagram socket standing in for systemd."""

import socket
from pathlib import Path

from kiosk.watchdog import Notifier


def listen(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(2)
    return server


def test_ready_and_watchdog_reach_the_socket(tmp_path: Path) -> None:
    server = listen(tmp_path / "notify")
    notifier = Notifier(str(tmp_path / "notify"))
    assert notifier.ready("attract screen drawn")
    assert notifier.ping()
    assert server.recv(256) == b"READY=1\nSTATUS=attract screen drawn"
    assert server.recv(256) == b"WATCHDOG=1"


def test_abstract_namespace_address() -> None:
    name = f"kiosk-test-{id(object())}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(2)
    assert Notifier("@" + name).ping()
    assert server.recv(64) == b"WATCHDOG=1"


def test_outside_systemd_does_nothing(monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled and not notifier.ping()


def test_watchdog_interval_is_half_of_watchdog_sec(monkeypatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert Notifier("x").watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert Notifier("x").watchdog_interval_s() is None, "the watchdog belongs to another process"


def test_gone_systemd_is_not_an_error(tmp_path: Path) -> None:
    assert not Notifier(str(tmp_path / "missing")).ping()

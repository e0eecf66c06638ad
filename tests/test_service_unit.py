"""kiosk.service: systemd accepts it, and its sandbox scores "OK" or better."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "kiosk.service"


def settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.fixture
def checkable_unit(tmp_path: Path) -> Path:
    """The unit with ExecStart pointed at /bin/true: verify checks that the
    program exists, and cage and /opt/kiosk are not on a test machine."""
    text = re.sub(r"(?m)^ExecStart=.*$", "ExecStart=/bin/true", UNIT.read_text())
    path = tmp_path / "kiosk.service"
    path.write_text(text)
    return path


def test_unit_runs_the_kiosk_under_cage_as_notify_with_watchdog() -> None:
    unit = settings()
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["all"], "the app is cage's child, not the main process"
    assert "kiosk run" in unit["ExecStart"][0] and unit["ExecStart"][0].startswith("/usr/bin/cage")
    assert int(unit["WatchdogSec"][0]) > 0
    assert unit["Restart"] == ["always"]
    assert unit["User"] == ["kiosk"]
    for key in ("ProtectSystem", "PrivateTmp", "NoNewPrivileges"):
        assert key in unit
    assert unit["ProtectSystem"] == ["strict"]
    assert "/var/lib/kiosk" in unit["ReadWritePaths"]


def test_cage_has_a_writable_runtime_dir_under_protect_system_strict() -> None:
    """ProtectSystem=strict leaves /run read-only; cage's Wayland socket needs $XDG_RUNTIME_DIR writable."""
    unit = settings()
    assert unit["ProtectSystem"] == ["strict"]
    # systemd creates it owner-only for User=, writable even under strict, and removes it on stop.
    assert unit["RuntimeDirectory"] == ["kiosk"] and unit["RuntimeDirectoryMode"] == ["0700"]
    env = dict(item.split("=", 1) for value in unit["Environment"] for item in shlex.split(value))
    assert env["XDG_RUNTIME_DIR"] == "/run/kiosk"
    # pam_systemd (PAMName=login) replaces that value with logind's /run/user/<uid>: writable too.
    writable = [path.lstrip("-") for value in unit["ReadWritePaths"] for path in value.split()]
    assert "/run/user" in writable and "/var/lib/kiosk" in writable


def test_systemd_analyze_verify_passes(checkable_unit: Path) -> None:
    assert shutil.which("systemd-analyze"), "make test installs systemd"
    result = subprocess.run(
        ["systemd-analyze", "verify", str(checkable_unit)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "kiosk.service" not in result.stderr, result.stderr


def test_security_exposure_is_ok_or_better(checkable_unit: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(checkable_unit)],
        capture_output=True, text=True, check=False,
    )
    match = re.search(r"Overall exposure level for kiosk.service: ([\d.]+) (\w+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    score, verdict = float(match.group(1)), match.group(2)
    assert verdict in ("OK", "SAFE") and score < 5.0, f"{score} {verdict}"

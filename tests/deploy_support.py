"""Helpers for the deployment tests: a local wheelhouse, source trees of other versions, installs.

The installer is run for real (venv, wheel build, pip install, migrate,
smoke test) into a DESTDIR. pip takes the dependencies from a wheelhouse
built once per test run (PIP_NO_INDEX + PIP_FIND_LINKS, pip's own
variables, exactly as a site without internet would install), so an install
takes seconds and every later one needs no network.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INSTALL = REPO / "deploy" / "install.sh"
UNINSTALL = REPO / "deploy" / "uninstall.sh"
# What install.sh reads from a source tree.
TREE = ("pyproject.toml", "README.md", "LICENSE", "kiosk.example.toml", "kiosk.service", "kiosk", "screens",
        "devices", "offline_queue", "deploy", "docs/deploying.md")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers wait for the first one's build
        yield


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run sees: the parent of the workers' basetemps."""
    return tmp_path_factory.getbasetemp().parent


def build_wheelhouse(target: Path) -> Path:
    """Wheels of every runtime dependency plus the build backend, made once and shared by workers."""
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / (target.name + ".lock")):
        if (target / ".complete").exists():
            return target
        project = tomllib.loads((REPO / "pyproject.toml").read_text())
        requires = project["project"]["dependencies"] + project["build-system"]["requires"]
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "-w", str(target),
             *requires], capture_output=True, text=True, check=False, timeout=600)
        if result.returncode != 0:
            pytest.fail("could not build the wheelhouse for the install tests (pip needs the index "
                        f"once, as `make venv` did):\n{result.stderr[-2000:]}")
        (target / ".complete").touch()
    return target


def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("KIOSK_TEST_WHEELHOUSE")
    if given:
        return Path(given)
    return build_wheelhouse(shared_dir(tmp_path_factory) / "kiosk-wheelhouse")


def shared_install(tmp_path_factory: pytest.TempPathFactory, name: str,
                   version: str | None = None) -> Path:
    """A real install of the project (as ``version``) made once per run for every worker.

    Tests never change it: they work on `copy_install` copies. Each user
    registers; the last worker to finish removes the installs (180 MB each).
    """
    shared = shared_dir(tmp_path_factory)
    dest = shared / f"kiosk-install-{name}"
    wheels = wheelhouse(tmp_path_factory)
    # Registered before building: the last worker's clean-up never removes
    # an install another worker is still making or using.
    with _locked(shared / "kiosk-install-users.lock"):
        users = shared / "kiosk-install-users"
        users.mkdir(exist_ok=True)
        (users / _worker()).touch()
    with _locked(shared / f"kiosk-install-{name}.lock"):
        if not (dest / ".complete").exists():
            shutil.rmtree(dest, ignore_errors=True)
            source = source_tree(shared / f"kiosk-src-{name}", version)
            dest.mkdir()
            run_install(source, dest, wheels)
            (dest / ".complete").touch()
    return dest


def release_shared_installs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """At a worker's end: the last registered user removes the shared installs."""
    shared = shared_dir(tmp_path_factory)
    users = shared / "kiosk-install-users"
    if not (users / _worker()).exists():
        return
    with _locked(shared / "kiosk-install-users.lock"):
        (users / _worker()).unlink()
        if not any(users.iterdir()):
            for path in shared.glob("kiosk-install-*"):
                if path.is_dir() and path != users:
                    shutil.rmtree(path, ignore_errors=True)
            for path in shared.glob("kiosk-src-*"):
                shutil.rmtree(path, ignore_errors=True)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def source_tree(target: Path, version: str | None = None) -> Path:
    """A copy of the project's installable files, optionally as another version."""
    for name in TREE:
        source = REPO / name
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
        elif source.exists():
            shutil.copy2(source, dest)
    if version:
        init = target / "kiosk" / "__init__.py"
        init.write_text(_set_version(init.read_text(), version))
    return target


def _set_version(text: str, version: str) -> str:
    lines = [f'__version__ = "{version}"' if line.startswith("__version__ = ") else line
             for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def install_env(destdir: Path, wheels: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(DESTDIR=str(destdir), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels),
               # Byte-compiling 180 MB of packages is most of an install's time; a
               # kiosk gets it (pip's default), the tests do not need it.
               PIP_NO_COMPILE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    env.pop("KIOSK_CONFIG", None)
    return env


def run_install(source: Path, destdir: Path, wheels: Path, check: bool = True,
                **extra: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["bash", str(source / "deploy" / "install.sh")],
                            env=install_env(destdir, wheels, **extra), capture_output=True, text=True,
                            check=False, timeout=300, cwd="/")
    if check and result.returncode != 0:
        pytest.fail(f"install.sh failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                    f"{result.stderr[-3000:]}")
    return result


def run_uninstall(destdir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PURGE", "FORCE")}
    env.update(DESTDIR=str(destdir), **extra)
    return subprocess.run(["bash", str(UNINSTALL)], env=env, capture_output=True, text=True, check=False,
                          timeout=60)


def manifest(destdir: Path) -> tuple[dict[str, str], dict[str, tuple[str, str, str, str]]]:
    """(header fields, {path: (type, mode or link target, owner, group)}) from the install manifest."""
    header: dict[str, str] = {}
    rows: dict[str, tuple[str, str, str, str]] = {}
    for line in (destdir / "opt/kiosk/install-manifest.tsv").read_text().splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition("\t")
            header[key] = value
        elif line:
            path, kind, mode, owner, group = line.split("\t")
            rows[path] = (kind, mode, owner, group)
    return header, rows


def current_release(destdir: Path) -> str:
    return os.readlink(destdir / "opt/kiosk/current").removeprefix("releases/")


def copy_install(source: Path, target: Path) -> Path:
    """A copy of an installed DESTDIR tree whose releases' venvs are links to the originals.

    A venv is 180 MB and names its own path in its scripts anyway; what the
    tests change (links, config, storage, new releases) is all outside it.
    """
    shutil.copytree(source, target, symlinks=True, ignore=lambda d, names: (
        ["venv"] if Path(d).parent.name == "releases" else []))
    for release in (source / "opt/kiosk/releases").iterdir():
        (target / "opt/kiosk/releases" / release.name / "venv").symlink_to(release / "venv")
    return target


# A systemctl stand-in for the upgrade tests (install.sh's SYSTEMCTL): it
# logs each call with the release `current` points at, and kiosk.service
# "runs" whatever release that is. FAIL_RELEASE names releases (a prefix)
# that fail: "start" makes start return an error, as a crash before READY
# does; "loop" starts, then is restarted by systemd (NRestarts climbs).
FAKE_SYSTEMCTL = r"""#!/usr/bin/env bash
state=${FAKE_SYSTEMD_STATE:?}
current=$(readlink "$DESTDIR/opt/kiosk/current")
echo "$* @${current#releases/}" >> "$state/calls"
failing() { [ -n "$FAIL_RELEASE" ] && [[ "${current#releases/}" == "$FAIL_RELEASE"* ]]; }
case "$1" in
    is-active) [ -e "$state/active" ] ;;
    stop) rm -f "$state/active" ;;
    start)
        if failing && [ "$FAIL_MODE" = start ]; then exit 1; fi
        touch "$state/active"; echo 0 > "$state/restarts" ;;
    show)
        if failing && [ "$FAIL_MODE" = loop ]; then
            echo $(( $(cat "$state/restarts") + 1 )) > "$state/restarts"
        fi
        cat "$state/restarts" ;;
    *) exit 0 ;;
esac
"""


def fake_systemd(folder: Path, fail_release: str = "", fail_mode: str = "start") -> dict[str, str]:
    """install.sh variables for a "running" kiosk.service under the stand-in above."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "systemctl"
    script.write_text(FAKE_SYSTEMCTL)
    script.chmod(0o755)
    (folder / "active").touch()
    (folder / "restarts").write_text("0\n")
    return {"SYSTEMCTL": str(script), "FAKE_SYSTEMD_STATE": str(folder), "FAIL_RELEASE": fail_release,
            "FAIL_MODE": fail_mode, "HEALTH_WAIT": "1"}


def systemctl_calls(folder: Path) -> list[str]:
    return (folder / "calls").read_text().splitlines()

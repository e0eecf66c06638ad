"""Helpers for the deployment tests: a local wheelhouse, source trees of other versions, installs.

The installer is run for real (venv, wheel build, pip install, migrate,
smoke test) into a DESTDIR. pip takes the dependencies from a wheelhouse
built once per test run (PIP_NO_INDEX + PIP_FIND_LINKS, pip's own
variables, exactly as a site without internet would install), so an install
takes seconds and every later one needs no network.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
INSTALL = REPO / "deploy" / "install.sh"
UNINSTALL = REPO / "deploy" / "uninstall.sh"
# What install.sh reads from a source tree.
TREE = ("pyproject.toml", "README.md", "kiosk.example.toml", "kiosk.service", "kiosk", "screens",
        "devices", "offline_queue", "deploy", "docs/deploying.md")


def build_wheelhouse(target: Path) -> Path:
    """Wheels of every runtime dependency plus the build backend, made once and shared by workers."""
    done = target / ".complete"
    target.mkdir(parents=True, exist_ok=True)
    with open(target.parent / (target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers wait for the first one's build
        if done.exists():
            return target
        project = tomllib.loads((REPO / "pyproject.toml").read_text())
        requires = project["project"]["dependencies"] + project["build-system"]["requires"]
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "-w", str(target),
             *requires], capture_output=True, text=True, check=False, timeout=600)
        if result.returncode != 0:
            pytest.fail("could not build the wheelhouse for the install tests (pip needs the index "
                        f"once, as `make venv` did):\n{result.stderr[-2000:]}")
        done.touch()
    return target


def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("KIOSK_TEST_WHEELHOUSE")
    if given:
        return Path(given)
    # The parent of a worker's basetemp is shared by every xdist worker of this run.
    shared = tmp_path_factory.getbasetemp().parent
    return build_wheelhouse(shared / "kiosk-wheelhouse")


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
    """A copy of an installed DESTDIR tree (symlinks kept as they are)."""
    shutil.copytree(source, target, symlinks=True)
    return target

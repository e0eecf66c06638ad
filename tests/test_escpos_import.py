"""Importing the printer module leaves no folder in /tmp (python-escpos made one per import).

Each import runs in a child process with TMPDIR pointed at an empty folder,
as a kiosk start does against /tmp.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = ("import devices.printer, tempfile\n"
         "from escpos.capabilities import get_profile\n"
         "assert tempfile.mkdtemp.__module__ == 'tempfile'  # given back after the import\n"
         "print(get_profile('default').profile_data['name'])\n")


def _import_printer(tmp: Path, **env: str) -> str:
    run = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=False,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp), **env})
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def test_two_starts_leave_no_folder_and_the_profiles_load(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    assert _import_printer(tmp) == "Default"
    assert _import_printer(tmp) == "Default"
    assert list(tmp.iterdir()) == []


def test_an_operators_cache_folder_is_left_to_escpos(tmp_path: Path) -> None:
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    cache.mkdir()
    env = {"ESCPOS_CAPABILITIES_PICKLE_DIR": str(cache)}
    assert _import_printer(tmp, **env) == "Default"
    assert [p.name.endswith(".capabilities.pickle") for p in cache.iterdir()] == [True]

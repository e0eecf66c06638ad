"""Make every fsync slower, to see the queue bench's ratios on a disk like a kiosk's.

This machine's virtual disk syncs in ~0.25 ms, about what Python spends on
one take-and-acknowledge, so there a ratio to "raw fsync" mostly compares
CPU with CPU. A kiosk's eMMC or SD card takes milliseconds per sync. An
LD_PRELOAD shim that waits ``FSYNC_EXTRA_US`` before each fsync/fdatasync
(then calls the real one) slows every sync of the process and its children
alike: the raw rate, SQLite's commits, persist-queue and huey.

    .venv/bin/python bench/queue_bench.py --fsync-extra-us 2000

Needs gcc (in the Makefile's APT_PACKAGES: pyscard builds with it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENV = "FSYNC_EXTRA_US"
SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t extra(void) {
    const char *text = getenv("FSYNC_EXTRA_US");
    return text ? (useconds_t)atol(text) : 0;
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    usleep(extra());
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    usleep(extra());
    return real(fd);
}
"""


def build_shim() -> Path:
    """Compile the shim into a temporary folder; the path of the shared object."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise SystemExit("--fsync-extra-us needs gcc (Debian package gcc)")
    folder = Path(tempfile.mkdtemp(prefix="slow-fsync-"))
    source, shared = folder / "slow_fsync.c", folder / "slow_fsync.so"
    source.write_text(SHIM)
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(shared), str(source), "-ldl"],
                   check=True)
    return shared


def rerun_with_slow_fsync(extra_us: int, argv: list[str]) -> None:
    """Start this script again with the shim preloaded; does not return."""
    env = dict(os.environ, LD_PRELOAD=str(build_shim()), **{ENV: str(extra_us)})
    os.execve(sys.executable, [sys.executable, *argv], env)


def extra_us() -> int:
    """The delay this process runs under (0: the disk as it is)."""
    return int(os.environ.get(ENV, "0")) if os.environ.get("LD_PRELOAD") else 0

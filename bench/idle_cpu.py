"""CPU the kiosk takes while it waits at the attract screen: `python bench/idle_cpu.py [--against REV]`.

A kiosk shows its attract screen most of the day, with the card sliding
into the reader; on software OpenGL every frame is drawn by the CPU, so
what one frame costs is heat, fan noise and the room left for the forwarder
and the card reader. This starts `kiosk demo` (simulated portal, virtual
card) on a virtual display of its own, waits until it has built its screens
ahead (`warming_up` false), and reads the window process's CPU time
(/proc/PID/stat) over ``--seconds``.

``--against REV`` runs the same demo from a git worktree of REV beside it,
at the same time, so both see the same machine load: the figure to compare
is the pair. Printed, not asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.memory_soak import wait_warm  # noqa: E402
from kiosk.automation import AutomationClient  # noqa: E402
from kiosk.xvfb import Xvfb  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process (not its children: pcscd, the virtual card)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def demo(tree: Path, workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], AutomationClient]]:
    """`kiosk demo` from ``tree`` on a display of its own, answering on an automation socket."""
    server = Xvfb()
    display = server.start()
    socket_path = workdir / "ui.sock"
    env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(tree))
    with open(workdir / "demo.log", "wb") as log:
        command = [sys.executable, "-m", "kiosk", "demo", "--automation-socket", str(socket_path)]
        proc = subprocess.Popen(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not socket_path.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the demo from {tree} did not start; see {workdir / 'demo.log'}")
            time.sleep(0.2)
        with AutomationClient(socket_path, timeout_s=60) as client:
            yield proc, client
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        server.stop()


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """REV checked out beside this one, its message catalogues compiled, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="idle-cpu-")) / "tree"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(path), rev], check=True)
    try:
        subprocess.run([sys.executable, "-m", "kiosk.i18n", "compile"], cwd=path, check=True,
                       stdout=subprocess.DEVNULL)
        yield path
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False)
        shutil.rmtree(path.parent, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long CPU time is read")
    parser.add_argument("--settle-s", type=float, default=10.0, help="pause after warm-up before reading")
    parser.add_argument("--against", metavar="REV", help="also run REV's demo beside it, at the same time")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        trees = [("this tree", REPO)]
        if args.against:
            trees.append((args.against, stack.enter_context(worktree(args.against))))
        running = []
        for name, tree in trees:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="idle-cpu-")))
            running.append((name, *stack.enter_context(demo(tree, workdir))))
        for _name, _proc, client in running:
            wait_warm(SimpleNamespace(state=lambda c=client: c.send({"cmd": "state"})), timeout_s=120)
        time.sleep(args.settle_s)
        before = [cpu_seconds(proc.pid) for _name, proc, _client in running]
        time.sleep(args.seconds)
        used = [cpu_seconds(proc.pid) - start for (_n, proc, _c), start in zip(running, before, strict=True)]
        for (name, _proc, _client), seconds in zip(running, used, strict=True):
            per_minute = seconds * 60 / args.seconds
            print(f"{name:>12}: {per_minute:5.1f} s of CPU a minute at the attract screen "
                  f"({100 * seconds / args.seconds:.0f} % of one core)")
        if len(used) == 2 and used[1] > 0:
            print(f"this tree takes {100 * (used[0] / used[1] - 1):+.0f} % CPU against {args.against}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

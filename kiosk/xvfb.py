"""A virtual X display, for the demo on a machine with no screen and for UI tests.

`Xvfb -displayfd` writes the display number it took once the server is
ready, so no fixed display number can clash with another test worker, and
no sleep is needed to wait for it (research/kivy-headless.md).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time


class XvfbError(RuntimeError):
    pass


class Xvfb:
    """One Xvfb server; ``display`` is ":N" once started."""

    def __init__(self, width: int = 1080, height: int = 1920, depth: int = 24) -> None:
        self.size = f"{width}x{height}x{depth}"
        self.display = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> str:
        if shutil.which("Xvfb") is None:
            raise XvfbError("Xvfb is not installed: apt-get install xvfb")
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_end), "-screen", "0", self.size, "-nolisten", "tcp",
                 "-noreset", "+extension", "GLX"],
                pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )
            os.close(write_end)
            write_end = -1
            deadline = time.monotonic() + timeout_s
            number = b""
            while not number.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
                    self.stop()
                    raise XvfbError("Xvfb did not report a display in time")
                chunk = os.read(read_end, 16)
                if not chunk:
                    self.stop()
                    raise XvfbError("Xvfb exited before it was ready")
                number += chunk
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)
        self.display = ":" + number.decode().strip()
        return self.display

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Xvfb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

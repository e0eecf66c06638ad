"""The transport half of the UI automation driver: a Unix socket, one JSON line each way.

Tests, the screenshot tour and `kiosk demo` drive the real window from
another process, the way a person would: they ask what is visible and tap
it. This module only moves lines; it never imports Kivy, so it can be
tested (and used as a client) without a display. The Kivy side supplies a
``handler`` and a ``call_soon`` that runs a function on its main thread,
because widgets may only be touched there.

Protocol: the client writes one JSON object per line; the server writes
exactly one JSON object per line back, in order. Anything wrong (bad JSON,
unknown command, a handler that raised, no answer in time) comes back as
``{"error": ...}``: the driver must never take the kiosk down.

The socket file is created owner-only (0600): whoever can connect can tap
the citizen's screen, so it is as private as the kiosk's own account.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.logs import event

log = logging.getLogger("kiosk.automation")

Reply = Callable[[dict[str, Any]], None]
# Called on the UI's main thread with the command and a reply function; it
# may reply later (a `wait` replies once the screen is drawn).
Handler = Callable[[dict[str, Any], Reply], None]
CallSoon = Callable[[Callable[[], None]], None]

MAX_LINE = 64 * 1024  # a command is small; a longer line is a broken or hostile client
DEFAULT_ANSWER_TIMEOUT_S = 10.0
MAX_EXTRA_TIMEOUT_S = 3600.0  # the longest "timeout_s" a command may add to the wait


def encode_answer(answer: Any) -> bytes:
    """One JSON line for an answer; never raises.

    A handler may echo what the client sent, including a lone surrogate
    (``"\\ud800"`` is valid JSON) that UTF-8 cannot carry: then the line is
    written with ASCII escapes. An answer that is not JSON at all becomes
    an ``internal`` error rather than a dead connection.
    """
    try:
        try:
            text = json.dumps(answer, ensure_ascii=False)
            return text.encode() + b"\n"
        except UnicodeEncodeError:
            return json.dumps(answer).encode() + b"\n"
    except (TypeError, ValueError, RecursionError) as exc:
        return json.dumps({"error": "internal", "detail": f"answer is not JSON: {type(exc).__name__}"}
                          ).encode() + b"\n"


class AutomationServer:
    """Listens on ``path``; each command is handed to ``handler`` through ``call_soon``."""

    def __init__(self, path: str | os.PathLike[str], handler: Handler, call_soon: CallSoon) -> None:
        self.path = Path(path)
        self._handler = handler
        self._call_soon = call_soon
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._remove_stale_socket()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # umask rather than chmod after bind: there is no moment at which
        # another user could connect to a wider socket file.
        old_umask = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        sock.listen(4)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept_loop, name="automation", daemon=True)
        self._thread.start()
        event(log, "automation socket listening", path=str(self.path))

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _remove_stale_socket(self) -> None:
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            # Never delete a regular file someone pointed us at by mistake.
            raise FileExistsError(f"{self.path} exists and is not a socket")
        self.path.unlink()

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed by stop()
            threading.Thread(target=self._serve, args=(conn,), name="automation-conn",
                             daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            while not self._stopping.is_set():
                line = reader.readline(MAX_LINE + 1)
                if not line:
                    return
                answer = self.answer(line)
                try:
                    conn.sendall(encode_answer(answer))
                except OSError:
                    return

    def answer(self, line: bytes) -> dict[str, Any]:
        """One line in, one answer out; never raises."""
        if len(line) > MAX_LINE:
            return {"error": "line_too_long", "max_bytes": MAX_LINE}
        try:
            command = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            return {"error": "malformed", "detail": f"not a JSON line: {exc}"}
        except RecursionError:  # "[[[[..." nested deeper than the JSON decoder goes
            return {"error": "malformed", "detail": "not a JSON line: nested too deeply"}
        if not isinstance(command, dict) or not isinstance(command.get("cmd"), str):
            return {"error": "malformed", "detail": 'expected an object with a "cmd" string'}
        return self._dispatch(command)

    def _dispatch(self, command: dict[str, Any]) -> dict[str, Any]:
        done = threading.Event()
        box: dict[str, Any] = {}

        def reply(answer: dict[str, Any]) -> None:
            if not done.is_set():
                box["answer"] = answer
                done.set()

        def run() -> None:
            try:
                self._handler(command, reply)
            except Exception as exc:  # a driver bug must answer, not kill the UI
                log.exception("automation command failed")
                reply({"error": "internal", "detail": f"{type(exc).__name__}: {exc}"})

        # A `wait` may legitimately take its own timeout; give it a margin.
        timeout = DEFAULT_ANSWER_TIMEOUT_S
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            extra = float(command.get("timeout_s", 0) or 0)
            # Event.wait overflows on 1e308 and returns at once on NaN: keep it sane.
            if math.isfinite(extra):
                timeout += min(max(extra, 0.0), MAX_EXTRA_TIMEOUT_S)
        self._call_soon(run)
        if not done.wait(timeout):
            return {"error": "no_answer", "detail": f"the UI did not answer within {timeout:.0f} s"}
        return box["answer"]


class AutomationClient:
    """The other end, for tests and tools: ``send({"cmd": "state"})`` -> the answer."""

    def __init__(self, path: str | os.PathLike[str], timeout_s: float = 30.0) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout_s)
        self._sock.connect(str(path))
        self._reader = self._sock.makefile("rb")

    def send_raw(self, line: bytes) -> dict[str, Any]:
        self._sock.sendall(line if line.endswith(b"\n") else line + b"\n")
        answer = self._reader.readline()
        if not answer:
            raise ConnectionError("the kiosk closed the automation socket")
        return json.loads(answer)

    def send(self, command: dict[str, Any]) -> dict[str, Any]:
        return self.send_raw(json.dumps(command, ensure_ascii=False).encode())

    def close(self) -> None:
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> AutomationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""A NOTIFY_SOCKET owned by a test: what systemd would hear from a kiosk started under it.

systemd cannot run inside the tests, but its side of sd_notify is only a
datagram socket: bind one (in the abstract namespace, so no file is left
behind), hand its address to the kiosk as NOTIFY_SOCKET with WATCHDOG_USEC,
and record every message with the time it arrived.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time


class NotifySocket:
    def __init__(self) -> None:
        self.address = f"@kiosk-test-notify-{secrets.token_hex(6)}"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind("\0" + self.address[1:])
        self._socket.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="notify-socket", daemon=True)
        self._thread.start()

    def env(self, watchdog_s: float) -> dict[str, str]:
        """The variables systemd sets for a Type=notify service with WatchdogSec=``watchdog_s``."""
        return {"NOTIFY_SOCKET": self.address, "WATCHDOG_USEC": str(int(watchdog_s * 1_000_000))}

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._socket.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._changed:
                self.messages.append((time.monotonic(), data.decode()))
                self._changed.notify_all()

    def first(self, field: str, since: float = 0.0) -> tuple[float, str] | None:
        """The first message holding the line ``field`` (e.g. "READY=1") after ``since``."""
        with self._changed:
            return next(((when, text) for when, text in self.messages
                         if when >= since and field in text.splitlines()), None)

    def wait_for(self, field: str, timeout_s: float, since: float = 0.0) -> tuple[float, str] | None:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while (found := self.first(field, since)) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return found

    def count(self, field: str, since: float = 0.0, until: float = float("inf")) -> int:
        with self._changed:
            return sum(1 for when, text in self.messages
                       if since <= when <= until and field in text.splitlines())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()

    def __enter__(self) -> NotifySocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

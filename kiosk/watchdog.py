"""systemd notifications: READY=1 once the first screen is drawn, then WATCHDOG=1.

`kiosk.service` is Type=notify with WatchdogSec=: systemd restarts the kiosk
when the pings stop, so the ping must come from the UI's main loop, not from
a helper thread that would keep pinging over a frozen screen. Speaks the
sd_notify datagram protocol directly (no libsystemd binding needed); outside
systemd, NOTIFY_SOCKET is unset and every call does nothing.
"""

from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self._socket: socket.socket | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def watchdog_interval_s(self) -> float | None:
        """Half of WatchdogSec (systemd's advice), or None when no watchdog is set.

        systemd sets WATCHDOG_PID to the service's main process, which in
        kiosk.service is cage, the kiosk's parent: so the parent's PID counts
        as ours too (NotifyAccess=all lets the child's pings through). A
        grandchild still sees a PID that is not its parent's, and stays quiet.
        """
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        if not usec or (pid and pid not in (str(os.getpid()), str(os.getppid()))):
            return None
        try:
            return int(usec) / 1_000_000 / 2
        except ValueError:
            return None

    def notify(self, message: str) -> bool:
        if not self.address:
            return False
        # A leading @ names a socket in the abstract namespace.
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._socket.sendto(message.encode(), target)
            return True
        except OSError:
            return False  # systemd gone or restarting: nothing a kiosk can do about it

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def ping(self) -> bool:
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

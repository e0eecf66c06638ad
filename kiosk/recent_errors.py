"""The last warnings and errors, kept in memory for the maintenance screen.

A technician at the kiosk has no journalctl; the last few warnings on the
status screen usually say what is wrong (printer offline, portal refusing).
"""

from __future__ import annotations

import collections
import logging
import time

from kiosk.logs import redact


class RecentErrors(logging.Handler):
    """The last WARNING+ log lines, redacted, for the status report.

    A technician at the kiosk has no journalctl; the last few warnings on
    the screen usually say what is wrong. Messages go through `redact` (a
    second fence: nothing personal should be logged in the first place).
    """

    def __init__(self, capacity: int = 20) -> None:
        super().__init__(level=logging.WARNING)
        self.records: collections.deque[dict[str, str]] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = redact(record.getMessage())[:300]
            fields = getattr(record, "fields", None) or {}
            if fields:
                message += " " + " ".join(f"{k}={redact(str(v))[:80]}" for k, v in fields.items())
            self.records.append({"time": time.strftime("%H:%M:%S", time.localtime(record.created)),
                                 "level": record.levelname.lower(), "logger": record.name,
                                 "message": message})
        except Exception:  # a logging handler must never raise into the code that logged
            self.handleError(record)

    def recent(self) -> list[dict[str, str]]:
        return list(self.records)

    @classmethod
    def install(cls, capacity: int = 20) -> RecentErrors:
        """The one instance on the root logger (installing twice returns the first)."""
        root = logging.getLogger()
        for handler in root.handlers:
            if isinstance(handler, cls):
                return handler
        handler = cls(capacity)
        root.addHandler(handler)
        return handler

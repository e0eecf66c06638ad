"""Structured log lines on stdout, for journald.

One line per event, ``key=value`` pairs after the message, so a technician
can grep and a fleet tool can parse. Personal data and the PIN are never
passed to a logger in the first place; `redact` is a second fence for
values that come from outside (portal answers, card data) and might carry
them.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

# An 11-digit run is a Georgian personal number until proven otherwise.
_PERSONAL_NUMBER = re.compile(r"(?<!\d)\d{11}(?!\d)")


def redact(text: str) -> str:
    return _PERSONAL_NUMBER.sub(lambda m: m.group(0)[:3] + "********", text)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        parts = [f"level={record.levelname.lower()}", f"logger={record.name}",
                 f"msg={_quote(redact(record.getMessage()))}"]
        parts += [f"{key}={_quote(redact(str(value)))}" for key, value in fields.items()]
        if record.exc_info:
            parts.append(f"exc={_quote(redact(self.formatException(record.exc_info)))}")
        return " ".join(parts)


def _quote(value: str) -> str:
    if value and not re.search(r'[\s"=]', value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _QuietThirdParty(logging.Filter):
    """Drops INFO chatter that libraries send through the root logger.

    python-escpos logs "Network printer enabled" on every status poll; at one
    poll every few seconds that would bury the kiosk's own lines in journald.
    Their warnings and errors still pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "root" and record.levelno < logging.WARNING)


_emitting = threading.local()


class _CurrentStreamHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout or sys.stderr is at the moment of the line.

    Threads (the card reader, the forwarder) outlive the stream that was
    current when logging was set up: a test's captured stream, or a stream
    a supervisor replaced. Looking it up per line never writes to a closed one.
    Kivy replaces sys.stderr with a stream that logs what it is given; a line
    that comes back that way is written to the process's real stream instead
    of going round again.
    """

    def __init__(self, to_stdout: bool) -> None:
        self._to_stdout = to_stdout
        super().__init__()

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201 - the logging module's own attribute
        if getattr(_emitting, "depth", 0) > 1:  # a line that came back through a redirect
            return sys.__stdout__ if self._to_stdout else sys.__stderr__
        return sys.stdout if self._to_stdout else sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass  # StreamHandler.__init__ assigns it; the property decides

    def emit(self, record: logging.LogRecord) -> None:
        _emitting.depth = getattr(_emitting, "depth", 0) + 1
        try:
            super().emit(record)
        finally:
            _emitting.depth -= 1


def setup_logging(verbose: bool = False, to_stdout: bool = False) -> None:
    """Structured lines to stdout for the long-running kiosk (journald), else to
    stderr, so that a command's own output (`doctor --json`) stays parseable."""
    root = logging.getLogger()
    drop_foreign_handlers()
    if root.handlers:
        return
    handler = _CurrentStreamHandler(to_stdout)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(_QuietThirdParty())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def event(logger: logging.Logger, message: str, **fields: object) -> None:
    """Log ``message`` with structured fields (never personal data)."""
    logger.info(message, extra={"fields": fields})


def drop_foreign_handlers() -> None:
    """Remove root handlers that libraries added at import (python-escpos calls
    logging.basicConfig()), so every line reaches journald once, in our format."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not isinstance(handler.formatter, KeyValueFormatter):
            root.removeHandler(handler)

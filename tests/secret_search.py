"""Is a PIN in this text? A search that a time stamp or a duration cannot fool.

A plain `"4711" in text` fails a test now and then for nothing: a log line's
``elapsed_ms=14711.2`` or a lockout file's ``"locked_at": 1795583743.5747116``
holds the digits. A PIN that leaked is written on its own (``pin=4711``,
``"4711"``, ``PIN 4711.``), so the digits count only when no digit, and no
decimal point, sits against them.
"""

from __future__ import annotations

import re


def holds_secret(data: bytes | str, secret: str) -> bool:
    """True when `secret` appears as a token of its own, not inside a longer number."""
    raw = data.encode() if isinstance(data, str) else data
    pattern = rb"(?<![0-9.])" + re.escape(secret.encode()) + rb"(?![0-9]|\.[0-9])"
    return re.search(pattern, raw) is not None

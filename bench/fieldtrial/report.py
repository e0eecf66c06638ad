"""The field trial's checks on files and its printed table.

PINs are searched for as whole tokens (not inside a longer number), in
every byte of the kiosk's logs and storage, so a PIN that slipped into a
log line, a database row or a crash report is found whatever the encoding
around it; a hit is reported with its context, the PIN itself masked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def wrong_pin(pin: str) -> str:
    return "".join(str((int(c) + 1) % 10) for c in pin)


def find_secrets(files: list[Path], secrets: set[str]) -> list[dict[str, str]]:
    """Every place a secret appears as a whole token (not inside a longer number)."""
    hits = []
    patterns = {s: re.compile(rb"(?<![0-9A-Za-z])" + re.escape(s.encode()) + rb"(?![0-9])")
                for s in secrets}
    for path in files:
        data = path.read_bytes()
        for secret, pattern in patterns.items():
            for match in pattern.finditer(data):
                context = data[max(0, match.start() - 40):match.end() + 20]
                hits.append({"file": str(path), "secret": "*" * len(secret),
                             "context": context.decode("utf-8", "replace").replace(secret, "####")})
    return hits


COLUMNS = (("citizens", "citizens"), ("submissions accepted", "submissions_accepted"),
           ("delivered exactly once", "delivered_exactly_once"), ("lost", "lost"),
           ("duplicated", "duplicated"), ("receipts missing", "receipts_missing"),
           ("leaks", "leaks"), ("PIN found", "pin_found"), ("kills", "kills"))


def table(result: dict[str, Any]) -> str:
    def mb(value: Any) -> str:
        return f"{value:.1f}" if isinstance(value, (int, float)) else "?"

    heads = [h for h, _ in COLUMNS] + ["restarts", "RSS start/end (MB)", "wall time"]
    cells = [str(result[k]) for _, k in COLUMNS] + [
        str(result["restarts"]), f"{mb(result['rss_start_mb'])} / {mb(result['rss_end_mb'])}",
        f"{result['wall_s'] / 60:.1f} min"]
    return "\n".join(["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads),
                      "| " + " | ".join(cells) + " |"])

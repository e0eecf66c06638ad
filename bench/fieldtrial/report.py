"""The field trial's checks on files and its printed table.

PINs are searched for as whole tokens (not inside a longer number), in
every byte of the kiosk's logs and storage, so a PIN that slipped into a
log line, a database row or a crash report is found whatever the encoding
around it; a hit is reported with its context, the PIN itself masked.

The one four-digit token the kiosk writes everywhere is the counter at the
end of a local reference (KT-2611-0456): the 1,000-citizen run found 23
"PINs" there, all wrong-PIN variants equal to a reference's counter. Those
positions are skipped, and wrong PINs now use the PIN alphabet (no 0 or 1)
so they cannot equal a counter below 2222 anyway.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

PIN_DIGITS = "23456789"  # bench/fieldtrial/stand.py draws PINs from these
# What precedes the counter of a local reference: prefix, hyphen, YYMM, hyphen.
_LOCAL_REF_HEAD = re.compile(rb"[A-Z0-9]{2,8}-[0-9]{4}-\Z")


def wrong_pin(pin: str) -> str:
    """Every digit one further along the PIN alphabet: wrong, and still no 0 or 1."""
    return "".join(PIN_DIGITS[(PIN_DIGITS.index(c) + 1) % len(PIN_DIGITS)] for c in pin)


def find_secrets(files: list[Path], secrets: set[str]) -> list[dict[str, str]]:
    """Every place a secret appears as a whole token (not inside a longer number)."""
    hits = []
    patterns = {s: re.compile(rb"(?<![0-9A-Za-z])" + re.escape(s.encode()) + rb"(?![0-9])")
                for s in secrets}
    for path in files:
        data = path.read_bytes()
        for secret, pattern in patterns.items():
            for match in pattern.finditer(data):
                if _LOCAL_REF_HEAD.search(data[max(0, match.start() - 16):match.start()]):
                    continue  # a reference's counter, not a PIN (see above)
                context = data[max(0, match.start() - 40):match.end() + 20]
                hits.append({"file": str(path), "secret": "*" * len(secret),
                             "context": context.decode("utf-8", "replace").replace(secret, "####")})
    return hits


def memory_growth(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    """How much the kiosk's resident memory grew after warm-up, read four ways.

    ``runs`` are the kiosk processes between kills, each with its at-rest
    RSS after the warm-up visits (``warm``), after its last visit (``end``)
    and every at-rest reading from the warm one on (``readings``: [visit
    number of the day, MB]). Two single readings differ by up to ~20 MB at
    the same level (a soak run's readings scatter 428-447 MB from visit to
    visit with no trend), so the largest end-minus-warm over 30+ runs says
    more about that scatter than about a leak. Alongside it: the median run;
    the largest growth of a straight line fitted to a run's readings; and the
    day's drift, the line through every reading of every run over the day.
    """
    raw = [r["end"] - r["warm"] for r in runs if r.get("warm") is not None and r.get("end") is not None]
    fitted = [_line_rise(r["readings"]) for r in runs if len(r.get("readings") or []) >= 3]
    day = [point for r in runs for point in r.get("readings") or []]
    return {"largest": max(raw, default=None),
            "median": statistics.median(raw) if raw else None,
            "largest_fitted": max(fitted, default=None),
            "day_drift": _line_rise(day) if len(day) >= 3 else None}


def _line_rise(points: list[list[float]]) -> float:
    """The rise of the least-squares line through (visit, MB) points, first visit to last."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if max(xs) == min(xs):
        return 0.0
    return statistics.linear_regression(xs, ys).slope * (max(xs) - min(xs))


COLUMNS = (("citizens", "citizens"), ("submissions accepted", "submissions_accepted"),
           ("delivered exactly once", "delivered_exactly_once"), ("lost", "lost"),
           ("duplicated", "duplicated"), ("receipts missing", "receipts_missing"),
           ("leaks", "leaks"), ("PIN found", "pin_found"), ("kills", "kills"))


_ERROR = re.compile(r"'error': '([a-z_]+)'")
_SCREEN = re.compile(r"'screen': '([a-z_]+)'")


def stuck_kinds(visits: list[dict[str, Any]]) -> dict[str, int]:
    """Stuck steps by what stuck, with the faults injected before their visit.

    "stuck" alone says a step did not go as scripted; the kind (a tap on a
    control that was not on screen, a screen that never came) and what hit
    the visit tell a kiosk's fault from a fault the trial caused on purpose.
    """
    kinds: dict[str, int] = {}
    for visit in visits:
        for note in visit.get("notes", []):
            if not note.startswith("stuck:"):
                continue
            text = note[len("stuck:"):]
            command, _, answer = text.partition(" -> ")
            if answer:
                error, screen = _ERROR.search(answer), _SCREEN.search(answer)
                text = (f"{command} -> {error.group(1) if error else answer[:40]}"
                        + (f" on {screen.group(1)}" if screen else ""))
            faults = visit.get("faults") or []
            key = text[:120] + (f" [{', '.join(faults)}]" if faults else "")
            kinds[key] = kinds.get(key, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: -item[1]))


def table(result: dict[str, Any]) -> str:
    def mb(value: Any) -> str:
        return f"{value:.1f}" if isinstance(value, (int, float)) else "?"

    # Memory growth: the largest of any kiosk run (between kills) from its 10th visit to its last.
    heads = [h for h, _ in COLUMNS] + ["restarts", "RSS start/end (MB)", "memory growth (MB)", "wall time"]
    cells = [str(result[k]) for _, k in COLUMNS] + [
        str(result["restarts"]), f"{mb(result['rss_start_mb'])} / {mb(result['rss_end_mb'])}",
        mb(result.get("rss_growth_after_warm_up_mb")), f"{result['wall_s'] / 60:.1f} min"]
    return "\n".join(["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads),
                      "| " + " | ".join(cells) + " |"])

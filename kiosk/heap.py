"""Hand the C heap a visit freed back to the system, so a kiosk's memory stays level all day.

Measured with `bench/memory_soak.py --trial` (40 field-trial visits, Kivy
under software OpenGL): the kiosk's resident memory kept rising ~30-45 MB
after its 10th visit although no Python object, widget, texture or
listener count grew. glibc keeps the pages of freed blocks mapped for
reuse, and a visit frees many (label textures, form widgets, vertex
buffers) in between blocks that stay; each new visit's allocations land
elsewhere and the heap only widens. `malloc_trim(0)` returns every whole
free page, also in the middle of the heap (glibc >= 2.8), at the cost of a
few milliseconds: done once a visit has been wiped and the attract screen
shows, nobody waits for it.

Large blocks (a label's pixels, a form's vertex arrays) are better served
by their own mappings, given back the moment they are freed: glibc does
that above its mmap threshold, but raises the threshold each time such a
block is freed (up to 32 MB), after which the same blocks fill the heap
instead. Setting the threshold once fixes it.

Only glibc has these calls; elsewhere both functions do nothing and say so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept fixed
TRIM_THRESHOLD_BYTES = 1024 * 1024


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_LIBC = _glibc()


def tune_allocator() -> bool:
    """Fix glibc's mmap and trim thresholds (see the module's docstring); True if it could."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and _LIBC.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


@dataclass(frozen=True)
class Released:
    """What one `release_freed_heap` did: resident memory before and after, and its cost."""

    rss_before_mb: float
    rss_after_mb: float
    took_ms: float


def resident_mb() -> float:
    """This process's resident memory (VmRSS), 0.0 where /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# EX_TEMPFAIL: "try again"; kiosk.service's Restart=always starts the kiosk again.
RESTART_EXIT_CODE = 75


def over_limit(released: Released | None, limit_mb: int) -> bool:
    """Whether the kiosk should restart now, between citizens (``limit_mb`` 0: never).

    A safety net, not a fix: no leak is known. Over 1,000 field-trial
    citizens in one process, with faults (README, 2026-12-06), resident
    memory settled over the first ~100 visits and then rose 1.4 MB over the
    next 900 (means of each hundred), single readings moving in a ~17 MB
    band with what the screens last built. But a kiosk runs for weeks,
    and a slow growth nobody has found would end with the kernel's OOM
    killer in the middle of somebody's visit. Asked only with the attract
    screen showing and only after freed heap went back, so the figure is what
    the kiosk really holds; a restart then costs nobody anything: the outbox
    and the receipt journal are on disk, and systemd starts the kiosk again
    in seconds.
    """
    return bool(limit_mb) and released is not None and released.rss_after_mb > limit_mb


def release_freed_heap() -> Released | None:
    """Collect cycles, then give every whole free heap page back; None without glibc."""
    if _LIBC is None:
        return None
    before = resident_mb()
    started = time.perf_counter()
    gc.collect()  # a wiped screen's widgets hold each other in cycles: free them first
    _LIBC.malloc_trim(0)
    took_ms = (time.perf_counter() - started) * 1000
    released = Released(before, resident_mb(), took_ms)
    log.debug("heap released: %.1f -> %.1f MB in %.0f ms", released.rss_before_mb,
              released.rss_after_mb, released.took_ms)
    return released

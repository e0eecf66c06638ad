"""kiosk/heap.py: freed C heap goes back to the system, and large blocks keep their own mappings.

Each check runs in a child Python so that this test process's own heap
(and whatever pytest left in it) does not move the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk import heap

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(heap._LIBC is None, reason="glibc's malloc_trim and mallopt only")


def run_child(body: str) -> dict:
    code = textwrap.dedent("""
        import ctypes, json, sys
        sys.path.insert(0, {repo!r})
        from kiosk import heap
        libc = heap._LIBC
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
    """).format(repo=str(REPO)) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_freed_blocks_between_live_ones_go_back_to_the_system() -> None:
    # A visit's pattern: many mid-sized blocks, most freed, a few left alive between them
    # (and one at the top of the heap), so glibc's own trimming at free() cannot help.
    figures = run_child("""
        blocks = [libc.malloc(32 * 1024) for _ in range(6000)]  # ~190 MB, under the mmap threshold
        for block in blocks:
            ctypes.memset(block, 1, 32 * 1024)  # resident, not only reserved
        for index, block in enumerate(blocks):
            if index % 64 and index != len(blocks) - 1:
                libc.free(block)
        freed = heap.resident_mb()
        released = heap.release_freed_heap()
        print(json.dumps({"freed": freed, "before": released.rss_before_mb,
                          "after": released.rss_after_mb, "took_ms": released.took_ms}))
    """)
    assert figures["before"] >= figures["freed"] - 5  # free() alone gave back next to nothing
    assert figures["before"] - figures["after"] > 120  # ~185 MB of it were free whole pages
    assert figures["took_ms"] < 5000  # it ran, and did not hang


def test_large_blocks_stay_in_their_own_mappings_after_one_is_freed() -> None:
    # Untuned, glibc raises its mmap threshold to the size of the first large block freed,
    # and the next blocks of that size come from the heap; tuned, they keep being mapped.
    body = """
        import ctypes
        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                "uordblks", "fordblks", "keepcost")]
        libc.mallinfo2.restype = MallInfo2
        tuned = heap.tune_allocator() if sys.argv[-1] == "tune" else False
        libc.free(libc.malloc(256 * 1024))
        mapped_before = libc.mallinfo2().hblks
        block = libc.malloc(256 * 1024)
        print(json.dumps({"tuned": tuned, "mapped_blocks": libc.mallinfo2().hblks - mapped_before}))
        libc.free(block)
    """
    untuned = run_child(body.replace('sys.argv[-1] == "tune"', "False"))
    tuned = run_child(body.replace('sys.argv[-1] == "tune"', "True"))
    assert untuned == {"tuned": False, "mapped_blocks": 0}
    assert tuned == {"tuned": True, "mapped_blocks": 1}


def test_over_limit_counts_what_is_held_after_the_freed_heap_went_back() -> None:
    held_after = heap.Released(rss_before_mb=1500.0, rss_after_mb=900.0, took_ms=5.0)
    assert heap.over_limit(held_after, 1024) is False  # over only before the release
    assert heap.over_limit(heap.Released(1500.0, 1100.0, 5.0), 1024) is True
    assert heap.over_limit(heap.Released(1500.0, 1100.0, 5.0), 0) is False  # 0: never
    assert heap.over_limit(None, 1024) is False  # no glibc: no figure, no restart

"""Import python-escpos without leaving a folder behind in /tmp at every start.

Imported, python-escpos caches its printer profiles as a pickle in
``ESCPOS_CAPABILITIES_PICKLE_DIR`` or, when that is not set, in a fresh
``mkdtemp()`` folder: a new one at every import, never read again and never
removed. A kiosk restarted daily, or between citizens above its memory limit,
would leave one in /tmp at each start (the test suite left 330 in one day).

A shared folder would let the cache be used, but escpos writes the pickle in
place: a second process importing meanwhile reads it half written, and a
kill during the write leaves a pickle every later start fails on. So the
folder stays per process, as escpos makes it; it is only removed once the
import is done. An operator who sets the variable keeps escpos's own way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


@contextmanager
def importing_escpos() -> Iterator[None]:
    """Around the first import of escpos: its ``mkdtemp()`` gets a folder removed after.

    ``tempfile.mkdtemp`` is swapped only while escpos imports (escpos binds the name
    then); the kiosk imports the printer module at start-up, before its threads.
    """
    if ENV in os.environ:
        yield
        return
    scratch = tempfile.mkdtemp(prefix="kiosk-escpos-")
    own_mkdtemp = tempfile.mkdtemp
    tempfile.mkdtemp = lambda *_args, **_kwargs: scratch  # type: ignore[assignment]
    try:
        yield
    finally:
        tempfile.mkdtemp = own_mkdtemp
        shutil.rmtree(scratch, ignore_errors=True)

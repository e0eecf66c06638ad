"""Shared test set-up. Parts register their own fixture plugins here."""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

# Kivy reads these at import: keep it out of ~/.kivy and away from pytest's argv
# in every worker, whichever test imports it first.
if "KIVY_HOME" not in os.environ:
    os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")
    # One per test process: a suite run left some 40 behind in /tmp.
    atexit.register(shutil.rmtree, os.environ["KIVY_HOME"], ignore_errors=True)
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

pytest_plugins: list[str] = [
    "tests.portal_fixtures",  # the portal simulator, client and contract check
    "tests.pcsc_fixtures",  # private pcscd + vpcd, virtual cards, card reader service
    "tests.xvfb",  # private Xvfb display and the kiosk window driven through its socket
    "tests.fuzz_profiles",  # hypothesis budgets of tests/test_fuzz_*.py (--hypothesis-profile=long)
]


@pytest.fixture(autouse=True)
def _root_log_handlers_restored_after_the_test() -> Iterator[None]:
    """Handlers a test left on the root logger are removed, and its level put back.

    A test that runs a command in-process (`kiosk.cli.main`) sets up the
    kiosk's logging; the first import of python-escpos calls
    `logging.basicConfig()`. Either handler, left in place, wrote the lines of
    later tests' background threads (card reader, printer, portal simulator)
    to the worker's stderr, into pytest's progress output. pytest's own
    capturing handlers are its to remove.
    """
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(level)

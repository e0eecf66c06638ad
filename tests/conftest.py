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


def _drop_root_handlers_but_pytests() -> None:
    import logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        if not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)


@pytest.fixture(autouse=True)
def _no_root_log_handlers_between_tests() -> Iterator[None]:
    """No test starts or ends with a root log handler of anyone but pytest, at its own level.

    A test that runs a command in-process (`kiosk.cli.main`) sets up the
    kiosk's logging; python-escpos calls `logging.basicConfig()` when first
    imported, here while pytest collects the printer tests. Either handler,
    left in place, wrote the lines of later tests' background threads (card
    reader, printer, portal simulator) to the worker's stderr, into pytest's
    progress output. pytest's own capturing handlers are its to remove.
    """
    import logging

    level = logging.getLogger().level
    _drop_root_handlers_but_pytests()
    yield
    _drop_root_handlers_but_pytests()
    logging.getLogger().setLevel(level)

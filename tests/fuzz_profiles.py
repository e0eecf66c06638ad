"""Hypothesis budgets for the fuzz tests (tests/test_fuzz_*.py).

`make test` runs each fuzz test with a small, fixed number of examples, drawn
the same way every run (derandomized), so the whole suite stays quick and a
run fails only because of the change under test. For a long hunt, either

    .venv/bin/python -m pytest tests/test_fuzz_*.py --hypothesis-profile=long
    KIOSK_FUZZ=long .venv/bin/python -m pytest tests/test_fuzz_*.py

and every fuzz test runs `LONG_FACTOR` times as many random examples, without
the per-test timeout. Run a hunt before a release; each crash it finds lands
with its fix and an explicit test or ``@example``. Only the
fuzz tests read this: the "long" profile is registered here but the other
tests' explicit ``@settings`` are left as they are.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

LONG_FACTOR = 50
LONG_PROFILE_EXAMPLES = 5000

settings.register_profile("long", max_examples=LONG_PROFILE_EXAMPLES, deadline=None)
# `make test` (and so CI) draws the same examples every run: a new crash must be
# found by a hunt and land with its fix, not fail whoever's change runs next.
# Explicit @settings on a test inherit this for the fields they leave alone.
settings.register_profile("repeatable", derandomize=True)
if os.environ.get("KIOSK_FUZZ") == "long":
    settings.load_profile("long")
else:
    settings.load_profile("repeatable")


def long_run() -> bool:
    """Whether this run asked for the long budget (profile ``long`` or KIOSK_FUZZ=long)."""
    return os.environ.get("KIOSK_FUZZ") == "long" or settings.default.max_examples >= LONG_PROFILE_EXAMPLES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a long run, the fuzz tests may take longer than pyproject's per-test timeout."""
    if long_run():
        for item in items:
            if item.fspath.basename.startswith("test_fuzz_"):
                item.add_marker(pytest.mark.timeout(0))


def fuzz(max_examples: int) -> settings:
    """Settings for one fuzz test: ``max_examples`` in `make test`, many more in a long run.

    No deadline (a first font load or a first TLS-free HTTP round trip is
    slow once) and no "too slow" health check for the same reason.
    """
    return settings(
        max_examples=max_examples * LONG_FACTOR if long_run() else max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture],
    )

"""The PIN search the tests rely on: found when written on its own, not inside a number."""

from __future__ import annotations

import pytest

from tests.secret_search import holds_secret


@pytest.mark.parametrize("text", ["pin=4711", '{"pin": "4711"}', "PIN 4711.", "4711", b"x 4711\n"])
def test_a_pin_written_on_its_own_is_found(text: str | bytes) -> None:
    assert holds_secret(text, "4711")


@pytest.mark.parametrize("text", [
    '{"locked_at": 1795583743.5747116}',  # the lockout file that failed CI on 2026-11-25
    "elapsed_ms=14711.2", "took 1.4711 s", "port=47110", "x 0.4711, y",
])
def test_digits_inside_a_longer_number_are_not_the_pin(text: str) -> None:
    assert not holds_secret(text, "4711")

"""The service screen's cache of built forms: bounded by what the kept forms cost, not by their number.

No window: `Lru` is plain Python (its module imports Kivy's clock only).
"""

from __future__ import annotations

import os

os.environ.setdefault("KIVY_NO_ARGS", "1")

from screens.services_cache import Lru, WarmUp  # noqa: E402


def sized(size: int) -> list[str]:
    """A stand-in for a built form: a list whose length is its cost (KB of textures)."""
    return ["widget"] * size


def test_kept_forms_fit_the_budget_least_recently_used_dropped_first() -> None:
    built: list[str] = []
    forms: Lru[list[str]] = Lru(100, cost=len)

    def get(key: str, size: int) -> list[str]:
        return forms.get(key, lambda: built.append(key) or sized(size))

    get("small", 10)
    get("large", 60)
    get("medium", 25)
    assert forms.total == 95 and forms.full()  # another of the average 31.7 would not fit
    get("small", 10)  # used again: now the most recent, and not built again
    assert built == ["small", "large", "medium"]
    get("another", 30)  # 125 > 100: the least recently used ("large") goes, not the oldest built
    assert "large" not in forms and "small" in forms and "medium" in forms
    assert forms.total == 65 and len(forms) == 3 and not forms.full()  # 65 + 21.7 fits
    get("large", 60)  # back, built again; 125 > 100: "medium" (25) then nothing more
    assert built[-1] == "large" and "medium" not in forms
    assert forms.total == 100 and forms.full()


def test_twelve_small_forms_or_three_large_ones_cost_the_same() -> None:
    """The old bound (twelve forms) let memory follow which forms were kept; this one does not."""
    small: Lru[list[str]] = Lru(120, cost=len)
    large: Lru[list[str]] = Lru(120, cost=len)
    for n in range(30):
        small.get(("small", n), lambda: sized(10))
        large.get(("large", n), lambda: sized(40))
    assert small.total == large.total == 120
    assert (len(small), len(large)) == (12, 3)


def test_a_form_costlier_than_the_whole_budget_is_still_kept_alone() -> None:
    forms: Lru[list[str]] = Lru(50, cost=len)
    forms.get("a", lambda: sized(20))
    forms.get("huge", lambda: sized(80))
    assert list(forms.values()) == [sized(80)] and forms.total == 80


def test_a_form_measured_again_makes_room_for_its_real_cost() -> None:
    """A form's textures exist once it is drawn: built, it looks cheap; measured after, it may not be."""
    forms: Lru[list[str]] = Lru(100, cost=len)
    for key in ("a", "b", "c"):
        forms.get(key, lambda: sized(20))
    drawn = forms.get("options", lambda: sized(10))  # fourteen options, not drawn yet
    assert forms.total == 70 and len(forms) == 4
    drawn.extend(["texture"] * 50)  # drawn: 60
    forms.recost("options")
    assert "a" not in forms and "b" in forms and "options" in forms  # 120 -> 100
    assert forms.total == 100
    drawn.extend(["texture"] * 100)  # in a longer language: 160, alone over the budget
    forms.recost("options")
    assert list(forms.values()) == [drawn] and forms.total == 160
    forms.recost("gone")  # a form dropped meanwhile: nothing to measure
    assert forms.total == 160


def test_clear_forgets_the_forms_and_their_cost() -> None:
    forms: Lru[list[str]] = Lru(50, cost=len)
    forms.get("a", lambda: sized(50))
    assert forms.full()
    forms.clear()
    assert forms.total == 0 and len(forms) == 0 and not forms.full()


def test_a_warm_up_job_can_end_the_plan_early() -> None:
    """What the service screen does once the kept forms fill their budget: no idle jobs left."""
    import time

    from kivy.clock import Clock

    from screens import services_cache

    ran: list[int] = []
    warm_up = WarmUp()

    def job(n: int) -> None:
        ran.append(n)
        if n == 2:
            warm_up.drop_rest()

    warm_up.restart([lambda n=n: job(n) for n in range(6)], delay_s=0)
    deadline = time.monotonic() + 5
    while services_cache.warming_up() and time.monotonic() < deadline:
        Clock.tick()
    assert ran == [0, 1, 2]
    assert not services_cache.warming_up()

"""Widget structure built once and reused by the service screens (never the citizen's values).

Creating Kivy widgets from .kv rules and rendering their label textures is
what made entering a page slow on software OpenGL (bench/ui_latency.py:
a category's rows, a service's form and the help page were rebuilt on
every entry, 100-250 ms each on a loaded 2-core machine). The screens keep
what they built here, keyed by what it depends on (catalog, language,
service), and only fill in values on entry. Nothing a citizen typed or
chose is kept: forms are reset on every new choice and in every `wipe()`;
rows and the FAQ carry catalog texts only.

`WarmUp` builds the likely pages ahead, one small job per main-loop turn
while nobody is waiting on the screen, so the first citizen after a
start gets the fast path too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from kivy.clock import Clock

T = TypeVar("T")
# Between two warm-up jobs: long enough for a tap that arrives meanwhile to
# be handled first, short enough to finish within the first seconds.
WARM_UP_GAP_S = 0.05


class Lru(Generic[T]):
    """The most recently used structures that fit in ``budget``; the least recently used goes first.

    A bound on what they cost, not on how many there are. Every form holds
    its widgets' label textures (about 0.2 MB a widget at 1080 px wide), and
    the catalog's forms run from one field to eight, some with long option
    lists: kept twelve at a time, the kiosk's resident memory at rest moved
    by ~20 MB with which twelve the last citizens happened to open
    (`bench/memory_soak.py --trial`: RSS followed the widget count, 1,281
    to 1,396 widgets, 450 to 474 MB, with no trend). Kept to a budget of
    widgets, it still rose ~10 MB once a form of fourteen three-line options
    came in: its widgets were few, its textures large. The service screen
    now counts a form's textures, measured again (`recost`) once it is drawn.
    """

    def __init__(self, budget: int, cost: Callable[[T], int] = lambda _item: 1) -> None:
        self.budget = budget
        self.cost = cost
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self.total = 0  # the kept items' cost

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key][0]
        item = build()
        cost = self.cost(item)
        self._items[key] = (item, cost)
        self.total += cost
        self._fit(keep=key)
        return item

    def recost(self, key: Hashable) -> None:
        """Measure a kept item's cost again, then make room by dropping the least recently used.

        A form's textures exist only once it has been laid out and drawn, and
        change size with the language: its cost when built is a guess.
        """
        if key not in self._items:
            return
        item, old = self._items[key]
        cost = self.cost(item)
        self._items[key] = (item, cost)
        self.total += cost - old
        self._fit(keep=key)

    def _fit(self, keep: Hashable) -> None:
        """Drop the least recently used items until the kept ones fit; ``keep`` stays, whatever its cost."""
        for key in list(self._items):
            if self.total <= self.budget:
                return
            if key != keep:
                _dropped, dropped_cost = self._items.pop(key)
                self.total -= dropped_cost

    def full(self) -> bool:
        """Whether one more item of the kept ones' average cost would no longer fit.

        What building ahead asks: past this point it would only drop what it
        built before.
        """
        if not self._items:
            return self.budget <= 0
        return self.total + self.total / len(self._items) > self.budget

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> Iterator[T]:
        return iter([item for item, _cost in self._items.values()])

    def clear(self) -> None:
        self._items.clear()
        self.total = 0


# The WarmUps with jobs still to run. Until it is empty the kiosk is still
# growing into its working size: `warming_up()` is in the automation state,
# and the memory benches read a start figure only after it.
_PENDING: set[WarmUp] = set()


def warming_up() -> bool:
    """Whether any screen still has structures to build ahead (``WarmUp`` jobs left)."""
    return bool(_PENDING)


def screens_laid_out() -> bool:
    """Whether the kiosk window has given its screens their real size (after its first frame).

    Until then the screen manager has Kivy's default 100 x 100 px, and
    `lay_out_off_screen` would give a screen built ahead that size: the first
    form built at a start rendered every label one letter wide (47 x 1,216 px
    textures), was counted at half its real cost, and rendered again when a
    citizen first opened it.
    """
    from kivy.app import App

    manager = getattr(App.get_running_app(), "manager", None)
    if manager is None:
        return True  # no kiosk window (a bare Clock in the unit tests): nothing to wait for
    from kivy.core.window import Window

    return bool(manager.width == Window.width and manager.height > 100)


class WarmUp:
    """Run jobs one per main-loop turn, later, once the screens are laid out; ``restart`` drops
    what is left of an older plan."""

    def __init__(self) -> None:
        self._jobs: list[Callable[[], None]] = []
        self._event: Any = None

    def restart(self, jobs: list[Callable[[], None]], delay_s: float = WARM_UP_GAP_S) -> None:
        self._jobs = list(jobs)
        if self._event is not None:
            self._event.cancel()
        self._event = Clock.schedule_once(self._step, delay_s)
        _PENDING.add(self)

    def drop_rest(self) -> None:
        """Called from a job: the plan is done early (what it built ahead already fills its room)."""
        self._jobs.clear()

    def _step(self, _dt: float) -> None:
        self._event = None
        try:
            if self._jobs and screens_laid_out():
                self._jobs.pop(0)()
        finally:
            if self._jobs:
                self._event = Clock.schedule_once(self._step, WARM_UP_GAP_S)
            else:
                _PENDING.discard(self)


def draw_once(widget: Any) -> None:
    """Draw a widget built ahead once, into an off-screen buffer that is then dropped.

    Under Mesa's software OpenGL a label's texture costs its memory when it is
    first drawn, not when it is made: without this the first visits after a
    start grew the kiosk by ~100 MB each while nothing new was built.
    Kivy's own export_as_image: it takes the canvas out of its parent and puts
    it back. (A buffer kept across draws measured worse, for reasons not found.)
    """
    if widget.parent is None and widget.width > 1 and widget.height > 1:
        widget.export_as_image()


def lay_out_off_screen(screen: Any) -> None:
    """Give a screen that was never shown the size it will have, so its lists lay out now.

    A screen the ScreenManager has not shown yet is 100 x 100 px; labels
    built into it would render their texture at that width and again at the
    real one. At the manager's size they render once, at the width shown.
    """
    manager = screen.manager
    if manager is not None and screen.parent is None and tuple(screen.size) != tuple(manager.size):
        screen.size = manager.size

"""The kiosk's resident memory over many visits: `python bench/memory_soak.py [--visits 40]`.

Starts its own Xvfb (software OpenGL), the portal simulator, the printer
stand-in and the kiosk window (tests/ui_sim_controller.py, through this
module's `build`), then repeats one citizen's visit: password login
(`demo` / `demo-1234`), a category, a service's form filled, confirm, the
result, log out. After each visit, back on the attract screen once the kiosk
has handed the visit's freed memory back (kiosk/heap.py) and a moment
later, it reads the window process's VmRSS from /proc/PID/status. Printed:
RSS per visit and the growth after warm-up (visit ``--warm-up`` to the
last) against the issue's target (<= 10 MB over a long run). Printed, not
asserted: the machine's load moves the figures.

By default every visit asks for the same service, which shows a per-visit
leak most plainly. `--trial` makes the visits like the field trial's
(bench/field_trial.py): a category in turn, a random service of it with
its form filled from the catalog (bench/fieldtrial/visits.py), sometimes
a payment or a search, so the pages and forms the screens keep
(screens/services_cache.py) fill up as on a real kiosk.

`--probe DIR` also asks the window (SIGUSR2, see `build`) after each visit
to write `DIR/probe-N.json`: Python objects by type after a `gc.collect()`,
Kivy widgets by class, Kivy `Cache` categories and their sizes, the Clock's
events, and with `--tracemalloc` the allocation sites that grew since the
second probe (tracing starts at the first, the warm kiosk before any visit).
That is how a leak is found: what grows per visit.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_MB = 10.0
PROBE_ENV = "KIOSK_MEMORY_PROBE_DIR"
TRACE_ENV = "KIOSK_MEMORY_TRACEMALLOC"
TRIM_ENV = "KIOSK_MEMORY_TRIM"  # --trim: malloc_trim(0) in each probe, RSS before and after
SECRETS_ENV = "KIOSK_MEMORY_SECRETS"  # comma-separated: where are these still held after a visit
SERVICES = {  # service -> (category, form steps); values valid for the seeded "demo" citizen
    "birth-certificate-repeat": ("personal", [
        ("tap", "field-whose-self"), ("type", "person_personal_number", "01001012345"),
        ("type", "given_name", "ნინო"), ("type", "surname", "ბერიძე"),
        ("type", "date_of_birth", "14031985"), ("tap", "field-delivery-justice_house"),
        ("tap", "field-justice_house-tbilisi"), ("type", "mobile", "555123456")]),
    "public-information-request": ("personal", [
        ("tap", "field-agency-napr"), ("type", "subject", "Budget 2024"),
        ("type", "request", "Please send me the budget of 2024."),
        ("tap", "field-format-electronic"), ("type", "mobile", "555123456")]),
}


HEAPTRACK_PRELOAD = Path("/usr/lib/heaptrack/libheaptrack_preload.so")
HEAPTRACK_INTERPRET = Path("/usr/lib/heaptrack/libexec/heaptrack_interpret")


def start_heaptrack(out: Path, env: dict[str, str]) -> Any:
    """What `heaptrack PROGRAM` does, for the window process only (not this script or the simulators).

    The preloaded library writes every malloc and free with its stack to a
    pipe; heaptrack_interpret resolves them and the record is gzipped. That
    is how the label surfaces of screens/label_memory.py were found: Python's
    own tracing sees none of Kivy's, SDL's or Mesa's C allocations.
    """
    import subprocess

    if not HEAPTRACK_PRELOAD.exists():
        raise SystemExit("--heaptrack needs Debian's heaptrack package (apt-get install heaptrack)")
    pipe = Path(tempfile.mkdtemp(prefix="heaptrack-")) / "pipe"
    os.mkfifo(pipe)
    env.update(LD_PRELOAD=str(HEAPTRACK_PRELOAD), DUMP_HEAPTRACK_OUTPUT=str(pipe))
    command = f"{HEAPTRACK_INTERPRET} < {shlex.quote(str(pipe))} | gzip > {shlex.quote(str(out))}"
    return subprocess.Popen(command, shell=True)  # noqa: S602


# ------------------------------------------------------------ inside the kiosk process
def build(config: Any) -> Any:
    """Controller factory: tests.ui_sim_controller's, plus the SIGUSR2 probe when asked for."""
    from tests.ui_sim_controller import build as sim_build

    controller = sim_build(config)
    probe_dir = os.environ.get(PROBE_ENV)
    if probe_dir:
        _Probe(Path(probe_dir)).install()
    return controller


class _Probe:
    def __init__(self, out: Path) -> None:
        self.out, self.count = out, 0
        self.first: Any = None

    def install(self) -> None:
        signal.signal(signal.SIGUSR2, lambda *_: self.dump())

    def dump(self) -> None:
        import gc
        import tracemalloc
        import types as types_module
        from collections import Counter

        from kivy.app import App
        from kivy.cache import Cache
        from kivy.clock import Clock
        from kivy.uix.widget import Widget

        gc.collect()
        objects = gc.get_objects()
        types = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in objects)
        methods = Counter(f"{type(o.__self__).__name__}.{o.__func__.__name__}"
                          for o in objects if type(o) is types_module.MethodType)
        widgets = Counter(t.__name__ for t in map(type, objects) if issubclass(t, Widget))
        caches = {name: {"items": len(Cache._objects.get(name, {})), **Cache._categories[name],
                         "some_keys": [str(k)[:80] for k in list(Cache._objects.get(name, {}))[:12]]}
                  for name in Cache._categories}
        report: dict[str, Any] = {
            "status": _status(os.getpid()), "objects": len(objects), "types": dict(types.most_common(400)),
            "widgets": dict(widgets), "bound_methods": dict(methods.most_common(300)),
            "caches": caches, "clock_events": len(Clock.get_events()),
            "garbage": len(gc.garbage),
            "anon_parts": anon_parts(os.getpid()), "pymalloc": _pymalloc(), "mallinfo": _mallinfo(),
            # screens/services.py: the built forms kept, their cost as the screen counted it
            # (label textures, KB) and as measured now, and their widgets
            "forms_kept": [_forms_kept_report(o) for o in objects if type(o).__name__ == "ServiceScreen"],
            "catalog_version": getattr(App.get_running_app().controller.catalog, "version", None),
            # every layout the screen keyboards keep, by the width its keys were laid out at
            # (built ahead at the window's width, not at a screen's 100 px before the first frame)
            "keyboard_layout_widths": sorted({round(row.width) for o in objects
                                              if type(o).__name__ == "OnScreenKeyboard"
                                              for rows in o._layouts.values() for row in rows}),
            # screens/label_memory.py: a label's SDL surface kept after its texture is made
            "label_surfaces_kept": sum(1 for o in objects if type(o).__name__ == "LabelSDL2"
                                       and getattr(o, "_surface", None) is not None),
            # the pixels of every live texture (a region shares its parent's), RGBA
            "texture_mb": round(sum(o.width * o.height * 4 for o in objects
                                    if type(o).__name__ == "Texture") / 2**20, 1),
            "texture_sizes": dict(Counter(f"{o.width}x{o.height}" for o in objects
                                          if type(o).__name__ == "Texture")),
            # a Line's vertex buffer follows its points (wide lines: about 4 vertices a point)
            "line_points": sum(len(o.points) // 2 for o in objects if type(o).__name__ == "Line"),
            "wide_lines": _wide_lines(objects)}
        if os.environ.get(TRIM_ENV):
            # glibc keeps freed heap pages mapped; malloc_trim hands them back. What RSS
            # loses here was free memory kept by the allocator, not memory in use.
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
            report["status_after_trim"] = _status(os.getpid())
            report["anon_parts_after_trim"] = anon_parts(os.getpid())
            report["mallinfo_after_trim"] = _mallinfo()
        secrets = [x for x in os.environ.get(SECRETS_ENV, "").split(",") if x]
        if secrets:
            report["secrets"] = _where_held(objects, secrets)
            report["secrets_in_caches"] = sorted({
                f"{name}" for name, items in Cache._objects.items() for key in items
                if any(x in str(key) for x in secrets)})
        del objects
        if tracemalloc.is_tracing():
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            if self.first is None:
                self.first = snap
            stats = snap.compare_to(self.first, "traceback")
            report["tracemalloc"] = [
                {"size_diff": s.size_diff, "count_diff": s.count_diff,
                 "where": [f"{f.filename}:{f.lineno}" for f in s.traceback]}
                for s in stats[:25]]
            report["traced_mb"] = tracemalloc.get_traced_memory()[0] / 2**20
        path = self.out / f"probe-{self.count}.json"  # probe-0 at the attract screen
        self.count += 1
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.rename(path)
        if os.environ.get(TRACE_ENV) and not tracemalloc.is_tracing():
            # From the first probe on (the warm kiosk at the attract screen), not from the
            # start: tracing every allocation makes building the screens ahead so slow that
            # the window stops answering; growth per visit is what is looked for anyway.
            tracemalloc.start(8)


def _wide_lines(objects: list[Any]) -> dict[str, Any]:
    """Every widget's Lines wider than 1 px, and those of them drawn in a colour that is not opaque.

    Kivy draws such a line twice, through the stencil buffer, on every frame
    its widget is drawn (so that it does not darken where it overlaps itself):
    transparent borders on buttons cost the attract screen about a quarter of
    its CPU under software GL (bench/idle_cpu.py). The colour is the last Color before the Line in
    the same canvas, as every .kv rule here sets one.
    """
    from kivy.graphics import Canvas, Color, Line
    from kivy.uix.widget import Widget

    checked, translucent = 0, []
    for widget in (o for o in objects if issubclass(type(o), Widget)):  # not weak proxies
        for canvas in (widget.canvas.before, widget.canvas, widget.canvas.after):
            alpha, pending = 1.0, list(canvas.children)
            while pending:
                instruction = pending.pop(0)
                if isinstance(instruction, Canvas):  # a child widget's: walked as its own
                    continue
                if isinstance(instruction, Color):
                    alpha = instruction.a
                elif isinstance(instruction, Line) and instruction.width > 1:
                    checked += 1
                    if alpha < 1:
                        translucent.append(
                            f"{type(widget).__name__}: {instruction.width:g} px, alpha {alpha:g}")
                elif hasattr(instruction, "children"):
                    pending[:0] = instruction.children
    return {"checked": checked, "translucent": sorted(set(translucent))}


def _where_held(objects: list[Any], secrets: list[str]) -> dict[str, list[str]]:
    """Which containers (by type, and their owner's type) hold a string with a secret in it."""
    import gc

    found: dict[str, set[str]] = {x: set() for x in secrets}
    for container in objects:
        try:
            referents = gc.get_referents(container)
        except ReferenceError:
            continue
        for item in referents:
            if type(item) is str and len(item) >= 5:
                for secret in secrets:
                    if secret in item:
                        owners = {type(o).__name__ for o in gc.get_referrers(container)
                                  if o is not objects}
                        found[secret].add(f"{type(container).__name__} <- {sorted(owners)[:4]}")
    from kivy.core.text import LabelBase
    from kivy.event import EventDispatcher

    for obj in objects:
        kind = type(obj)
        if issubclass(kind, EventDispatcher):
            for name in obj.properties():
                value = getattr(obj, name, None)
                for secret in secrets:
                    if type(value) is str and secret in value:
                        found[secret].add(f"{kind.__name__}.{name}")
        elif issubclass(kind, LabelBase):
            for secret in secrets:
                if secret in str(obj.text) or any(secret in w.text for line in obj._cached_lines
                                                  for w in line.words):
                    found[secret].add(f"{kind.__name__} (core label) of {obj.options.get('font_size')}")
    return {k: sorted(v)[:12] for k, v in found.items()}


def anon_parts(pid: int) -> dict[str, int]:
    """Anonymous resident memory (kB): glibc's main heap ([heap]) and all other anonymous mappings.

    The others hold Python's object arenas (see `_pymalloc`), other threads'
    glibc arenas, blocks glibc mapped on their own (above the mmap
    threshold: textures' pixels, vertex arrays) and the GL driver's; the
    kernel merges neighbouring ones, so their sizes do not tell them apart.
    """
    parts = {"heap": 0, "other_anon": 0}
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and not head[0].endswith(":"):  # a mapping's first line
            name = head[5] if len(head) > 5 else ""
        elif head and head[0] == "Anonymous:" and name in ("", "[heap]"):
            parts["heap" if name == "[heap]" else "other_anon"] += int(head[1])
    return parts


def _pymalloc(stderr_fd: int = 2) -> dict[str, int]:
    """pymalloc's own account (sys._debugmallocstats, written to fd 2): arenas and bytes in use.

    An arena (1 MiB) goes back to the system only when every object in it is
    gone: arenas far above the bytes in use is fragmentation, not a leak.
    """
    import re

    with tempfile.TemporaryFile() as capture:
        saved = os.dup(stderr_fd)
        try:
            os.dup2(capture.fileno(), stderr_fd)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, stderr_fd)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode("ascii", "replace")
    wanted = {"# arenas allocated current": "arenas", "bytes in allocated blocks": "allocated_bytes"}
    found = {}
    for label, key in wanted.items():
        match = re.search(re.escape(label) + r"\s*=\s*([0-9,]+)", text)
        if match:
            found[key] = int(match.group(1).replace(",", ""))
    return found


def _mallinfo() -> dict[str, int]:
    """glibc's own account of its heaps (kB, all arenas): in use, free, mapped on their own.

    ``free`` is what the heaps hold for reuse: resident where it was touched
    and not given back, the part of [heap] that is fragmentation, not use.
    """
    import ctypes

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    if not hasattr(libc, "mallinfo2"):
        return {}
    libc.mallinfo2.restype = Mallinfo2
    info = libc.mallinfo2()
    return {"heaps": info.arena // 1024, "in_use": info.uordblks // 1024, "free": info.fordblks // 1024,
            "free_chunks": info.ordblks, "mapped_alone": info.hblkhd // 1024,
            "top_releasable": info.keepcost // 1024}


def _status(pid: int) -> dict[str, int]:
    """VmRSS and its parts (kB) from /proc/PID/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
            fields[key] = int(rest.split()[0])
    return fields


# ------------------------------------------------------------ the driver
def visit(kiosk: Any, service: str) -> None:
    log_in(kiosk)
    category, steps = SERVICES[service]
    kiosk.tap(f"category-{category}")
    kiosk.wait(screen="category")
    kiosk.tap(f"service-{service}")
    kiosk.wait(screen="service")
    for action, widget, *text in steps:
        if action == "tap":
            kiosk.tap(widget)
        else:
            kiosk.ok({"cmd": "type", "id": f"field-{widget}", "text": text[0]})
    kiosk.tap("submit")
    kiosk.wait(screen="confirm", timeout_s=15)
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=30)
    kiosk.tap("logout")
    kiosk.wait(screen="attract", timeout_s=20)


def log_in(kiosk: Any) -> None:
    """The seeded citizen's password login, to the personal page."""
    from tests.ui_sim_controller import PASSWORD, USERNAME

    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    kiosk.ok({"cmd": "type", "id": "field-username", "text": USERNAME})
    kiosk.ok({"cmd": "type", "id": "field-password", "text": PASSWORD})
    kiosk.tap("submit")
    deadline = time.monotonic() + 30
    while (screen := kiosk.state()["screen"]) not in ("home", "first_login"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no personal page after the login (on {screen})")
        time.sleep(0.1)
    if screen == "first_login":
        kiosk.ok({"cmd": "type", "id": "field-mobile", "text": "555123456"})
        kiosk.ok({"cmd": "type", "id": "field-email", "text": "nino@example.ge"})
        kiosk.tap("submit")
        kiosk.wait(screen="home", timeout_s=20)


class TrialVisits:
    """Field-trial visits (password login only), through bench/fieldtrial/visits.py."""

    CATEGORIES = ("personal", "family", "health", "social", "property", "business", "taxes", "fines",
                  "education", "utilities")

    def __init__(self, kiosk: Any, seed: int) -> None:
        import random
        from types import SimpleNamespace

        from bench.fieldtrial.visits import Driver, LeakWatch, Visits
        from kiosk.portal.simulator.seed import load_catalog
        from tests.ui_sim_controller import PASSWORD, USERNAME

        self.rng = random.Random(seed)
        supervisor = SimpleNamespace(pid=kiosk.proc.pid, socket_path=str(kiosk.workdir / "ui.sock"))
        self.driver = Driver(supervisor, LeakWatch(), self.rng)
        self.driver.connect()
        self.visits = Visits(self.driver, load_catalog(), self.rng)
        self.person = SimpleNamespace(username=USERNAME, password=PASSWORD, key="demo")
        self.turn = 0
        # Which services each visit opened, printed with its reading: a step in memory is
        # then read beside what the visit did.
        self.opened: list[str] = []
        open_service = self.visits._open

        def open_and_note(category: str, service_id: str) -> None:
            self.opened.append(service_id)
            open_service(category, service_id)

        self.visits._open = open_and_note  # type: ignore[method-assign]

    def visit(self) -> list[str]:
        from bench.fieldtrial.visits import Outcome

        v, rng, out = self.visits, self.rng, Outcome("password", "demo")
        self.opened.clear()
        self.driver.leaks.next_visit(self.turn)
        if v.password_login(self.person, out):
            for _ in range(rng.choice((1, 1, 2))):
                if rng.random() < 0.15:
                    v.pay(out)
                    continue
                v.service(self.CATEGORIES[self.turn % len(self.CATEGORIES)], out)
                self.turn += 1
            if rng.random() < 0.15:
                v.search(out, close=True)  # left open, its keyboard covers `logout`
            self.driver.tap("logout")
        self.driver.wait_screen("attract")
        # The same citizen every visit: their own profile shown again is no leak, but listed.
        seen = {f"{leak['screen']}/{leak['widget']}" for leak in self.driver.leaks.leaks}
        out.notes.extend(f"shown_again:{where}" for where in sorted(seen))
        out.notes[:0] = [f"opened:{service_id}" for service_id in self.opened]
        self.driver.leaks.leaks.clear()
        return out.notes


def wait_warm(kiosk: Any, timeout_s: float = 60) -> float:
    """Seconds until the kiosk has built ahead what it keeps (`warming_up` false in its state)."""
    started = time.monotonic()
    while kiosk.state().get("warming_up"):
        if time.monotonic() - started > timeout_s:
            raise RuntimeError("the kiosk is still warming up")
        time.sleep(0.1)
    return time.monotonic() - started


def wait_heap_released(state: Any, releases_before: int, timeout_s: float = 6.0) -> bool:
    """Wait for the kiosk's hand-back of freed memory after the visit that just ended.

    The window gives a visit's freed C heap back a second after the wipe
    (kiosk/heap.py, `heap_releases` in its state). A kiosk at rest between
    citizens is in that state; a reading taken before it would count memory
    the kiosk is about to return. False if none came (the kiosk died, or the
    next visit began at once).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if state().get("heap_releases", 0) > releases_before:
            return True
        time.sleep(0.1)
    return False


def publish_catalog(sim: Any, kiosk: Any, version: str) -> None:
    """The portal publishes a new catalog; the kiosk takes it when its network comes back.

    A kiosk asks for a newer catalog at start and whenever the portal is
    reachable again (kiosk/machine_status.py), so the portal goes down for
    a moment; the screens then build their rows, tiles and forms again for
    the new catalog (``warming_up`` until done).
    """
    import copy

    from kiosk.portal.simulator.seed import load_catalog

    catalog = copy.deepcopy(load_catalog())
    catalog["version"] = version
    sim.set_catalog(catalog)
    sim.set_fault("down")
    time.sleep(1.5)  # the kiosk's network monitor polls every 0.3 s here (tests/ui_sim_controller.py)
    sim.set_fault("none")
    time.sleep(3.0)
    wait_warm(kiosk)


def rss_mb(pid: int) -> float:
    return _status(pid)["VmRSS"] / 1024


def probe(pid: int, probe_dir: Path, number: int, timeout_s: float = 60) -> dict[str, Any]:
    os.kill(pid, signal.SIGUSR2)
    path = probe_dir / f"probe-{number}.json"
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {path} from the kiosk")
        time.sleep(0.1)
    return json.loads(path.read_text(encoding="utf-8"))


def _forms_kept_report(screen: Any) -> dict[str, Any]:
    """The service screen's kept forms: how many, their cost counted and measured, and for which catalog."""
    from kivy.app import App

    from screens.services import form_texture_kb

    forms = screen._forms
    kept = list(forms.values())
    each_kb = [form_texture_kb(blocks) for blocks in kept]
    return {"forms": len(kept), "services": [str(key) for key in forms._items], "texture_kb": forms.total,
            "texture_kb_measured": sum(each_kb), "texture_kb_each": each_kb,
            "blocks": sum(len(blocks) for blocks in kept),
            "widgets": sum(1 for blocks in kept for block in blocks for _w in block.walk(restrict=True)),
            "of_current_catalog": screen._forms_catalog is App.get_running_app().controller.catalog}


def _forms_kept(report: dict[str, Any]) -> str:
    kept = report.get("forms_kept") or [{}]
    return (f"forms kept {kept[0].get('forms', '?')} ({kept[0].get('widgets', '?')} widgets, "
            f"textures {kept[0].get('texture_kb', '?')} KB)")


def _anon_file(report: dict[str, Any]) -> str:
    """Heap and mappings (RssAnon: Python objects, textures, GL) apart from mapped files."""
    status = report["status"]
    line = f"anon {status['RssAnon'] / 1024:.1f} MB file {status['RssFile'] / 1024:.1f} MB"
    if "status_after_trim" in report:
        line += f" after malloc_trim {report['status_after_trim']['VmRSS'] / 1024:.1f} MB"
    if "traced_mb" in report:
        line += f" traced {report['traced_mb']:.1f} MB"
    parts, pymalloc = report.get("anon_parts") or {}, report.get("pymalloc") or {}
    if parts:
        line += " (" + " ".join(f"{k} {v / 1024:.1f}" for k, v in parts.items()) + ")"
    if pymalloc:
        line += (f" pymalloc {pymalloc.get('arenas', 0)} arenas,"
                 f" {pymalloc.get('allocated_bytes', 0) / 2**20:.1f} MB in use")
    if mallinfo := report.get("mallinfo"):
        line += (f" glibc {mallinfo['in_use'] / 1024:.1f} MB in use, {mallinfo['free'] / 1024:.1f} free"
                 f" in {mallinfo['free_chunks']} chunks")
    return line


def growth_lines(first: dict[str, Any], last: dict[str, Any], key: str, top: int = 15) -> list[str]:
    diff = {k: last[key].get(k, 0) - first[key].get(k, 0) for k in set(first[key]) | set(last[key])}
    grown = sorted(((d, k) for k, d in diff.items() if d), reverse=True)[:top]
    return [f"  {d:+7d}  {k} ({last[key].get(k, 0)})" for d, k in grown]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=40)
    parser.add_argument("--warm-up", type=int, default=10, help="growth is counted from this visit on")
    parser.add_argument("--services", default="birth-certificate-repeat",
                        help=f"comma-separated, rotated per visit: {', '.join(SERVICES)}")
    parser.add_argument("--trial", action="store_true", help="field-trial visits (see above)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--settle-s", type=float, default=1.0, help="pause before each RSS reading")
    parser.add_argument("--probe", type=Path, help="folder for the window's probe-N.json after each visit")
    parser.add_argument("--secrets", help="with --probe: comma-separated values typed in the visit "
                        "(e.g. ბერიძე,14.03.1985) to look for in the window's memory after it")
    parser.add_argument("--trim", action="store_true", help="with --probe: malloc_trim(0) in each probe "
                        "and the RSS after it (freed heap the allocator kept)")
    parser.add_argument("--tracemalloc", action="store_true", help="with --probe: allocation sites")
    parser.add_argument("--heaptrack", type=Path, metavar="FILE.gz",
                        help="record the window process's native allocations with heaptrack (Debian's "
                             "heaptrack package); read them with heaptrack_print -f FILE.gz")
    parser.add_argument("--catalog-every", type=int, default=0, metavar="N",
                        help="after every Nth visit the portal publishes a new catalog version, which "
                             "the kiosk takes and builds its screens for (does an old catalog stay held?)")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    # SIGTERM (a `kill` or `pkill` of this script) must unwind the `with` blocks: without it
    # the kiosk window, in a session of its own, outlived the script and kept a core busy.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    services = args.services.split(",")
    from devices.printer_sim import start_printer_sim
    from kiosk.portal import simulator
    from kiosk.xvfb import Xvfb
    from tests.ui_sim_controller import config_for
    from tests.xvfb import run_kiosk

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="memory-soak-"))
    env = {}
    if args.probe:
        args.probe.mkdir(parents=True, exist_ok=True)
        for old in args.probe.glob("probe-*.json"):
            old.unlink()
        env[PROBE_ENV] = str(args.probe.resolve())
        if args.tracemalloc:
            env[TRACE_ENV] = "1"
        if args.trim:
            env[TRIM_ENV] = "1"
        if args.secrets:
            env[SECRETS_ENV] = args.secrets
    recorder = start_heaptrack(args.heaptrack, env) if args.heaptrack else None
    sim = simulator.start(workdir / "portal" / "portal.sqlite3")
    printer = start_printer_sim(workdir / "printed")
    rss: list[float] = []
    probes: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        with Xvfb() as xvfb, run_kiosk(xvfb.display, workdir / "kiosk", factory="bench.memory_soak:build",
                                       config_extra=config_for(sim, printer), extra_env=env) as kiosk:
            pid = kiosk.proc.pid
            time.sleep(args.settle_s)
            cold_mb = rss_mb(pid)
            warm_s = wait_warm(kiosk)
            time.sleep(args.settle_s)
            start_mb = rss_mb(pid)
            print(f"kiosk pid {pid}; RSS at the attract screen {cold_mb:.1f} MB, once the screens' lists, "
                  f"tiles and keyboards are built ahead ({warm_s:.1f} s) {start_mb:.1f} MB", flush=True)
            if args.probe:  # probe-0: before any visit, the base of the tracemalloc comparison
                at_attract = probe(pid, args.probe, 0)
                print(f"at attract: objects {at_attract['objects']}  widgets "
                      f"{sum(at_attract['widgets'].values())}  {_anon_file(at_attract)}", flush=True)
            trial = TrialVisits(kiosk, args.seed) if args.trial else None
            for number in range(1, args.visits + 1):
                # Before the visit: its wipe then hands back what building the new screens freed.
                updated = bool(args.catalog_every) and number > 1 and (number - 1) % args.catalog_every == 0
                if updated:
                    publish_catalog(sim, kiosk, f"soak-{number}")
                releases = kiosk.state().get("heap_releases", 0)
                if trial is not None:
                    notes = trial.visit()
                    service = "trial"
                else:
                    service = services[(number - 1) % len(services)]
                    visit(kiosk, service)
                wait_heap_released(kiosk.state, releases)
                time.sleep(args.settle_s)
                rss.append(rss_mb(pid))
                line = f"visit {number:3d}  {service:28s} RSS {rss[-1]:7.1f} MB  ({rss[-1] - start_mb:+6.1f})"
                if args.probe:
                    probes.append(probe(pid, args.probe, number))
                    widgets = sum(probes[-1]["widgets"].values())
                    line += (f"  objects {probes[-1]['objects']}  widgets {widgets}"
                             f"  clock {probes[-1]['clock_events']}  {_anon_file(probes[-1])}"
                             f"  {_forms_kept(probes[-1])}  textures {probes[-1].get('texture_mb')} MB"
                             f"  line points {probes[-1].get('line_points')}")
                if updated:
                    line += "  (after a new catalog)"
                if trial is not None and notes:
                    line += "  " + " ".join(notes)[:200]
                print(line, flush=True)
    finally:
        printer.stop()
        sim.stop()
        if recorder is not None:
            recorder.wait(timeout=300)  # the pipe closes when the window process ends
            print(f"heaptrack record: {args.heaptrack} (heaptrack_print -f {args.heaptrack})")
    minutes = (time.monotonic() - started) / 60
    print(f"\n{len(rss)} visits in {minutes:.1f} min; RSS start {start_mb:.1f} MB, end {rss[-1]:.1f} MB, "
          f"peak {max(rss):.1f} MB")
    if len(rss) > args.warm_up:
        base = rss[args.warm_up - 1]
        growth = rss[-1] - base
        tail = rss[args.warm_up - 1:]
        per_visit = statistics.linear_regression(range(len(tail)), tail).slope if len(tail) > 2 else 0.0
        verdict = "within" if growth <= TARGET_MB else "OVER"
        print(f"growth after warm-up (visit {args.warm_up} -> {len(rss)}): {growth:+.1f} MB "
              f"({per_visit:+.2f} MB/visit fitted); target <= {TARGET_MB:.0f} MB: {verdict}")
        if args.probe:
            first, last = probes[args.warm_up - 1], probes[-1]
            print(f"\nPython objects by type, visit {args.warm_up} -> {len(rss)}:")
            print("\n".join(growth_lines(first, last, "types")) or "  none grew")
            print("widgets by class:")
            print("\n".join(growth_lines(first, last, "widgets")) or "  none grew")
            print("bound methods (listeners) by owner.method:")
            print("\n".join(growth_lines(first, last, "bound_methods", 8)) or "  none grew")
            print("Kivy caches (items): " + ", ".join(
                f"{k} {v['items']}" for k, v in sorted(last["caches"].items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The kiosk window over the real parts: portal simulator, outbox, forwarder, printer stand-in.

`python -m screens --controller-factory tests.ui_sim_controller:build`
builds the controller exactly as `kiosk run` does (`kiosk.wiring.build_parts`)
from a configuration that points at a `kiosk.portal.simulator` and a
`devices.printer_sim` the test started, but without the card reader:
these visits log in with a username and password (the card path has its
own tests). The network monitor checks every 0.3 s so a portal that goes
down is noticed within a second.

`sim_kiosk(...)` starts the simulator, the printer stand-in and the window
together for a test module, and stops them after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from kiosk.config import Config
from kiosk.controller import KioskController

USERNAME, PASSWORD = "demo", "demo-1234"  # seeded in kiosk/portal/simulator/seed.py


def build(config: Config) -> KioskController:
    from kiosk.wiring import build_parts

    parts = build_parts(config)
    if parts.network is not None:
        parts.network.interval_s = 0.3
    return KioskController(config, parts)


@dataclass
class SimKiosk:
    """The window (``kiosk``), the portal simulator (``sim``) and the printer stand-in."""

    kiosk: Any
    sim: Any
    printer: Any

    def received(self) -> list[dict[str, Any]]:
        """What the portal received, opened (the simulator's test endpoint)."""
        return requests.get(self.sim.url + "/_sim/transactions", timeout=5).json()["items"]


def config_for(sim: Any, printer: Any) -> str:
    return (f'[portal]\nurl = "{sim.url}"\npublic_key = "{sim.public_key_path}"\n\n'
            f'[printer]\nconnection = "tcp://127.0.0.1:{printer.port}"\n')


@contextlib.contextmanager
def sim_kiosk(display: str, workdir: Path, factory: str = "tests.ui_sim_controller:build",
              extra_env: dict[str, str] | None = None, **session: int) -> Iterator[SimKiosk]:
    """The window over a portal simulator and a printer stand-in of its own (``factory``:
    bench.memory_soak's adds the memory probe, with ``extra_env``)."""
    from devices.printer_sim import start_printer_sim
    from kiosk.portal import simulator
    from tests.xvfb import run_kiosk

    sim = simulator.start(workdir / "portal" / "portal.sqlite3")
    printer = start_printer_sim(workdir / "printed")
    try:
        with run_kiosk(display, workdir / "kiosk", factory=factory, extra_env=extra_env,
                       config_extra=config_for(sim, printer), **session) as kiosk:
            yield SimKiosk(kiosk, sim, printer)
    finally:
        printer.stop()
        sim.stop()

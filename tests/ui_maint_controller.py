"""Controllers with a real `Maintenance` attached, for the maintenance screen's UI tests.

`python -m screens --controller-factory tests.ui_maint_controller:build_sim`
runs the kiosk as `kiosk run` assembles it (`kiosk.wiring.build_controller`
and `kiosk.launch.attach_maintenance`) over the portal simulator and the
printer stand-in, both started inside the kiosk process, in the folder
above the configuration's storage dir: receipts land in ``paper/`` there.

`build_pretend` is the pretend-card controller (tests/ui_fake_controller.py)
with the same maintenance parts, so a test can have a visit running when
the technician opens the screen and insert a card while it is open.

The technician PIN is `TECH_PIN`; ``KIOSK_UI_TECH_PIN=""`` leaves
`maintenance.pin_hash` empty (the door is closed: `Disabled`). The gate's
clock runs ``KIOSK_UI_GATE_SPEED`` times faster than the wall clock, so the
first 30 s lockout passes in a few real seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import Config, from_mapping
from kiosk.controller import KioskController
from kiosk.launch import attach_maintenance
from kiosk.technician import TechnicianGate, hash_pin

TECH_PIN = "2468"
SCRYPT_N = 2**12  # cheaper than production's 2**15: the tests type many PINs


def _gate_clock() -> Callable[[], float]:
    speed = float(os.environ.get("KIOSK_UI_GATE_SPEED", "1"))
    start = time.time()
    return lambda: start + (time.time() - start) * speed


def _pin_hash() -> str:
    pin = os.environ.get("KIOSK_UI_TECH_PIN", TECH_PIN)
    return hash_pin(pin, n=SCRYPT_N) if pin else ""


def _with_maintenance(controller: KioskController) -> KioskController:
    attach_maintenance(controller)
    maintenance = controller.maintenance
    assert maintenance is not None, "attach_maintenance failed: see the log"
    maintenance.gate = TechnicianGate.from_config(controller.config, clock=_gate_clock())
    return controller


def build_sim(config: Config) -> KioskController:
    """The real parts over the portal simulator and the printer stand-in."""
    from devices.printer_sim import start_printer_sim
    from kiosk.portal import simulator
    from kiosk.wiring import build_controller

    work = Path(config.storage.dir).parent
    portal = simulator.start(work / "portal" / "portal.sqlite3")
    printer = start_printer_sim(work / "paper")
    real = from_mapping({
        "kiosk": {"id": "tbs-07", "site_name": config.kiosk.site_name},
        "storage": {"dir": config.storage.dir},
        "portal": {"url": portal.url, "public_key": str(portal.public_key_path)},
        "printer": {"connection": f"tcp://127.0.0.1:{printer.port}"},
        "maintenance": {"pin_hash": _pin_hash()},
    }, "maintenance UI test")
    controller = build_controller(real)
    controller.parts.extra_stop += [printer.stop, portal.stop]
    return _with_maintenance(controller)


def build_pretend(config: Config) -> KioskController:
    """The pretend card (demo controls) plus the maintenance parts."""
    from tests import ui_fake_controller

    real = from_mapping({
        "kiosk": {"site_name": config.kiosk.site_name},
        "storage": {"dir": config.storage.dir},
        # No portal here: a closed local port refuses at once (a made-up host would wait on DNS).
        "portal": {"url": "http://127.0.0.1:9"},
        "maintenance": {"pin_hash": _pin_hash()},
    }, "maintenance UI test")
    controller: Any = ui_fake_controller.build(real)
    return _with_maintenance(controller)

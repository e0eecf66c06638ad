"""The kiosk window as `kiosk run` builds it, card reader included, over stand-ins a test started.

`python -m screens --controller-factory tests.ui_card_controller:build`
goes through the same two steps as `kiosk run` (kiosk/launch.py): the
refusal check (missing portal key, a virtual reader without
`reader.allow_virtual_reader`) and then the serving controller with the
card reader service, the card login and the maintenance parts. Only the
network monitor's interval is shortened, as in tests/ui_sim_controller.py,
so the first health check does not leave the first card visit offline.

`card_kiosk(...)` starts the portal simulator (trusting the test PKI the
virtual cards come from), the printer stand-in and the window on this
worker's private pcscd (tests/pcsc_fixtures.py sets PCSCLITE_CSOCK_NAME in
this process; the window inherits it), and stops them after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.controller import KioskController
from tests.ui_sim_controller import SimKiosk, config_for


def build(config: Config) -> KioskController:
    from kiosk import launch

    # The private helpers are what `kiosk run` calls; going through them keeps
    # this window honest about a configuration `kiosk run` would refuse.
    controller = launch._refused(config) or launch._serving(config)
    if controller.parts.network is not None:
        controller.parts.network.interval_s = 0.3
    return controller


def reader_config(reader_name: str, pki: Any) -> str:
    """The [reader] table: the vpcd slot, the test PKI's chain and CRL for the offline checks."""
    return (f'[reader]\nname = "{reader_name}"\ntrusted_root = "{pki.chain_path}"\n'
            f'crl = "{pki.crl_path}"\nallow_virtual_reader = true\n')


@contextlib.contextmanager
def card_kiosk(display: str, workdir: Path, reader_name: str, pki: Any, **session: int) -> Iterator[SimKiosk]:
    from devices.printer_sim import start_printer_sim
    from kiosk.portal import simulator
    from tests.xvfb import run_kiosk

    sim = simulator.start(workdir / "portal" / "portal.sqlite3", pki.dir)
    printer = start_printer_sim(workdir / "printed")
    try:
        extra = config_for(sim, printer) + "\n" + reader_config(reader_name, pki)
        with run_kiosk(display, workdir / "kiosk", factory="tests.ui_card_controller:build",
                       config_extra=extra, **session) as kiosk:
            yield SimKiosk(kiosk, sim, printer)
    finally:
        printer.stop()
        sim.stop()

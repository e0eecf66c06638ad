"""Starting the kiosk: the one place where the core hands over to the window.

Everything else in `kiosk/` stays free of Kivy so it can be tested without
a display; this module imports `screens` only inside the functions that
open the window, after `screens.boot.prepare_kivy` has set Kivy up.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Config, ConfigError
from kiosk.controller import KioskController
from kiosk.logs import drop_foreign_handlers, event
from kiosk.watchdog import Notifier

if TYPE_CHECKING:
    from kiosk.demo import DemoStack

log = logging.getLogger("kiosk.launch")


def _show_window(controller: KioskController, automation_socket: str | None) -> int:
    from screens.boot import prepare_kivy

    prepare_kivy(controller.config)
    from screens.app import run

    drop_foreign_handlers()
    return run(controller, automation_socket)


def attach_maintenance(controller: KioskController) -> None:
    """Audit log, heartbeat, metrics and the technicians' actions, for a serving kiosk.

    Each is optional to citizens: a part that fails to start is logged and
    the kiosk serves on without it.
    """
    from kiosk.audit import AuditLog
    from kiosk.heartbeat import start_heartbeat
    from kiosk.maintenance import Maintenance
    from kiosk.metrics import start_metrics
    from kiosk.technician import TechnicianGate

    config = controller.config
    try:
        audit = AuditLog(config.storage.dir)
        _beat, probe = start_heartbeat(controller, audit=audit)
        start_metrics(config, controller, probe, audit)
        controller.maintenance = Maintenance(controller, audit, gate=TechnicianGate.from_config(config),
                                             probe=probe)
    except Exception as exc:
        event(log, "maintenance parts unavailable", error=type(exc).__name__, detail=str(exc)[:200])


def missing_files(config: Config) -> list[str]:
    """Files the configuration names that a kiosk must not serve citizens without.

    Every submission is sealed to the portal's key before it is written
    (online or not), so without the key no citizen's request can be taken.
    A named CA bundle that is missing makes every portal call fail: the kiosk
    would seem to work and queue forever, never deliver. Both are a
    technician's job, so they are "out of service" like a broken file.
    """
    problems: list[str] = []
    key = config.portal.public_key
    if not key:
        problems.append("portal.public_key is not set: submissions cannot be sealed")
    elif not Path(key).exists():
        problems.append(f"portal.public_key: {key} does not exist: submissions cannot be sealed")
    else:
        from kiosk.sealing import load_public_key

        try:
            load_public_key(key)
        except (OSError, ValueError) as exc:
            problems.append(f"portal.public_key: {key} cannot be used: {exc}")
    bundle = config.portal.ca_bundle
    if bundle and not Path(bundle).is_file():
        problems.append(f"portal.ca_bundle: {bundle} does not exist: the portal cannot be reached safely")
    return problems


def run_kiosk(config: Config | None, automation_socket: str | None = None,
              config_error: ConfigError | None = None) -> int:
    """`kiosk run`: real devices; a broken setup shows "out of service", never a crash loop.

    Whichever way it starts, the window tells systemd READY=1 and then pings
    the watchdog: kiosk.service is Type=notify with WatchdogSec=, so a kiosk
    that stayed quiet while out of service would be killed and restarted
    over and over.
    """
    if config is None:
        controller = KioskController(Config())
        controller.config_error = config_error
        controller.machine.out_of_service("configuration")
    else:
        controller = _refused(config) or _serving(config)
    controller.notifier = Notifier()
    return _show_window(controller, automation_socket)


def _serving(config: Config) -> KioskController:
    from kiosk.wiring import build_controller

    controller = build_controller(config)
    attach_maintenance(controller)
    return controller


def _refused(config: Config) -> KioskController | None:
    """A bare controller, out of service, when this setup must not serve citizens; else None."""
    problems = missing_files(config)
    if problems:
        event(log, "configuration incomplete", problems="; ".join(problems))
        controller = KioskController(config)
        # As for an invalid file: a technician must fix it; leaving maintenance does not serve.
        controller.config_error = ConfigError(problems, config.source)
        controller.machine.out_of_service("configuration")
        return controller
    from devices.pcsc_stack import detect_virtual_reader

    virtual = detect_virtual_reader()
    if virtual and not config.reader.allow_virtual_reader:
        # vpcd listens on every interface: anyone on the network could "insert" a card.
        event(log, "VIRTUAL CARD READER PRESENT: refusing to serve citizens", reader=virtual[0])
        controller = KioskController(config)
        controller.machine.out_of_service("virtual_reader")
        return controller
    return None


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_demo(config_path: str | None = None, pin: str = "1234", automation_socket: str | None = None,
             tour_dir: str | None = None) -> int:
    """`kiosk demo`: stand-ins on loopback; on a machine with no display, a scripted tour."""
    from kiosk.demo import DemoStack
    from kiosk.demo import socket_dir as demo_socket_dir
    from kiosk.wiring import build_controller
    from kiosk.xvfb import Xvfb

    stack = DemoStack(pin=pin)
    xvfb = None
    socket_dir: Path | None = None
    try:
        config = stack.start(config_path)
        controller = build_controller(config)
        controller.demo = stack.controls(network=controller.parts.network)
        attach_maintenance(controller)
        print(f"Demo kiosk: the virtual card's PIN is {pin}.")
        print(f"Printed receipts are written as PNG files to {stack.receipts_dir}")
        for problem in stack.problems:
            print(f"Note: {problem}")
        if not _has_display():
            tour_dir = tour_dir or "demo-output"
            xvfb = Xvfb(config.screen.width, config.screen.height)
            os.environ["DISPLAY"] = xvfb.start()
            print(f"No display here: playing a scripted visit on the virtual display {xvfb.display}.")
        if tour_dir:
            socket_dir = demo_socket_dir("kiosk-tour-", "automation.sock")
            automation_socket = str(socket_dir / "automation.sock")
            _start_tour(Path(automation_socket), Path(tour_dir), stack, pin)
        return _show_window(controller, automation_socket)
    finally:
        stack.stop()
        if xvfb is not None:
            xvfb.stop()
        if socket_dir is not None:  # only the tour's socket: the receipts' folder stays for the user
            shutil.rmtree(socket_dir, ignore_errors=True)


def _start_tour(socket_path: Path, out_dir: Path, stack: DemoStack, pin: str) -> None:
    from kiosk import tour

    controls = stack.controls()

    def play() -> None:
        try:
            shots = tour.play(socket_path, out_dir, controls.insert_card, controls.remove_card, pin)
            receipts = sorted(stack.receipts_dir.glob("*.png")) if stack.receipts_dir else []
            for receipt in receipts:
                shutil.copy(receipt, out_dir / f"receipt-{receipt.name}")
            stopped = [shot for shot in shots if shot.name == "stopped-here.png"]
            done = f"Tour stopped early (see {stopped[0].resolve()}):" if stopped else "Tour done:"
            print(f"{done} {len(shots)} screenshots and {len(receipts)} receipts in {out_dir.resolve()}")
        except Exception as exc:
            print(f"Tour stopped: {exc}")
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # the window closes on SIGTERM

    threading.Thread(target=play, name="demo-tour", daemon=True).start()

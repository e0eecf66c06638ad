"""A scripted visit through the automation socket, saving a screenshot per step.

`make demo` plays it when the machine has no display (a server, a
container), so a person still sees what the kiosk shows: the PNGs land in
one folder with the printed receipts. The same tour regenerates the
README's screenshots (`kiosk demo --tour docs/screenshots`). It drives the
window exactly as the end-to-end tests do: by widget id, with real taps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.automation import AutomationClient
from kiosk.logs import event

log = logging.getLogger("kiosk.tour")


class TourError(RuntimeError):
    pass


@dataclass
class Tour:
    client: AutomationClient
    out_dir: Path
    shots: list[Path] = field(default_factory=list)

    def do(self, command: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.send(command)
        if "error" in answer:
            raise TourError(f"{command}: {answer['error']}")
        return answer

    def wait(self, screen: str, timeout_s: float = 10) -> None:
        self.do({"cmd": "wait", "screen": screen, "timeout_s": timeout_s})

    def tap(self, widget_id: str) -> None:
        self.do({"cmd": "tap", "id": widget_id})

    def shot(self, name: str) -> Path:
        path = self.out_dir / f"{name}.png"
        answer = self.do({"cmd": "screenshot", "path": str(path)})
        written = Path(answer.get("path", path))
        self.shots.append(written)
        event(log, "screenshot", name=written.name)
        return written


def connect(socket_path: Path, timeout_s: float = 60) -> AutomationClient:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return AutomationClient(socket_path)
        except OSError:
            if time.monotonic() > deadline:
                raise TourError(f"the kiosk did not open {socket_path}") from None
            time.sleep(0.2)


# A request every demo citizen can make: a repeat birth certificate, picked up at the justice house.
BIRTH_CERTIFICATE = (("tap", "field-whose-self"), ("type", "person_personal_number", "01001012345"),
                     ("type", "given_name", "ნინო"), ("type", "surname", "ბერიძე"),
                     ("type", "date_of_birth", "14.03.1985"), ("tap", "field-delivery-justice_house"),
                     ("tap", "field-justice_house-tbilisi"), ("type", "mobile", "555123456"))


def screen_now(tour: Tour) -> str:
    return str(tour.do({"cmd": "state"}).get("screen"))


def visit(tour: Tour) -> None:
    """After the PIN: the first login's contacts, a service end to end, the result, log out."""
    deadline = time.monotonic() + 15
    while screen_now(tour) not in ("first_login", "home"):
        if time.monotonic() > deadline:
            raise TourError(f"no personal page after the PIN (on {screen_now(tour)})")
        time.sleep(0.1)
    if screen_now(tour) == "first_login":
        tour.do({"cmd": "type", "id": "field-mobile", "text": "555123456"})
        tour.do({"cmd": "type", "id": "field-email", "text": "nino@example.ge"})
        tour.shot("first-login")
        tour.tap("submit")
    tour.wait("home", 15)
    time.sleep(0.5)  # the latest requests arrive from the portal
    tour.shot("home")
    tour.tap("category-personal")
    tour.wait("category")
    tour.shot("category")
    tour.tap("service-birth-certificate-repeat")
    tour.wait("service")
    for step in BIRTH_CERTIFICATE:
        if step[0] == "tap":
            tour.tap(step[1])
        else:
            tour.do({"cmd": "type", "id": f"field-{step[1]}", "text": step[2]})
    tour.shot("service")
    tour.tap("submit")
    tour.wait("confirm")
    tour.shot("confirm")
    tour.tap("confirm")
    tour.wait("result", 20)
    tour.shot("result")
    tour.tap("logout")


def play(socket_path: Path, out_dir: Path, insert_card: Callable[[], None],
         remove_card: Callable[[], None], pin: str = "1234") -> list[Path]:
    """The visit: languages, the card, the PIN, first login, a service to its result, the way out."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with connect(socket_path) as client:
        tour = Tour(client, out_dir)
        tour.wait("attract", 30)
        for language in ("en", "ru", "ka"):
            tour.tap(f"lang-{language}")
            time.sleep(0.3)
            tour.shot(f"attract-{language}")
        insert_card()
        tour.wait("pin", 15)
        tour.shot("pin")
        for digit in pin:
            tour.tap(f"pin-{digit}")
        tour.shot("pin-typed")
        tour.tap("pin-ok")
        try:
            visit(tour)
        except TourError as exc:
            event(log, "tour stopped early", error=str(exc)[:200])
            tour.shot("stopped-here")
        remove_card()
        tour.wait("attract", 15)
        return tour.shots

"""A scripted visit through the automation socket, saving a screenshot per step.

    python tools/screenshot_tour.py                      # docs/screenshots/, own Xvfb and pretend card
    python tools/screenshot_tour.py --socket S --out D   # drive a kiosk that is already running

With no --socket it starts a private Xvfb and `python -m screens` with the
pretend card of tests/ui_fake_controller.py (here one that can be slow to
read, so the reading_card screen stays long enough to be taken: `build`)
and a fast clock, so the idle warning appears within seconds. The card's
screens are taken in Georgian (pin.png, error.png, pin-blocked.png, and
*-ka.png) and English (*-en.png): reading the card, the PIN pad, a
card that is not a Georgian ID card, an expired and a revoked card, a
blocked PIN. The screenshots in docs/ are made by
this script, never by hand, so they always show what the code draws.
Steps that need demo controls the running kiosk lacks are skipped, not faked.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.automation import AutomationClient  # noqa: E402
from kiosk.xvfb import Xvfb  # noqa: E402


class TourStepFailed(RuntimeError):
    pass


class Tour:
    def __init__(self, client: AutomationClient, out_dir: Path) -> None:
        self.client, self.out_dir = client, out_dir
        self.shots: list[Path] = []
        self.skipped: list[str] = []

    def do(self, command: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.send(command)
        if "error" in answer:
            raise TourStepFailed(f"{command} -> {answer}")
        return answer

    def wait(self, screen: str | None = None, overlay: str | None = None, timeout_s: float = 15) -> None:
        command: dict[str, Any] = {"cmd": "wait", "timeout_s": timeout_s}
        command |= {"screen": screen} if screen else {"overlay": overlay}
        self.do(command)

    def tap(self, widget_id: str) -> None:
        self.do({"cmd": "tap", "id": widget_id})

    def pin(self, digits: str) -> None:
        self.do({"cmd": "type", "id": "pin-input", "text": digits})

    def demo(self, action: str, **args: Any) -> None:
        self.do({"cmd": "demo", "action": action, "args": args})

    def shot(self, name: str) -> None:
        answer = self.do({"cmd": "screenshot", "path": str(self.out_dir / f"{name}.png")})
        self.shots.append(Path(answer["path"]))
        print(f"  {name}.png")

    def language(self, language: str) -> None:
        self.tap(f"lang-{language}")
        deadline = time.monotonic() + 5
        while self.do({"cmd": "state"})["language"] != language and time.monotonic() < deadline:
            time.sleep(0.05)


def play(tour: Tour, pin: str = "1234") -> None:
    """Attract in three languages, help, the PIN pad, home, idle warning, the card's screens in ka and en."""
    tour.wait("attract", timeout_s=30)
    for language in ("en", "ru", "ka"):
        tour.language(language)
        tour.shot(f"attract-{language}")
    tour.tap("help")
    tour.wait(overlay="help_overlay")
    tour.shot("help")
    tour.tap("help-close")

    tour.demo("insert_card")
    tour.wait("pin")
    tour.pin(pin[:2])
    time.sleep(0.4)  # let the pressed keys' highlight fade: it would show which digits
    tour.shot("pin")
    tour.tap("pin-clear")
    tour.pin(pin)
    tour.tap("pin-ok")
    tour.wait("home")
    tour.shot("home")
    try:
        tour.wait(overlay="idle_warning", timeout_s=150)
        tour.shot("idle-warning")
        tour.tap("continue")
    except TourStepFailed as exc:
        tour.skipped.append(f"idle-warning ({exc})")
    tour.tap("logout")
    tour.wait("attract")
    tour.demo("remove_card")

    for language in ("ka", "en"):
        # Georgian keeps the older names (pin.png, error.png, pin-blocked.png) the docs use.
        plain = "" if language == "ka" else f"-{language}"
        steps = [("reading-card", _reading_visit, f"reading-card-{language}"),
                 ("error", lambda t, n: _error_visit(t, n, "card_expired"), f"error{plain}"),
                 ("card-revoked", lambda t, n: _error_visit(t, n, "card_revoked"),
                  f"card-revoked-{language}"),
                 ("unknown-card", _unknown_visit, f"unknown-card-{language}"),
                 ("pin-blocked", _blocked_visit, f"pin-blocked{plain}")]
        if language != "ka":
            steps.insert(0, ("pin", _pin_visit, f"pin{plain}"))
        for name, visit, shot_name in steps:
            try:
                tour.language(language)  # every visit ends in the kiosk's default language
                visit(tour, shot_name)
            except TourStepFailed as exc:
                tour.skipped.append(f"{name} [{language}] ({exc})")
                print(f"  skipped: {tour.skipped[-1]}")
    tour.language("ka")


def _pin_visit(tour: Tour, name: str) -> None:
    tour.demo("insert_card", tries_left=3)  # a card the blocked visit left blocked is a new one again
    tour.wait("pin")
    tour.pin("12")
    time.sleep(0.4)  # the pressed keys' highlight gone
    tour.shot(name)
    tour.tap("pin-cancel")
    tour.wait("attract")
    tour.demo("remove_card")


def _reading_visit(tour: Tour, name: str) -> None:
    tour.demo("fail_next_card", reason=SLOW_READ)  # the tour's card (`build`): reading takes seconds
    tour.demo("insert_card", tries_left=3)
    tour.wait("reading_card")
    time.sleep(0.3)
    tour.shot(name)
    tour.wait("pin")
    tour.tap("pin-cancel")
    tour.wait("attract")
    tour.demo("remove_card")


def _error_visit(tour: Tour, name: str, reason: str) -> None:
    tour.demo("fail_next_card", reason=reason)
    tour.demo("insert_card", tries_left=3)
    tour.wait("pin")
    tour.pin("1234")
    tour.tap("pin-ok")
    tour.wait("error")
    tour.shot(name)
    tour.tap("error-ok")
    tour.wait("attract")
    tour.demo("remove_card")


def _unknown_visit(tour: Tour, name: str) -> None:
    tour.demo("fail_next_card", reason="unknown_card")  # the reader says so at once: no PIN asked
    tour.wait("error")
    tour.shot(name)
    tour.tap("error-ok")
    tour.wait("attract")
    tour.demo("remove_card")


def _blocked_visit(tour: Tour, name: str) -> None:
    tour.demo("insert_card", tries_left=1)
    tour.wait("pin")
    tour.pin("0000")
    tour.tap("pin-ok")
    tour.wait("pin_blocked")
    tour.shot(name)
    tour.tap("pin-blocked-ok")
    tour.wait("attract")
    tour.demo("remove_card")


SLOW_READ = "slow_read"  # a fail_next_card reason only the tour's card knows
READ_S = 3.0


def build(config: Any) -> Any:
    """The tour's controller: tests/ui_fake_controller.py's, with a card that can be slow to read.

    After ``fail_next_card(reason="slow_read")`` the next insertion takes
    READ_S seconds to read the PIN tries, as a real card on a slow reader
    might, so the reading_card screen can be taken.
    """
    from tests import ui_fake_controller as fake

    class SlowCard(fake.PretendCard):
        def pin_tries_left(self) -> int:
            if self.fail_with == SLOW_READ:
                self.fail_with = ""
                time.sleep(READ_S)
            return super().pin_tries_left()

    controller = fake.build(config)
    controller.demo.card = SlowCard()
    return controller


def _own_kiosk(workdir: Path, display: str) -> tuple[subprocess.Popen[bytes], Path]:
    config = workdir / "kiosk.toml"
    config.write_text(
        '[kiosk]\nsite_name = "Justice House · Tbilisi"\n\n'
        f'[storage]\ndir = "{workdir / "storage"}"\n\n'
        "[session]\nidle_timeout_s = 60\nidle_warning_s = 20\n", encoding="utf-8")
    sock = workdir / "ui.sock"
    env = dict(os.environ, DISPLAY=display, KIVY_HOME=str(workdir / "kivy"), KIVY_NO_ARGS="1",
               KIOSK_UI_CLOCK_SPEED="2", PYTHONPATH=str(REPO))
    log = (workdir / "kiosk.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "screens", "--config", str(config), "--automation-socket", str(sock),
         "--controller-factory", "tools.screenshot_tour:build"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, sock


def connect(sock: Path, timeout_s: float = 30) -> AutomationClient:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return AutomationClient(sock)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--socket", help="the automation socket of a kiosk that is already running")
    parser.add_argument("--pin", default="1234")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.socket:
        with connect(Path(args.socket)) as client:
            tour = Tour(client, out_dir)
            play(tour, args.pin)
    else:
        with tempfile.TemporaryDirectory(prefix="kiosk-tour-") as tmp, Xvfb() as xvfb:
            proc, sock = _own_kiosk(Path(tmp), xvfb.display)
            try:
                with connect(sock) as client:
                    tour = Tour(client, out_dir)
                    play(tour, args.pin)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
    print(f"{len(tour.shots)} screenshots in {out_dir}")
    for skipped in tour.skipped:
        print(f"skipped: {skipped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshots of every service screen in Georgian and English: `python tools/services_screenshots.py`.

Starts its own Xvfb, the portal simulator, the printer stand-in and the
kiosk window (tests/ui_sim_controller.py), then drives a password visit
through the automation socket, the way a citizen would, and writes
docs/screenshots/<screen>-<lang>.png: password, first login (with a
mistake marked), personal page, category, form with the keyboard, form
with messages, confirm, result with QR code, the confirm screen's printer
note and the receipt on screen (printer out of paper), payment, help, a
letter's answer (the personal page with its button, the request-answer
overlay), and an online-only service refused while the portal is down.
Never made by hand, so they show what the code draws.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from kiosk.xvfb import Xvfb  # noqa: E402
from tests.ui_sim_controller import PASSWORD, USERNAME, SimKiosk, sim_kiosk  # noqa: E402


def shoot(sk: SimKiosk, out: Path, lang: str) -> None:
    kiosk = sk.kiosk

    def shot(name: str) -> None:
        time.sleep(0.3)  # let lists that arrive from the portal settle
        kiosk.ok({"cmd": "screenshot", "path": str(out / f"{name}-{lang}.png")})
        print(f"  {name}-{lang}.png")

    def typed(field: str, text: str) -> None:
        kiosk.ok({"cmd": "type", "id": f"field-{field}", "text": text})

    def visible(prefix: str) -> list[str]:
        return [w["id"] for w in kiosk.state()["widgets"] if w["id"].startswith(prefix)]

    kiosk.tap(f"lang-{lang}")
    kiosk.tap("password-login")
    kiosk.wait(screen="password")
    typed("username", USERNAME)
    typed("password", PASSWORD)
    shot("password")
    kiosk.tap("submit")
    kiosk.wait(screen="first_login")
    typed("mobile", "55512")
    typed("email", "nino@example.ge")
    kiosk.tap("submit")
    shot("first-login")
    typed("mobile", "3456")
    kiosk.tap("submit")
    kiosk.wait(screen="home")
    shot("home")
    kiosk.tap("category-personal")
    kiosk.wait(screen="category")
    shot("category")
    kiosk.tap("service-birth-certificate-repeat")
    kiosk.wait(screen="service")
    kiosk.tap("field-whose-self")
    typed("person_personal_number", "0100101234")
    shot("service-keyboard")
    typed("given_name", "ნინო" if lang == "ka" else "Nino")
    typed("date_of_birth", "14031985")
    kiosk.tap("submit")
    shot("service-errors")
    typed("person_personal_number", "5")
    typed("surname", "ბერიძე" if lang == "ka" else "Beridze")
    kiosk.tap("field-delivery-justice_house")
    kiosk.tap("field-justice_house-tbilisi")
    typed("mobile", "555123456")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    shot("confirm")
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=15)
    shot("result")
    # The printer runs out of paper: the receipt is shown on the screen instead.
    sk.printer.set_status("paper-out")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    kiosk.tap("category-personal")
    kiosk.wait(screen="category")
    kiosk.tap("service-birth-certificate-repeat")
    kiosk.wait(screen="service")
    kiosk.tap("field-whose-self")
    typed("person_personal_number", "01001012345")
    typed("given_name", "ნინო" if lang == "ka" else "Nino")
    typed("surname", "ბერიძე" if lang == "ka" else "Beridze")
    typed("date_of_birth", "14031985")
    kiosk.tap("field-delivery-electronic")
    typed("mobile", "555123456")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    shot("confirm-printer-note")
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=15)
    shot("result-receipt-on-screen")
    sk.printer.set_status("ready")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    kiosk.tap("category-fines")
    kiosk.wait(screen="category")
    kiosk.tap("service-fines-pay")
    kiosk.wait(screen="service")
    deadline = time.monotonic() + 10
    while not visible("item-") and time.monotonic() < deadline:
        time.sleep(0.1)
    kiosk.tap(visible("item-")[0])
    shot("payment")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    # A letter to an agency, answered at once by the simulator: its button and its answer.
    requests.post(sk.sim.url + "/_sim/settings", json={"letter_answer_delay_s": 0}, timeout=5)
    kiosk.tap("category-personal")
    kiosk.wait(screen="category")
    kiosk.tap("service-letter-to-agency")
    kiosk.wait(screen="service")
    kiosk.tap("field-agency-napr")
    typed("subject", "ჩემი საბუთების ასლები" if lang == "ka" else "Copies of my documents")
    typed("letter", "გთხოვთ, გამომიგზავნოთ ჩემი საბუთების ასლები." if lang == "ka"
          else "Please send me copies of my documents.")
    typed("mobile", "555123456")
    kiosk.tap("submit")
    kiosk.wait(screen="confirm")
    kiosk.tap("confirm")
    kiosk.wait(screen="result", timeout_s=15)
    reference = sk.received()[-1]["reference"]
    kiosk.tap("home")
    kiosk.wait(screen="home")
    deadline = time.monotonic() + 15
    while f"answer-{reference}" not in visible("answer-") and time.monotonic() < deadline:
        time.sleep(0.1)
    shot("home-answered")
    kiosk.tap(f"answer-{reference}")
    kiosk.wait(overlay="request-answer")
    shot("request-answer")
    kiosk.tap("back")
    kiosk.tap("help")
    kiosk.wait(screen="help")
    shot("help")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    sk.sim.set_fault("down")
    deadline = time.monotonic() + 10
    while not kiosk.texts().get("home-offline") and time.monotonic() < deadline:
        time.sleep(0.1)
    kiosk.tap("category-personal")
    kiosk.wait(screen="category")
    kiosk.tap("service-id-card-replacement-appointment")
    kiosk.wait(screen="service")
    shot("service-refused")
    sk.sim.set_fault("none")
    kiosk.tap("home")
    kiosk.wait(screen="home")
    kiosk.tap("logout")
    kiosk.wait(screen="attract")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--languages", default="ka,en")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    xvfb = Xvfb()
    display = xvfb.start()
    try:
        for lang in args.languages.split(","):
            # A fresh portal per language, so the first login is shown each time.
            with sim_kiosk(display, Path(tempfile.mkdtemp(prefix=f"shots-{lang}-"))) as sk:
                shoot(sk, args.out, lang)
    finally:
        xvfb.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

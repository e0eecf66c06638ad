"""The field trial: N citizens at one kiosk on a bad day, then what got lost, doubled or leaked.

`python bench/field_trial.py --citizens N [--seed S] [--kill-every K] [--out DIR]`

Starts once, as `kiosk demo` would, the portal simulator, the printer
stand-in, a private pcscd with the vpcd reader and one virtual eID card per
test citizen (bench/fieldtrial/stand.py), and runs the kiosk itself
(`kiosk run`) as a supervised child under Xvfb that is started again when
it dies. Then N citizens come one after another (bench/fieldtrial/visits.py):
card logins (some with a wrong PIN first, some blocking their card, some
pulling it out or losing pcscd mid-visit), password logins, services from every category
with their forms filled from the catalog, a few payments. Meanwhile, on a
schedule drawn from the seed: the portal down, slow, 503 with Retry-After,
500, dropping answers after processing; pcscd killed and restarted; the
reader gone and back; the printer out of paper or its cover open; and the
kiosk killed with SIGKILL at a random moment every K citizens.

At the end, with the portal healthy and the outbox drained, it checks and
prints one table: every submission a citizen saw accepted reached the
portal exactly once; its receipt was in the journal; nothing of a citizen
was on the next citizen's screens; no PIN or password in the kiosk's logs,
storage files or crash reports; the kiosk's resident memory at the start
and the end of its last run. The same figures go to DIR/result.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.fieldtrial.report import (  # noqa: E402
    find_secrets,
    memory_growth,
    stuck_kinds,
    table,
    wrong_pin,
)
from bench.fieldtrial.stand import KIOSK_ID, Person, Stand, Supervisor, identities  # noqa: E402
from bench.fieldtrial.visits import Driver, KioskDied, LeakWatch, Outcome, Stuck, Visits  # noqa: E402
from bench.memory_soak import anon_parts, wait_heap_released  # noqa: E402

CATEGORIES = ("personal", "family", "health", "social", "property", "business", "taxes", "fines",
              "education", "utilities")
PORTAL_FAULTS = (("down", {}, 2), ("slow", {"delay_s": 1.5}, 1),
                 ("unavailable503", {"retry_after_s": 1, "count": 4}, 0),
                 ("drop_after_process", {"count": 1}, 0), ("error500", {"count": 2}, 0))


DEMO_PASSWORD = "demo-1234"  # the simulator's seeded "demo" citizen

# Kivy builds screens, glyph atlases and textures the first time each is shown: the first
# visits after a start grow the process by ~130 MB. Growth is also reported after these.
WARM_UP_VISITS = 10


class Trial:
    """One run: the schedule of faults, the citizens' visits, and what they saw."""

    def __init__(self, args: argparse.Namespace, out: Path) -> None:
        self.args, self.out = args, out
        self.rng = random.Random(args.seed)
        self.stand = Stand(out / "stand", random.Random(args.seed + 1))
        self.outcomes: list[Outcome] = []
        self.faults: Counter[str] = Counter()
        self.receipts_missing: list[str] = []
        self.rss: list[dict[str, Any]] = []  # one per kiosk run: start, end, visits
        self.portal_fault_left = 0
        self.category_turn = 0
        self.unrecovered = 0

    # -- the run ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from kiosk.portal.simulator.seed import load_catalog
        from kiosk.xvfb import Xvfb

        started = time.monotonic()
        self.stand.start()
        demo = Person("demo", "01001012345", "ნინო", "ბერიძე", "", "demo", DEMO_PASSWORD)
        self.persons = [*self.stand.persons, demo]
        xvfb = Xvfb(1080, 1920)
        display = xvfb.start()
        self.sup = Supervisor(self.stand, display, self.out / "kiosk")
        self.leaks = LeakWatch()
        self.driver = Driver(self.sup, self.leaks, self.rng)
        self.visits = Visits(self.driver, load_catalog(), self.rng)
        try:
            self.sup.start()
            self._back_at_attract()
            previous: Person | None = None
            for number in range(self.args.citizens):
                if self.args.minutes and time.monotonic() - started > self.args.minutes * 60:
                    break
                previous = self._one_citizen(number, previous)
                if self.args.progress and (number + 1) % self.args.progress == 0:
                    accepted = sum(len(o.accepted) for o in self.outcomes)
                    print(f"[{time.monotonic() - started:7.0f} s] {number + 1} citizens, "
                          f"{accepted} accepted, {self.sup.kills} kills", flush=True)
            self._final_drain()
            self.rss[-1]["end"] = self.sup.rss_mb()
            self.rss[-1]["visits_end"] = self.args.citizens
        finally:
            self.driver.close()
            self.sup.stop()
            xvfb.stop()
            received = self.stand.received() if self.stand.portal else []
            payments = self.stand.payments() if self.stand.portal else []
            self.stand.stop()
        return self._report(received, payments, time.monotonic() - started)

    def _one_citizen(self, number: int, previous: Person | None) -> Person:
        rng = self.rng
        person = rng.choice([p for p in self.persons if p is not previous])
        kind = rng.choices(("card", "password", "wrong_pin", "blocked", "pulled"),
                           (50, 25, 10, 5, 10))[0]
        if person.card is None:
            kind = "password"
        injected = self._faults_before(number)
        if self.stand.pcsc.with_reader is False and kind != "password":
            # Most card holders then log in with a password; the others came with the card
            # only and must read on the attract screen that the reader is not working.
            kind = "password" if person.card is None or rng.random() < 0.7 else "reader_gone"
        releases = self._heap_releases()
        out = Outcome(kind, person.key, faults=injected)
        self.outcomes.append(out)
        self.leaks.next_visit(number)
        self.leaks.remember(person.given_name, person.surname, person.personal_number, person.masked)
        if self.args.kill_every and number % self.args.kill_every == self.args.kill_every - 1:
            if rng.random() < 0.4:  # the riskiest moment: a submission being stored and sent
                self.driver.kill_on_tap = "confirm"
            else:
                self.driver.kill_after = rng.randint(1, 30)
        try:
            self._visit(person, kind, out)
        except KioskDied:
            out.notes.append("kiosk_died")
        except Stuck as exc:
            out.notes.append(f"stuck:{str(exc)[:900]}")
        self._settle(person, out)
        self._faults_after()
        self._check_receipts(out, releases)
        return person

    def _visit(self, person: Person, kind: str, out: Outcome) -> None:
        v, rng = self.visits, self.rng
        if kind == "reader_gone":
            v.reader_gone(out)
            return
        if kind == "blocked":
            person.card.applet.tries_left = person.card.applet.profile.max_pin_tries
            v.block(person, out)
            # The counter unblocks it with the PUK before the person comes back.
            person.card.remove()
            person.card.applet.tries_left = person.card.applet.profile.max_pin_tries
            return
        if kind == "password":
            logged_in = v.password_login(person, out)
        else:
            logged_in = v.card_login(person, self.stand.pcsc, out, wrong_first=kind == "wrong_pin")
        if not logged_in:
            return
        for turn in range(rng.choice((1, 1, 2))):
            if rng.random() < 0.15:
                v.pay(out)
                continue
            category = CATEGORIES[self.category_turn % len(CATEGORIES)]
            self.category_turn += 1
            pull = self._interruption(person) if kind == "pulled" and turn == 0 else None
            v.service(category, out, interrupt=pull)
            if pull is not None:
                return
        if rng.random() < 0.15:
            v.search(out, close=rng.random() < 0.5)
        self.driver.tap("logout")

    def _interruption(self, person: Person) -> Any:
        """Mid-visit: the card pulled out, or (less often) pcscd killed under the citizen."""
        def pull() -> str:
            person.card.remove()
            return "card_pulled"

        def crash() -> str:
            self.stand.pcscd_crash()
            self.faults["pcscd killed mid-visit"] += 1
            return "pcscd_killed_mid_visit"

        return pull if self.rng.random() < 0.7 else crash

    def _faults_before(self, number: int) -> list[str]:
        """Inject this visit's faults; their names, kept with the visit (a stuck step is
        read beside what hit it)."""
        rng, stand = self.rng, self.stand
        injected = []
        if self.portal_fault_left <= 0 and rng.random() < 0.15:
            mode, kwargs, visits = rng.choice(PORTAL_FAULTS)
            stand.portal_fault(mode, **kwargs)
            self.portal_fault_left = visits
            injected.append(f"portal {mode}")
        if rng.random() < 0.05:
            stand.pcscd_crash()
            injected.append("pcscd killed")
        elif rng.random() < 0.04:
            stand.reader_gone()
            injected.append("reader gone")
        if rng.random() < 0.08:
            status = rng.choice(("paper-out", "cover-open"))
            stand.printer_status(status)
            injected.append(f"printer {status}")
        self.faults.update(injected)
        return injected

    def _faults_after(self) -> None:
        self.portal_fault_left -= 1
        if self.portal_fault_left <= 0:
            self.stand.portal_fault("none")
        if not self.stand.pcsc.with_reader:
            self.stand.reader_back()
        self.stand.printer_status("ready")

    # -- between citizens -------------------------------------------------------------
    def _settle(self, person: Person, out: Outcome) -> None:
        """Card out, back at the attract screen; after a death, wait for the restarted kiosk.

        After a death the card is left in half the time, as after a power cut:
        the restarted kiosk must ask for the PIN again, never show whose card it
        is, so the killed visit's values are searched for on its screens too.
        """
        died = self.driver.client is None
        if died and person.card is not None and person.card.inserted and self.rng.random() < 0.5:
            self.leaks.extra = set(self.leaks.current)
            try:
                self.driver.connect()
                self.driver.wait_screen("pin", "attract", "reading_card", "error", timeout_s=30)
                out.notes.append("card_left_in_over_restart")
            except (KioskDied, Stuck) as exc:
                out.notes.append(f"card_left_in:{str(exc)[:80]}")
            self.leaks.extra = set()
        for card in (p.card for p in self.persons if p.card is not None):
            if card.inserted:
                card.remove()
        for _attempt in range(3):
            try:
                if self.driver.client is None:
                    self._back_at_attract()
                    return
                self._leave_visit()
                self.leaks.search_held(self.driver.send({"cmd": "held_texts"}))
                self._note_run()
                return
            except KioskDied:
                out.notes.append("kiosk_died")
            except Stuck as exc:
                out.notes.append(f"stuck_after:{str(exc)[:120]}")
        self.unrecovered += 1
        self.sup.kill9()  # a stuck kiosk is restarted, as the hardware watchdog would
        self._back_at_attract()

    def _leave_visit(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            state = self.driver.state()
            if state["screen"] == "attract" and not state.get("overlays"):
                return
            ids = {w["id"] for w in state["widgets"]}
            # search-close: a search left open hides "logout" under its keyboard (in the
            # 1,000-citizen run the way back failed 56 times without it).
            for way_out in ("warning-end", "logout", "cancel", "pin-cancel", "error-ok",
                            "pin-blocked-ok", "help-close", "search-close"):
                if way_out in ids:
                    self.driver.send({"cmd": "tap", "id": way_out})
                    break
            if time.monotonic() > deadline:
                raise Stuck(f"cannot get back to attract from {state['screen']}")
            time.sleep(0.3)

    def _back_at_attract(self) -> None:
        self.driver.connect()  # waits for the supervisor's restart and the new socket
        self.driver.wait_screen("attract", timeout_s=90)
        self._note_run()

    def _note_run(self) -> None:
        """A new kiosk process: its resident memory at the attract screen, before any visit,
        once it has built its lists and keyboards ahead (``warming_up`` false)."""
        if not self.rss or self.rss[-1]["pid"] != self.sup.pid:
            if self.rss:
                self.rss[-1]["visits_end"] = len(self.outcomes)
            deadline = time.monotonic() + 30
            while self.driver.state().get("warming_up") and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)
            self.rss.append({"pid": self.sup.pid, "start": self.sup.rss_mb(), "end": None,
                             "visits_start": len(self.outcomes)})

    def _heap_releases(self) -> int:
        try:
            return int(self.driver.state().get("heap_releases", 0))
        except (KioskDied, Stuck, OSError):
            return 0

    def _check_receipts(self, out: Outcome, releases_before: int) -> None:
        journal = self.stand.journal_refs()
        self.receipts_missing += [ref for ref in out.accepted + out.paid if ref not in journal]
        if self.rss and self.sup.pid == self.rss[-1]["pid"]:
            run = self.rss[-1]
            kills = self.sup.kills
            # At rest between citizens: after the kiosk gave the visit's freed memory back.
            wait_heap_released(self._heap_state, releases_before)
            rss = self.sup.rss_mb()
            if self.sup.kills != kills:
                # The kill planned for this run came with the waiting's own `state`
                # commands: this is a process being torn down (the earlier runs'
                # "ended 150-200 MB lower"), not the kiosk at rest.
                return
            run["end"] = rss
            if len(self.outcomes) - run["visits_start"] == WARM_UP_VISITS:
                run["warm"] = run["end"]
            if "warm" in run:
                run.setdefault("readings", []).append([len(self.outcomes), run["end"]])
                # Where a reading's MB are (kB): a high reading read beside the visit's faults.
                with contextlib.suppress(OSError):  # the kiosk may die between the two reads
                    run.setdefault("parts", []).append([len(self.outcomes), anon_parts(run["pid"])])

    def _heap_state(self) -> dict[str, Any]:
        try:
            return self.driver.state()
        except (KioskDied, Stuck, OSError):
            return {}

    def _final_drain(self) -> None:
        """Portal healthy, reader and printer back; wait until the outbox has sent everything."""
        self.stand.portal_fault("none")
        self.stand.printer_status("ready")
        if not self.stand.pcsc.with_reader:
            self.stand.reader_back()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            counts = self.stand.outbox_counts()
            if not counts.get("pending") and self.sup.pid is not None:
                return
            time.sleep(0.5)
        print(f"warning: the outbox did not drain: {self.stand.outbox_counts()}", flush=True)

    # -- the checks -------------------------------------------------------------------
    def _report(self, received: list[dict[str, Any]], payments: list[dict[str, Any]],
                wall_s: float) -> dict[str, Any]:
        ours = [r for r in received if r["kiosk_id"] == KIOSK_ID]
        by_ref = Counter(r["local_ref"] for r in ours)
        by_key = Counter(r["idempotency_key"] for r in ours)
        accepted = [ref for o in self.outcomes for ref in o.accepted]
        paid = [ref for o in self.outcomes for ref in o.paid]
        portal_payments = Counter(p["reference"] for p in payments)
        secrets = {p.pin for p in self.persons if p.pin}
        secrets |= {wrong_pin(p.pin) for p in self.persons if p.pin}
        passwords = {p.password for p in self.persons}
        pin_hits = find_secrets(self._searched_files(), secrets | passwords)
        last = self.rss[-1] if self.rss else {}
        notes = Counter(n.split(":")[0] for o in self.outcomes for n in o.notes)
        visits = [vars(o) for o in self.outcomes]
        growth = memory_growth(self.rss)
        return {
            "citizens": len(self.outcomes),
            "submissions_accepted": len(accepted),
            "delivered_exactly_once": sum(1 for ref in accepted if by_ref[ref] == 1),
            "lost": sum(1 for ref in accepted if by_ref[ref] == 0),
            "duplicated": (sum(1 for n in by_ref.values() if n > 1)
                           + sum(1 for n in by_key.values() if n > 1)),
            "shown_twice": sum(1 for n in Counter(accepted).values() if n > 1),
            "stored_not_shown": len(set(by_ref) - set(accepted)),
            "receipts_missing": len(self.receipts_missing),
            "leaks": len(self.leaks.leaks),
            "leak_examples": self.leaks.leaks[:10],
            "pin_found": len(pin_hits),
            "pin_hits": pin_hits[:10],
            "kills": self.sup.kills,
            "restarts": max(0, self.sup.starts - 1),
            "exit_codes": Counter(str(c) for c in self.sup.exits),
            "rss_start_mb": last.get("start"),
            "rss_end_mb": last.get("end"),
            "rss_runs": self.rss,
            "rss_growth_after_warm_up_mb": growth["largest"],
            "rss_growth_mb": growth,
            "payments_shown": len(paid),
            "payments_at_portal_once": sum(1 for ref in paid if portal_payments[ref] == 1),
            "visit_kinds": Counter(o.kind for o in self.outcomes),
            "faults": dict(self.faults),
            "notes": dict(notes),
            "unrecovered": self.unrecovered,
            "visits": visits,
            "stuck_kinds": stuck_kinds(visits),
            "wall_s": round(wall_s, 1),
        }

    def _searched_files(self) -> list[Path]:
        return searched_files(self.out / "kiosk", self.stand.storage, self.stand.pcsc.log_path)


def searched_files(*roots: Path) -> list[Path]:
    """The kiosk's logs (its stdout/stderr, Kivy's), its storage files, pcscd's log, any core."""
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    return files


def recheck(out: Path, seed: int) -> int:
    """The PIN and password search of a finished run, again, over the same files.

    The citizens' secrets are drawn again from the seed (bench/fieldtrial/stand.py
    `identities`). Wrong PINs typed before the PIN-alphabet `wrong_pin` were each
    digit + 1 mod 10: both forms are searched.
    """
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    people = identities(random.Random(seed + 1), Stand.PERSONS)
    pins = {pin for _, pin, _ in people}
    legacy_wrong = {"".join(str((int(c) + 1) % 10) for c in pin) for pin in pins}
    secrets = pins | {wrong_pin(pin) for pin in pins} | legacy_wrong
    secrets |= {password for *_, password in people} | {DEMO_PASSWORD}
    hits = find_secrets(searched_files(out / "kiosk", out / "stand" / "storage",
                                       *sorted((out / "stand").glob("*pcscd*.log"))), secrets)
    print(f"PIN or password found before this search: {result['pin_found']}; now: {len(hits)}")
    result["pin_found"], result["pin_hits"] = len(hits), hits[:10]
    (out / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(table(result))
    return 1 if hits else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--kill-every", type=int, default=10, help="SIGKILL the kiosk every K citizens "
                        "(0: never)")
    parser.add_argument("--out", help="folder for logs, storage and result.json (default: a new "
                                      "temporary folder)")
    parser.add_argument("--minutes", type=float, default=0, help="let no more citizens in after "
                        "this many minutes (0: no limit)")
    parser.add_argument("--progress", type=int, default=0, help="print a line every N citizens")
    parser.add_argument("--recheck", metavar="DIR", help="search a finished run's files (DIR, its "
                        "--out) again for its citizens' secrets, after a change to the search; "
                        "updates DIR/result.json and prints the table")
    args = parser.parse_args(argv)
    # SIGTERM must unwind the stand (kiosk window, simulators, pcscd) as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.recheck:
        return recheck(Path(args.recheck), args.seed)
    out = Path(args.out or tempfile.mkdtemp(prefix="field-trial-"))
    out.mkdir(parents=True, exist_ok=True)
    result = Trial(args, out).run()
    (out / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(table(result))
    print(f"seed {args.seed}, kill every {args.kill_every}; restarts {result['restarts']} "
          f"(exit codes {dict(result['exit_codes'])}); payments shown {result['payments_shown']}, "
          f"at the portal once {result['payments_at_portal_once']}; stored but never shown "
          f"{result['stored_not_shown']}; unrecovered visits {result['unrecovered']}")
    growth = {k: "?" if v is None else f"{v:+.1f} MB" for k, v in result["rss_growth_mb"].items()}
    print(f"memory after each run's first {WARM_UP_VISITS} visits: largest growth {growth['largest']}, "
          f"median run {growth['median']}; fitted line: largest run {growth['largest_fitted']}, "
          f"the whole day {growth['day_drift']}")
    print(f"visits {dict(result['visit_kinds'])}")
    print(f"faults {result['faults']}")
    print(f"notes {result['notes']}")
    if result.get("stuck_kinds"):
        print(f"stuck steps {result['stuck_kinds']}")
    print(f"details in {out / 'result.json'}")
    bad = (result["lost"] or result["duplicated"] or result["leaks"] or result["pin_found"]
           or result["receipts_missing"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

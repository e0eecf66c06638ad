"""`kiosk doctor`: the kiosk's health, checked from a shell, each finding with what to do.

A technician at the kiosk, or a fleet tool over SSH, runs it; the
maintenance screen shows the same findings. Each check is a small function
that returns a `Finding`; none of them may raise or hang (every device and
network call has a short time-out), because a doctor that crashes on the
broken part is no help with the broken part.

Statuses: `ok`; `info` (worth knowing, nothing to fix: no card in the
reader); `warn` (a technician should look soon, citizens are still served);
`fail` (something a citizen needs is broken). The exit code is 1 exactly
when some finding is `fail`, and every finding that is not `ok` says what
to do. What counts as "a citizen needs it" follows what the kiosk does
without the part:
- a broken configuration, a missing sealing key or CA bundle, storage
  missing or full: `kiosk run` goes out of service or refuses submissions;
- no usable card reader (pcscd down, no reader, a forbidden virtual one):
  no card login;
- the portal unreachable or failing (5xx) is `warn` when card logins can be
  checked offline (``reader.trusted_root``): submissions wait in the queue,
  only payments and lookups are lost; without offline trust no citizen can
  log in at all, so it is `fail`. A slow portal is `warn`;
- every printer trouble is `warn`: the receipt goes on screen with its QR
  code (kiosk.desk), so the citizen still leaves with it;
- the queue's dead letters or an hour's backlog are `warn`: submissions are
  still taken and kept;
- the card in the reader (ATR and card profile, from pcscd only) is `ok`,
  `info` (none) or `warn` (unknown, a refused test card, mute), never
  `fail`: one card is not the kiosk.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.config import Config, ConfigError


@dataclass(frozen=True)
class Finding:
    check: str
    status: str  # ok, info, warn, fail
    detail: str
    action: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


Check = Callable[[Config], Finding]


def check_storage(config: Config) -> Finding:
    path = Path(config.storage.dir)
    if not path.is_dir():
        return Finding("storage", "fail", f"{path} does not exist",
                       f"create it, owned by the kiosk user with mode 0700: install -d -m 0700 {path}")
    free_mb = shutil.disk_usage(path).free // (1024 * 1024)
    if free_mb < config.storage.min_free_mb:
        return Finding("storage", "fail", f"{free_mb} MB free in {path}, below storage.min_free_mb "
                       f"{config.storage.min_free_mb}", "free disk space; the kiosk refuses submissions")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return Finding("storage", "warn", f"{path} has mode {mode:o}; others can read it",
                       f"chmod 700 {path}")
    return Finding("storage", "ok", f"{free_mb} MB free in {path}")


# Above this a citizen notices every login, lookup and payment waiting on the portal.
SLOW_PORTAL_S = 1.0


def offline_login_problem(config: Config) -> str:
    """Why card logins cannot be checked without the portal ("" when they can), as kiosk.login decides."""
    if not config.reader.trusted_root:
        return "reader.trusted_root is not set"
    from kiosk.trust import TrustError, TrustStore

    try:
        TrustStore.from_files(config.reader.trusted_root, config.reader.crl or None)
    except TrustError as exc:
        return str(exc)
    return ""


def check_portal(config: Config) -> Finding:
    from kiosk.portal.client import PortalClient
    from kiosk.portal.errors import PortalError, PortalServerError

    url = config.portal.url
    if config.portal.ca_bundle and not Path(config.portal.ca_bundle).is_file():
        return Finding("portal", "fail", f"portal.ca_bundle {config.portal.ca_bundle} does not exist",
                       "copy the portal's CA certificate there, or empty the key to use the system's")
    client = PortalClient(url, config.portal.ca_bundle, min(config.portal.connect_timeout_s, 3),
                          min(config.portal.read_timeout_s, 5), kiosk_id=config.kiosk.id)
    try:
        latency = client.health()
    except PortalServerError as exc:
        return _portal_unusable(config, f"{url} is reachable but failing: it answers {exc.status}",
                                "the portal's own servers are failing, not this kiosk or its network: "
                                "tell the portal help desk; submissions wait in the queue and go "
                                "when it recovers, but payments and lookups are unavailable")
    except PortalError as exc:
        return _portal_unusable(config, f"{url} does not answer: {exc}",
                                "check the network cable, the site's router and portal.url; "
                                "submissions are queued meanwhile, but payments and lookups are unavailable")
    finally:
        client.close()
    ms = latency * 1000
    if latency > SLOW_PORTAL_S:
        return Finding("portal", "warn", f"{url} answers slowly: {ms:.0f} ms "
                       f"(over {SLOW_PORTAL_S * 1000:.0f} ms)",
                       f"citizens wait {ms / 1000:.1f} s on every login, lookup and payment: check this "
                       "site's link (a saturated or failing line); if the link is fine, tell the portal "
                       "help desk its answers are slow")
    return Finding("portal", "ok", f"{url} answers in {ms:.0f} ms")


def _portal_unusable(config: Config, detail: str, action: str) -> Finding:
    problem = offline_login_problem(config)
    if not problem:
        return Finding("portal", "warn", detail + "; card logins are checked offline", action)
    return Finding("portal", "fail", f"{detail}; no citizen can log in: card logins cannot be checked "
                   f"offline ({problem})", action + "; for offline card logins set reader.trusted_root "
                   "(and reader.crl) to the eID root CA and its CRL")


def check_sealing_key(config: Config) -> Finding:
    if not config.portal.public_key:
        return Finding("sealing key", "fail", "portal.public_key is not set",
                       "copy the portal's sealing public key and set portal.public_key")
    try:
        from kiosk.sealing import load_public_key

        load_public_key(config.portal.public_key)
    except (OSError, ValueError) as exc:
        return Finding("sealing key", "fail", f"{config.portal.public_key}: {exc}",
                       "replace it with the portal's X25519 public key (PEM)")
    return Finding("sealing key", "ok", config.portal.public_key)


def check_printer(config: Config) -> Finding:
    """Never `fail`: without paper or printer the receipt is shown on screen with its QR code."""
    from devices.printer import Printer

    on_screen = "; meanwhile receipts are shown on screen"
    try:
        printer = Printer.from_config(config)
    except ValueError as exc:
        return Finding("printer", "warn", str(exc), "fix printer.profile or printer.width_dots" + on_screen)
    status = str(printer.status(timeout_s=1.0))
    advice = {
        "ready": "",
        "near_end": "put in a new paper roll soon",
        "paper_out": "put in a new paper roll" + on_screen,
        "cover_open": "close the printer cover" + on_screen,
        "offline": f"check the printer's power and cable ({config.printer.connection})" + on_screen,
    }
    action = advice.get(status, "check the printer" + on_screen)
    return Finding("printer", "ok" if status == "ready" else "warn", f"{config.printer.connection}: {status}",
                   action)


def check_queue(config: Config) -> Finding:
    from offline_queue.outbox import Outbox

    db = Path(config.storage.dir) / "outbox.sqlite3"
    if not db.exists():
        return Finding("queue", "ok", "empty (no outbox yet)")
    outbox = Outbox.from_config(config, writer=False)
    try:
        stats = outbox.stats()
    finally:
        outbox.close()
    pending, dead = stats.get("pending", 0), stats.get("dead", 0)
    oldest = stats.get("oldest_pending_age_s") or 0
    detail = f"{pending} waiting to be sent, {dead} dead letters, oldest {oldest:.0f} s"
    if dead:
        return Finding("queue", "warn", detail, "review dead letters: kiosk queue list --json")
    if oldest > 3600:
        return Finding("queue", "warn", detail, "the portal has not taken submissions for an hour")
    return Finding("queue", "ok", detail)


def list_readers() -> list[str]:
    """Reader names from pcscd; raises OSError-like errors when pcscd is not there."""
    from smartcard.System import readers

    return [str(reader) for reader in readers()]


def check_card_reader(config: Config) -> Finding:
    try:
        names = list_readers()
    except Exception as exc:  # pyscard raises its own types, not all SmartcardException
        return Finding("card reader", "fail", f"pcscd does not answer ({type(exc).__name__})",
                       "start the PC/SC daemon: systemctl start pcscd.socket")
    from devices.pcsc_stack import detect_virtual_reader

    virtual = detect_virtual_reader(names)
    if virtual and not config.reader.allow_virtual_reader:
        return Finding("card reader", "fail", f"a virtual reader is installed: {virtual[0]}",
                       "remove it: apt-get purge vsmartcard-vpcd (it listens on all interfaces)")
    wanted = [n for n in names if config.reader.name in n]
    if not wanted:
        return Finding("card reader", "fail", "no card reader" + (
            f" whose name contains {config.reader.name!r}" if config.reader.name else ""),
            "plug the card reader in (USB) or fix reader.name")
    return Finding("card reader", "warn" if virtual else "ok", wanted[0] +
                   (" (virtual reader allowed by reader.allow_virtual_reader)" if virtual else ""))


def read_slot(reader: str) -> tuple[int, bytes]:
    """The reader slot's PC/SC state bits and the card's ATR, as pcscd already knows them.

    SCardGetStatusChange answers from pcscd's own record of the slot without
    connecting to the card: nothing is sent to it (no PIN, no try spent, not
    even a SELECT, so a mute card cannot hang the doctor), and a running
    kiosk, which holds a present card exclusively, is not disturbed. The
    maintenance screen's "test a card" goes further (tries left, subject)
    through the kiosk's own card session.
    """
    from smartcard import scard

    from devices.card_session import error_message

    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise OSError(error_message(result))
    try:
        result, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if result != scard.SCARD_S_SUCCESS:
            raise OSError(error_message(result))
        _name, state, atr = states[0]
        return int(state), bytes(atr)
    finally:
        scard.SCardReleaseContext(context)


def check_card(config: Config) -> Finding:
    """The card in the reader: its ATR and the card profile it matches, read-only."""
    from smartcard import scard

    from devices.eid.profiles import profile_for_atr

    see_reader = "see the card reader finding"
    try:
        names = [n for n in list_readers() if config.reader.name in n]
    except Exception:  # pyscard raises its own types, not all SmartcardException
        return Finding("card", "info", "not checked: pcscd does not answer", see_reader)
    if not names:
        return Finding("card", "info", "not checked: no card reader", see_reader)
    try:
        state, atr = read_slot(names[0])
    except OSError as exc:
        return Finding("card", "warn", f"{names[0]}: pcscd cannot say whether a card is in: {exc}",
                       "unplug the card reader and plug it in again; if that does not help, "
                       "restart pcscd: systemctl restart pcscd")
    if state & scard.SCARD_STATE_MUTE:
        return Finding("card", "warn", f"a card is in {names[0]} but gives no ATR (mute)",
                       "take it out and put it in again, chip first; if every card is mute, "
                       "clean or replace the card reader")
    if not state & scard.SCARD_STATE_PRESENT:
        return Finding("card", "info", f"no card in {names[0]}",
                       "to check a card, insert it and run kiosk doctor again")
    shown = atr.hex(" ").upper()
    profile = profile_for_atr(atr)
    if profile is None:
        return Finding("card", "warn", f"unknown card in {names[0]}: ATR {shown} matches no card profile",
                       "the kiosk refuses this card as unknown; if it is a Georgian eID card, send its "
                       "ATR to the developers for a profile in devices/profiles/")
    if profile.test_only and not config.reader.allow_virtual_reader:
        return Finding("card", "warn", f"test card in {names[0]}: ATR {shown}, profile {profile.name} "
                       "(for tests only: refused here)", "take the test card out of the reader")
    notes = [" (a test card, allowed by reader.allow_virtual_reader)" if profile.test_only else "",
             " (open by the running kiosk)" if state & scard.SCARD_STATE_EXCLUSIVE else ""]
    return Finding("card", "ok", f"ATR {shown}: profile {profile.name}" + "".join(notes))


CHECKS: list[Check] = [check_storage, check_sealing_key, check_portal, check_printer, check_card_reader,
                       check_card, check_queue]


def run_checks(config: Config | None, config_error: ConfigError | None = None) -> list[Finding]:
    """All findings; a broken configuration is itself a finding, not a crash."""
    if config is None:
        problems = config_error.problems if config_error else ["no configuration"]
        return [Finding("configuration", "fail", "; ".join(problems),
                        "fix the keys named above in the configuration file (see kiosk.example.toml)")]
    findings = [Finding("configuration", "ok", config.source or "embedded defaults")]
    for check in CHECKS:
        started = time.monotonic()
        try:
            finding = check(config)
        except Exception as exc:  # a check must never take the doctor down
            finding = Finding(check.__name__.removeprefix("check_").replace("_", " "), "fail",
                              f"the check itself failed: {type(exc).__name__}: {exc}", "see the logs")
        if time.monotonic() - started > 5:
            finding = Finding(finding.check, finding.status, finding.detail + " (slow check)", finding.action)
        findings.append(finding)
    return findings


def exit_code(findings: list[Finding]) -> int:
    """1 exactly when something a citizen needs is broken (the rules: this module's docstring)."""
    return 1 if any(f.status == "fail" for f in findings) else 0

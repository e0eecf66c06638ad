"""`kiosk doctor`: the kiosk's health, checked from a shell, each finding with what to do.

A technician at the kiosk, or a fleet tool over SSH, runs it; the
maintenance screen shows the same findings. Each check is a small function
that returns a `Finding`; none of them may raise or hang (every device and
network call has a short time-out), because a doctor that crashes on the
broken part is no help with the broken part.

`fail` means a citizen cannot be served (the exit code is then 1); `warn`
means a technician should look soon (paper near end, a backlog).
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
    status: str  # ok, warn, fail
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


def check_portal(config: Config) -> Finding:
    from kiosk.portal.client import PortalClient
    from kiosk.portal.errors import PortalError

    if config.portal.ca_bundle and not Path(config.portal.ca_bundle).is_file():
        return Finding("portal", "fail", f"portal.ca_bundle {config.portal.ca_bundle} does not exist",
                       "copy the portal's CA certificate there, or empty the key to use the system's")
    client = PortalClient(config.portal.url, config.portal.ca_bundle, min(config.portal.connect_timeout_s, 3),
                          min(config.portal.read_timeout_s, 5), kiosk_id=config.kiosk.id)
    try:
        latency = client.health()
    except PortalError as exc:
        return Finding("portal", "warn", f"{config.portal.url} does not answer: {exc}",
                       "check the network cable and portal.url; submissions are queued meanwhile, "
                       "but payments and lookups are unavailable")
    finally:
        client.close()
    return Finding("portal", "ok", f"{config.portal.url} answers in {latency * 1000:.0f} ms")


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
    from devices.printer import Printer

    try:
        printer = Printer.from_config(config)
    except ValueError as exc:
        return Finding("printer", "fail", str(exc), "fix printer.profile or printer.width_dots")
    status = str(printer.status(timeout_s=1.0))
    advice = {
        "ready": ("ok", ""),
        "near_end": ("warn", "put in a new paper roll soon"),
        "paper_out": ("fail", "put in a new paper roll"),
        "cover_open": ("fail", "close the printer cover"),
        "offline": ("fail", f"check the printer's power and cable ({config.printer.connection})"),
    }
    level, action = advice.get(status, ("fail", "check the printer"))
    return Finding("printer", level, f"{config.printer.connection}: {status}", action)


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


CHECKS: list[Check] = [check_storage, check_sealing_key, check_portal, check_printer, check_card_reader,
                       check_queue]


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
    return 1 if any(f.status == "fail" for f in findings) else 0

"""The kiosk's one configuration file, read and checked once at start.

A kiosk in a justice house is configured by a technician with a text editor,
so every mistake must come back as a sentence that names the key and says
what is wrong, before anything opens a device or a window. Unknown keys are
errors too: a misspelt key silently falling back to a default is the kind of
fault nobody finds until a citizen does.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")
SUPPORTED_LANGUAGES = ("ka", "en", "ru")
PRINTER_SCHEMES = ("tcp", "usb", "serial", "file")


class ConfigError(ValueError):
    """The configuration cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"invalid configuration{where}:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class KioskSection:
    id: str = "demo-kiosk"
    site_name: str = "Demo justice house"
    languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    default_language: str = "ka"
    # Resident memory (MB) above which the kiosk restarts itself between
    # citizens (kiosk/heap.py `over_limit`); 0: never. About twice a warm
    # kiosk's figure under software OpenGL at 1080 x 1920.
    restart_above_mb: int = 1024


@dataclass(frozen=True)
class PortalSection:
    url: str = "http://127.0.0.1:8080"
    ca_bundle: str = ""
    public_key: str = ""
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    track_url: str = "https://my.gov.ge/track/"


@dataclass(frozen=True)
class ReaderSection:
    name: str = ""
    trusted_root: str = ""
    crl: str = ""
    shuffle_pin_keys: bool = False
    allow_virtual_reader: bool = False


@dataclass(frozen=True)
class PrinterSection:
    connection: str = "file:///dev/null"
    profile: str = "TM-T20II"
    width_dots: int = 576


@dataclass(frozen=True)
class StorageSection:
    dir: str = "/var/lib/kiosk"
    min_free_mb: int = 50
    keep_delivered_days: int = 0


@dataclass(frozen=True)
class SessionSection:
    idle_timeout_s: int = 120
    idle_warning_s: int = 30
    max_session_s: int = 1200
    max_extensions: int = 10


@dataclass(frozen=True)
class MaintenanceSection:
    pin_hash: str = ""
    metrics_port: int = 0


@dataclass(frozen=True)
class ScreenSection:
    width: int = 1080
    height: int = 1920
    dpi: int = 96
    fullscreen: bool = True


@dataclass(frozen=True)
class Config:
    kiosk: KioskSection = field(default_factory=KioskSection)
    portal: PortalSection = field(default_factory=PortalSection)
    reader: ReaderSection = field(default_factory=ReaderSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    storage: StorageSection = field(default_factory=StorageSection)
    session: SessionSection = field(default_factory=SessionSection)
    maintenance: MaintenanceSection = field(default_factory=MaintenanceSection)
    screen: ScreenSection = field(default_factory=ScreenSection)
    source: str = ""

    @property
    def storage_path(self) -> Path:
        return Path(self.storage.dir)


SECTIONS: dict[str, type] = {f.name: f.type for f in fields(Config) if f.name != "source"}
# `from __future__ import annotations` turns the types into strings; map them back.
SECTIONS = {name: globals()[typ] if isinstance(typ, str) else typ for name, typ in SECTIONS.items()}

# Per-key checks beyond the type: each returns a problem sentence or None.
Check = Callable[[Any], str | None]


def _one_of(choices: tuple[object, ...]) -> Check:
    listed = ", ".join(str(c) for c in choices)
    return lambda v: None if v in choices else f"must be one of {listed}, not {v!r}"


def _between(low: float, high: float) -> Check:
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}, not {v}"


def _zero_or_at_least(low: int, high: int) -> Check:
    """0 turns the setting off; otherwise between ``low`` and ``high``."""
    return lambda v: None if v == 0 or low <= v <= high else (
        f"must be 0 (never) or between {low} and {high}, not {v}")


def _non_empty(v: str) -> str | None:
    return None if v.strip() else "must not be empty"


def _http_url(v: str) -> str | None:
    try:
        parsed = urlparse(v)
    except ValueError:  # "http://[::1" and the like: urlparse refuses a broken IPv6 host
        return f"must be an http:// or https:// address, not {v!r}"
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"must be an http:// or https:// address, not {v!r}"
    return None


def _languages(v: tuple[str, ...]) -> str | None:
    if not v:
        return "must name at least one language"
    bad = [lang for lang in v if lang not in SUPPORTED_LANGUAGES]
    if bad:
        return f"has unsupported languages {bad}; supported are {list(SUPPORTED_LANGUAGES)}"
    return None


def _printer_connection(v: str) -> str | None:
    scheme = v.split("://", 1)[0] if "://" in v else ""
    if scheme not in PRINTER_SCHEMES:
        return (
            f"must start with one of {', '.join(s + '://' for s in PRINTER_SCHEMES)}, not {v!r}"
        )
    if scheme == "tcp" and not re.fullmatch(r"tcp://[^:/]+:\d{1,5}", v):
        return f"must look like tcp://HOST:PORT, not {v!r}"
    if scheme == "usb" and not re.fullmatch(r"usb://[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", v):
        return f"must look like usb://VID:PID in hex (usb://04b8:0e15), not {v!r}"
    return None


def _pin_hash(v: str) -> str | None:
    if v and not v.startswith("scrypt$"):
        return "must be made with `kiosk hash-pin` (it starts with scrypt$)"
    return None


CHECKS: dict[str, Check] = {
    "kiosk.id": _non_empty,
    "kiosk.site_name": _non_empty,
    "kiosk.languages": _languages,
    "kiosk.default_language": _one_of(SUPPORTED_LANGUAGES),
    # Below 256 MB a kiosk would restart after every citizen.
    "kiosk.restart_above_mb": _zero_or_at_least(256, 1_000_000),
    "portal.url": _http_url,
    "portal.connect_timeout_s": _between(0.1, 60),
    "portal.read_timeout_s": _between(0.1, 300),
    "printer.connection": _printer_connection,
    "printer.width_dots": _one_of((576, 384)),
    "storage.dir": _non_empty,
    "storage.min_free_mb": _between(1, 100_000),
    "storage.keep_delivered_days": _between(0, 3650),
    "session.idle_timeout_s": _between(30, 3600),
    "session.idle_warning_s": _between(20, 600),
    "session.max_session_s": _between(60, 4 * 3600),
    "session.max_extensions": _between(10, 1000),
    "maintenance.pin_hash": _pin_hash,
    "maintenance.metrics_port": _between(0, 65535),
    "screen.width": _between(320, 8192),
    "screen.height": _between(240, 8192),
    "screen.dpi": _between(50, 600),
}

_TYPE_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _coerce(key: str, value: Any, default: Any) -> tuple[Any, str | None]:
    """Check ``value`` against the type of the default; tuples stand for lists."""
    if isinstance(default, bool):
        return value, None if isinstance(value, bool) else f"{key} must be true or false"
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return value, f"{key} must be a list of strings"
        return tuple(value), None
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value), None
        except OverflowError:  # an integer of hundreds of digits
            return value, f"{key} must be a number of reasonable size, not {value!r}"
    expected = type(default)
    if not isinstance(value, expected) or isinstance(value, bool):
        return value, f"{key} must be {_TYPE_NAMES.get(expected, expected.__name__)}, not {value!r}"
    return value, None


def from_mapping(data: Mapping[str, Any], source: str = "") -> Config:
    """Build a checked Config from parsed TOML; raises ConfigError listing every problem."""
    problems: list[str] = []
    sections: dict[str, Any] = {}
    for name in data:
        if name not in SECTIONS:
            problems.append(f"[{name}] is not a known section; known are {', '.join(SECTIONS)}")
    for name, cls in SECTIONS.items():
        raw = data.get(name, {})
        if not isinstance(raw, Mapping):
            problems.append(f"[{name}] must be a table of keys")
            raw = {}
        defaults = cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            dotted = f"{name}.{key}"
            if key not in known:
                problems.append(f"{dotted} is not a known key; known in [{name}]: {', '.join(sorted(known))}")
                continue
            value, problem = _coerce(dotted, value, getattr(defaults, key))
            if problem is None and dotted in CHECKS:
                detail = CHECKS[dotted](value)
                problem = f"{dotted} {detail}" if detail else None
            if problem:
                problems.append(problem)
            else:
                values[key] = value
        sections[name] = cls(**values)
    kiosk = sections["kiosk"]
    if kiosk.default_language not in kiosk.languages:
        problems.append(
            f"kiosk.default_language {kiosk.default_language!r} must be one of kiosk.languages"
        )
    session = sections["session"]
    if session.idle_warning_s >= session.idle_timeout_s:
        problems.append("session.idle_warning_s must be shorter than session.idle_timeout_s")
    if problems:
        raise ConfigError(problems, source)
    return Config(**sections, source=source)


def load(path: str | os.PathLike[str] | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read the configuration from ``path``, else $KIOSK_CONFIG, else /etc/kiosk/kiosk.toml.

    ``overrides`` (section -> key -> value) is laid under the file: the file's
    keys win. The demo uses it for its embedded defaults.
    """
    chosen = Path(path or os.environ.get("KIOSK_CONFIG") or DEFAULT_PATH)
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"the file {chosen} does not exist"], str(chosen)) from None
    except OSError as exc:
        raise ConfigError([f"the file {chosen} cannot be read: {exc.strerror}"], str(chosen)) from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        raise ConfigError([f"not valid TOML: the file is not UTF-8 text (byte {exc.start})"],
                          str(chosen)) from None
    try:
        data = tomllib.loads(text)
    except ValueError as exc:
        # TOMLDecodeError, and ValueError for an integer too long to convert.
        raise ConfigError([f"not valid TOML: {exc}"], str(chosen)) from None
    return from_mapping(merge(overrides or {}, data), str(chosen))


def merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Two-level merge: keys of ``top`` replace those of ``base`` section by section."""
    merged: dict[str, Any] = {name: dict(values) for name, values in base.items()}
    for name, values in top.items():
        if isinstance(values, Mapping) and isinstance(merged.get(name), dict):
            merged[name].update(values)
        else:
            merged[name] = values
    return merged

"""Fuzz: the configuration file a technician edits by hand (`kiosk.config.load`).

What is fuzzed: the bytes of kiosk.toml. Valid TOML with known and unknown
sections and keys holding values of every TOML type (strings, integers of
any length, floats with nan/inf, booleans, dates, arrays, nested tables);
broken TOML (random text, random bytes, non-UTF-8, a valid file with a few
characters changed); and, for a handful of examples, the same files given to
``kiosk doctor --json --config`` in a subprocess.

"Handled" means: `load` returns a `Config` or raises `ConfigError`, and every
problem it lists names a key (``section.key`` or ``[section]``) or says the
file is not valid TOML; nothing else ever comes out. The doctor exits 0 or 1
and prints one JSON report.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kiosk import config as cfg
from tests.fuzz_profiles import fuzz

KNOWN_KEYS = {name: [f.name for f in fields(cls)] for name, cls in cfg.SECTIONS.items()}


def _problem_is_named(problem: str) -> bool:
    """A problem names a key, a section, or says the file itself is unusable TOML."""
    if problem.startswith(("not valid TOML", "the file ")):
        return True
    if problem.startswith("["):
        return "]" in problem
    return any(problem.startswith(f"{section}.") for section in cfg.SECTIONS)


def load_text(data: bytes) -> cfg.Config | cfg.ConfigError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "kiosk.toml")
        path.write_bytes(data)
        try:
            return cfg.load(path)
        except cfg.ConfigError as exc:
            return exc


def assert_handled(data: bytes) -> None:
    outcome = load_text(data)
    if isinstance(outcome, cfg.ConfigError):
        assert outcome.problems, "a ConfigError lists at least one problem"
        for problem in outcome.problems:
            assert _problem_is_named(problem), f"problem names no key: {problem!r}"
    else:
        assert isinstance(outcome, cfg.Config)


# ---------------------------------------------------------------- TOML writing

def _toml_string(text: str) -> str:
    # JSON string escapes are TOML basic-string escapes; a lone surrogate
    # (\udxxx) is not valid TOML, which makes a broken file: also wanted.
    return json.dumps(text)


def _toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) else _toml_string(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value)  # 'inf', '-inf', '1e+300', '0.5' are all TOML
    if isinstance(value, Digits):
        return value.text
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return value.isoformat()  # dates and datetimes


class Digits:
    """An integer literal too long for Python's int() limit (written as text, never converted)."""

    def __init__(self, text: str) -> None:
        self.text = text


scalars = (
    st.text(max_size=30)
    | st.sampled_from(["", " ", "ka", "en", "ru", "http://[::1", "https://", "tcp://h:1", "usb://zz",
                       "scrypt$x", "file:///dev/null", "http://127.0.0.1:9"])
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=10**300, max_value=10**320)
    | st.builds(Digits, st.integers(4301, 6000).map(lambda n: "9" * n))
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.dates()
    | st.datetimes()
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=2), max_leaves=5)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, dict[str, object]]:
    """Known and unknown sections, known and unknown keys, values of any TOML type."""
    names = draw(st.lists(st.sampled_from(sorted(cfg.SECTIONS)) | st.text(min_size=1, max_size=8),
                          max_size=4, unique=True))
    doc: dict[str, dict[str, object]] = {}
    for name in names:
        keys = st.sampled_from(KNOWN_KEYS.get(name) or ["x"]) | st.text(min_size=1, max_size=8)
        doc[name] = draw(st.dictionaries(keys, values, max_size=4))
    return doc


def to_toml(doc: dict[str, dict[str, object]]) -> str:
    lines = []
    for name, table in doc.items():
        lines.append(f"[{_toml_key(name)}]")
        lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


VALID_BASE = """\
[kiosk]
id = "fuzz-01"
site_name = "Fuzz house"
[portal]
url = "http://127.0.0.1:9"
connect_timeout_s = 0.5
read_timeout_s = 0.5
[printer]
connection = "file:///dev/null"
[storage]
dir = "STORAGE"
"""


# ---------------------------------------------------------------- tests

@fuzz(120)
@given(documents())
@example({"portal": {"url": "http://[::1"}})
@example({"portal": {"connect_timeout_s": 10**310}})
@example({"screen": {"width": Digits("9" * 5000)}})
def test_any_toml_document_gives_config_or_named_problems(doc: dict) -> None:
    assert_handled(to_toml(doc).encode("utf-8", "surrogatepass"))


@fuzz(150)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
@example(b"\xff\xfe[kiosk]\n")
@example(b"[kiosk]\nid = \"\xc3\x28\"\n")
def test_broken_files_give_config_error(data: bytes) -> None:
    assert_handled(data)


@fuzz(150)
@given(st.data())
def test_a_valid_file_with_a_few_characters_changed(data: st.DataObject) -> None:
    text = bytearray(VALID_BASE.replace("STORAGE", "/tmp/fuzz-kiosk").encode())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = data.draw(st.sampled_from(list(b"[]=\"'\n#.,{}\\ 0x\xff")) | st.integers(0, 255))
        if action == "insert":
            text.insert(at, byte)
        elif at < len(text):
            if action == "delete":
                del text[at]
            else:
                text[at] = byte
    assert_handled(bytes(text))


def test_the_valid_base_is_valid() -> None:
    """The mutation test starts from a file `load` accepts (else it tests nothing)."""
    assert isinstance(load_text(VALID_BASE.replace("STORAGE", "/tmp/x").encode()), cfg.Config)


def test_non_utf8_file_says_not_valid_toml() -> None:
    outcome = load_text(b"[kiosk]\nid = \"\xff\"\n")
    assert isinstance(outcome, cfg.ConfigError)
    assert outcome.problems == ["not valid TOML: the file is not UTF-8 text (byte 14)"]


def test_broken_ipv6_url_names_portal_url() -> None:
    outcome = load_text(b'[portal]\nurl = "http://[::1"\n')
    assert isinstance(outcome, cfg.ConfigError)
    assert outcome.problems[0].startswith("portal.url must be an http:// or https:// address")


def test_huge_integer_for_a_float_key_names_the_key() -> None:
    outcome = load_text(b"[portal]\nread_timeout_s = 1" + b"0" * 400 + b"\n")
    assert isinstance(outcome, cfg.ConfigError)
    assert outcome.problems[0].startswith("portal.read_timeout_s must be a number")


# ---------------------------------------------------------------- kiosk doctor

def run_doctor(data: bytes) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "kiosk.toml")
        path.write_bytes(data.replace(b"STORAGE", str(Path(folder, "data")).encode()))
        result = subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--json", "--config", str(path)],
                                capture_output=True, check=False, timeout=60, env=env)
    assert result.returncode in (0, 1), result.stderr.decode(errors="replace")[-2000:]
    report = json.loads(result.stdout)
    assert isinstance(report, dict) and isinstance(report.get("findings"), list)
    return result.returncode, report


@pytest.mark.slow
@fuzz(1)
@given(st.sampled_from([b"", b"\n"]) | documents().map(lambda d: to_toml(d).encode("utf-8", "surrogatepass")),
       st.booleans())
@example(b"\xff\xfe[kiosk]\n", False)
@example(b'[portal]\nurl = "http://[::1"\n', True)
def test_doctor_reports_json_for_any_file(extra: bytes, on_valid_base: bool) -> None:
    """On its own (mostly refused) or appended to a valid file (storage in a temp folder,
    portal on a closed local port): exit 0/1 and a JSON report, never a traceback."""
    data = (VALID_BASE.encode() + b"\n" + extra) if on_valid_base else extra
    code, report = run_doctor(data)
    assert report["findings"], "the doctor always reports the configuration finding"
    assert report["findings"][0]["check"] == "configuration"

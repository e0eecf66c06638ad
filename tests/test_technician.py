"""The technician PIN: slow hash, `kiosk hash-pin`, and lockouts that double and survive restarts."""

from __future__ import annotations

import io
import json

import pytest

from kiosk.cli import main
from kiosk.config import from_mapping
from kiosk.technician import (
    FIRST_LOCK_S,
    MAX_LOCK_S,
    Accepted,
    Disabled,
    LockedOut,
    TechnicianGate,
    Wrong,
    hash_pin,
    parse_hash,
    verify_pin,
)

# A cheap hash for the many checks below; the real cost is measured on its own.
FAST = {"n": 2**10}


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pin(text: str) -> bytearray:
    return bytearray(text.encode())


@pytest.fixture
def gate_parts(tmp_path):
    return hash_pin("4711", **FAST), tmp_path / "lockout.json", FakeClock()


def test_the_hash_has_the_configured_form_and_the_config_accepts_it() -> None:
    made = hash_pin("4711")
    assert made.startswith("scrypt$32768$8$1$")
    parsed = parse_hash(made)
    assert len(parsed.salt) == 16 and len(parsed.digest) == 32
    assert hash_pin("4711") != made  # a fresh salt each time
    config = from_mapping({"maintenance": {"pin_hash": made}})
    assert config.maintenance.pin_hash == made


def test_the_default_cost_is_scrypt_n_2_15_r_8_p_1() -> None:
    """The cost is asserted by its parameters (n=2**15, r=8: 32 MB per check), not by a
    timing, which a loaded machine moves: a `< 0.6 s` bound failed with a field trial
    running on the same two cores."""
    made = hash_pin("4711")
    parsed = parse_hash(made)
    assert (parsed.n, parsed.r, parsed.p) == (2**15, 8, 1)
    assert verify_pin(bytearray(b"4711"), made)
    assert not verify_pin(bytearray(b"4712"), made)


@pytest.mark.parametrize("bad", ["scrypt$1$8$1$AA==$AA==", "scrypt$x$8$1$AA==$AA==", "bcrypt$...",
                                 "scrypt$1024$8$1$@@$AA==", f"scrypt${2**24}$8$1$AA==$AA=="])
def test_malformed_or_too_costly_hashes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_hash(bad)


def test_wrong_pins_lock_out_for_doubling_intervals_up_to_an_hour(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    gate = TechnicianGate(pin_hash, path, clock)
    assert gate.check(pin("0000")) == Wrong(2)
    assert gate.check(pin("0001")) == Wrong(1)
    assert gate.check(pin("0002")) == LockedOut(FIRST_LOCK_S)
    clock.now += 10
    # Even the right PIN is not checked while locked.
    assert gate.check(pin("4711")) == LockedOut(FIRST_LOCK_S - 10)
    lengths = []
    for _ in range(10):
        clock.now += gate.seconds_locked()
        result = gate.check(pin("9999"))
        assert isinstance(result, LockedOut)
        lengths.append(result.seconds_left)
    assert lengths[:5] == [60, 120, 240, 480, 960]
    assert lengths[-1] == MAX_LOCK_S and max(lengths) == MAX_LOCK_S


def test_the_right_pin_opens_and_resets_the_count(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    gate = TechnicianGate(pin_hash, path, clock)
    for wrong in ("1", "2", "3"):
        gate.check(pin(wrong))
    clock.now += FIRST_LOCK_S
    assert gate.check(pin("4711")) == Accepted()
    assert gate.check(pin("0000")) == Wrong(2)  # three fresh tries after a success


def test_a_restart_does_not_reset_the_lockout(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    first = TechnicianGate(pin_hash, path, clock)
    for wrong in ("1", "2", "3"):
        first.check(pin(wrong))
    clock.now += FIRST_LOCK_S  # the first lockout ends...
    assert isinstance(first.check(pin("4")), LockedOut)  # ...and the next wrong PIN locks for 60 s
    clock.now += 5
    restarted = TechnicianGate(pin_hash, path, clock)
    assert restarted.check(pin("4711")) == LockedOut(55)
    clock.now += 55
    assert restarted.check(pin("0")) == LockedOut(120)  # the doubling went on across the restart
    assert json.loads(path.read_text())["lockouts"] == 3
    assert path.stat().st_mode & 0o777 == 0o600


def test_wrong_tries_before_a_lockout_also_survive_a_restart(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    TechnicianGate(pin_hash, path, clock).check(pin("1"))
    TechnicianGate(pin_hash, path, clock).check(pin("2"))
    assert TechnicianGate(pin_hash, path, clock).check(pin("3")) == LockedOut(FIRST_LOCK_S)


def test_a_damaged_state_file_locks_rather_than_hands_out_tries(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    path.write_text("{not json")
    gate = TechnicianGate(pin_hash, path, clock)
    assert gate.check(pin("4711")) == LockedOut(FIRST_LOCK_S)


def test_a_clock_set_back_does_not_lengthen_a_lockout(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    gate = TechnicianGate(pin_hash, path, clock)
    for wrong in ("1", "2", "3"):
        gate.check(pin(wrong))
    clock.now -= 86_400 * 365
    assert gate.seconds_locked() == FIRST_LOCK_S


def test_the_pin_buffer_is_wiped_whatever_the_answer(gate_parts) -> None:
    pin_hash, path, clock = gate_parts
    gate = TechnicianGate(pin_hash, path, clock)
    for text in ("4711", "0000", "0000", "0000", "4711"):
        buffer = pin(text)
        gate.check(buffer)
        assert buffer == bytearray(len(text))
    disabled = TechnicianGate("", path, clock)
    buffer = pin("4711")
    assert disabled.check(buffer) == Disabled() and buffer == bytearray(4)


def test_an_empty_hash_keeps_the_door_closed(tmp_path) -> None:
    gate = TechnicianGate("", tmp_path / "s.json")
    assert not gate.enabled
    assert all(gate.check(pin(p)) == Disabled() for p in ("", "0000", "1234"))
    assert not (tmp_path / "s.json").exists()


def test_hash_pin_command_from_stdin(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("4711\n"))
    assert main(["hash-pin", "--stdin"]) == 0
    out, err = capsys.readouterr()
    line = out.strip()
    assert line.startswith('pin_hash = "scrypt$') and "4711" not in out + err
    made = line.split('"')[1]
    assert verify_pin(bytearray(b"4711"), made) and not verify_pin(bytearray(b"4710"), made)


def test_hash_pin_command_asks_twice_and_refuses_a_mismatch(monkeypatch, capsys) -> None:
    answers = iter(["4711", "4712"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["hash-pin"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "differ" in err
    answers = iter(["123456", "123456"])
    assert main(["hash-pin"]) == 0
    assert verify_pin(bytearray(b"123456"), capsys.readouterr().out.split('"')[1])


@pytest.mark.parametrize("bad", ["12a4", "123", "1" * 13, "١٢٣٤"])
def test_hash_pin_command_refuses_what_the_pin_pad_cannot_type(monkeypatch, capsys, bad) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(bad + "\n"))
    assert main(["hash-pin", "--stdin"]) == 1
    assert capsys.readouterr().out == ""

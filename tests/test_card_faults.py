"""The virtual card's ``--fault`` specs: parsed exactly, refused clearly, and obeyed by
the `kiosk virtual-card` child process a technician or the demo runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from devices.virtual_card import Faults

UNKNOWN_ATR = "3B8F8001804F0CA000000306030001000000006A"


def test_every_fault_form_parses_to_its_field():
    faults = Faults.parse(["remove-at=7", "mute-at=3", "sw-at=2:6F00", "sw-at=5:6982",
                           "slow=0.25", "bad-contacts=2", f"atr={UNKNOWN_ATR}"])
    assert faults.remove_at_apdu == 7
    assert faults.mute_at_apdu == 3
    assert faults.status_at_apdu == {2: 0x6F00, 5: 0x6982}
    assert faults.delay_s == 0.25
    assert faults.bad_contacts == 2
    assert faults.atr == bytes.fromhex(UNKNOWN_ATR)
    assert Faults.parse([]) == Faults()
    assert Faults.parse(["atr=3B 8A 80 01"]).atr == bytes.fromhex("3B8A8001")


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("bogus=1", "unknown fault 'bogus'"),
        ("remove-at", "NAME=VALUE"),
        ("remove-at=", "NAME=VALUE"),
        ("remove-at=x", "not an APDU number"),
        ("mute-at=0", "not an APDU number"),
        ("sw-at=3", "4 hex digits"),
        ("sw-at=3:6F", "4 hex digits"),
        ("sw-at=3:zz00", "invalid literal"),
        ("sw-at=-1:6F00", "not an APDU number"),
        ("slow=abc", "could not convert"),
        ("slow=-1", "0 to 60"),
        ("bad-contacts=-2", "0 or more"),
        ("atr=zz", "non-hexadecimal"),
        ("atr=3B", "2 to 33 bytes"),
    ],
)
def test_bad_specs_are_refused_naming_the_spec(spec, says):
    with pytest.raises(ValueError, match="fault ") as error:
        Faults.parse(["slow=0", spec])
    message = str(error.value)
    assert repr(spec) in message and says in message, message


@pytest.mark.pcsc
def test_cli_card_with_a_fault_plays_it(pcsc, test_pki, reader_service):
    _, seen = reader_service()
    seen.wait_for("no_card")
    child = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "virtual-card", "--vpcd", f"127.0.0.1:{pcsc.port}",
         "--pki", str(test_pki.dir), "--fault", f"atr={UNKNOWN_ATR}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ),
    )
    try:
        unknown = seen.wait_for("unknown_card", timeout=8)
        assert unknown.atr == bytes.fromhex(UNKNOWN_ATR)
        assert unknown.card is None
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        pcsc.wait_slot_empty()


def test_cli_refuses_a_bad_fault_in_a_line_not_a_traceback(test_pki, capsys) -> None:
    from kiosk.cli import main

    code = main(["virtual-card", "--pki", str(test_pki), "--fault", "remove_at=zero"])
    out = capsys.readouterr()
    assert code == 2 and "remove_at=zero" in out.out and "Traceback" not in out.out + out.err

"""`kiosk virtual-card` as a child process and `kiosk test-pki`, through the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from kiosk.cli import main
from tests.secret_search import holds_secret


@pytest.mark.pcsc
def test_virtual_card_child_process_insert_remove_and_exit(pcsc, test_pki, reader_service):
    _, seen = reader_service()
    seen.wait_for("no_card")
    child = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "virtual-card", "--vpcd", f"127.0.0.1:{pcsc.port}",
         "--pki", str(test_pki.dir), "--citizen", "second", "--pin", "4321",
         "--atr-profile", "geo-new"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ),
    )
    try:
        ready = seen.wait_for("ready", timeout=8)
        assert type(ready.card).__name__ == "GeorgiaV1Card"
        assert ready.card.verify_pin(bytearray(b"4321")).ok
        mark = len(seen.states)
        child.send_signal(signal.SIGUSR1)  # pull the card out
        seen.wait_for("no_card", after=mark)
        assert pcsc.wait_slot_empty()
        child.send_signal(signal.SIGUSR2)  # and back in
        again = seen.wait_for("ready", after=mark)
        assert again.card_session_id != ready.card_session_id
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
        output = child.stdout.read().decode()
        assert not holds_secret(output, "4321")  # the PIN is not echoed into the log
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        pcsc.wait_slot_empty()


def test_test_pki_command_makes_demo_and_extra_citizens(tmp_path, capsys):
    assert main(["test-pki", "--out", str(tmp_path), "--citizen", "extra:01001000001:ანა:ხაჩიძე"]) == 0
    for name in ("root-ca.pem", "chain.pem", "auth-ca.crl.pem", "citizen.key", "expired.pem",
                 "revoked.pem", "extra.pem"):
        assert (tmp_path / name).exists(), name
    assert "trusted_root" in capsys.readouterr().out
    assert main(["test-pki", "--out", str(tmp_path), "--citizen", "bad:123:a:b"]) == 2

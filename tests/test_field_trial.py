"""The field trial, short: a handful of citizens, faults and a kill -9, nothing lost or leaked.

`bench/field_trial.py` runs the whole kiosk (`kiosk run` under Xvfb,
restarted by a supervisor when killed) against the portal simulator, the
printer stand-in and a private pcscd with virtual cards. Here it runs as a
child process (it sets PCSCLITE_CSOCK_NAME for itself, which must not leak
into this test worker) with few citizens, a kill every few of them and the
seed's faults; the long run's table is in the README's "Reliability".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devices.pcsc_stack import can_run_private_pcscd

REPO = Path(__file__).resolve().parents[1]
# Two kiosk start-ups (one after the kill) and eight visits: about a minute on a loaded 2-core machine.
pytestmark = [pytest.mark.ui, pytest.mark.pcsc, pytest.mark.slow, pytest.mark.timeout(300)]


def test_short_field_trial_loses_duplicates_and_leaks_nothing(tmp_path: Path) -> None:
    reason = can_run_private_pcscd()
    if reason is not None:
        pytest.skip(reason)
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "field_trial.py"), "--citizens", "8", "--seed", "11",
         "--kill-every", "5", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=280, cwd=REPO, check=False)
    output = run.stdout + run.stderr
    result_path = tmp_path / "result.json"
    assert result_path.exists(), output[-3000:]
    result = json.loads(result_path.read_text())
    assert result["citizens"] == 8
    assert result["submissions_accepted"] >= 3, output[-3000:]
    assert result["lost"] == 0 and result["duplicated"] == 0, result["visits"]
    assert result["delivered_exactly_once"] == result["submissions_accepted"]
    assert result["leaks"] == 0, result["leak_examples"]
    assert result["pin_found"] == 0, result["pin_hits"]
    assert result["receipts_missing"] == 0, result["visits"]
    assert result["kills"] >= 1 and result["restarts"] >= result["kills"]
    assert result["unrecovered"] == 0, result["visits"]
    assert run.returncode == 0, output[-3000:]
    assert "| citizens | submissions accepted |" in run.stdout

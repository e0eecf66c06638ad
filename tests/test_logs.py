"""Structured logging: the current stream per line, and no loop through a redirected stderr."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import io, logging, sys
from kiosk.logs import event, setup_logging
setup_logging()
captured = io.StringIO()
real, sys.stderr = sys.stderr, captured
event(logging.getLogger("t"), "to the current stream", personal_number="01001012345")
sys.stderr = real
assert "to the current stream" in captured.getvalue(), captured.getvalue()
assert "01001012345" not in captured.getvalue(), "personal numbers are redacted"

class LoggingStream:  # what Kivy puts in place of sys.stderr
    def write(self, text):
        if text.strip():
            logging.getLogger("kivy").warning("stderr: %s", text.strip())
    def flush(self):
        pass

sys.stderr = LoggingStream()
event(logging.getLogger("t"), "through a redirect")
sys.stderr = real
print("done")
"""


def test_lines_follow_the_current_stream_and_never_loop() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "done"
    assert "through a redirect" in result.stderr, "the looped line reaches the real stderr once"
    assert "RecursionError" not in result.stderr


def test_redact_masks_eleven_digit_runs() -> None:
    from kiosk.logs import redact

    assert redact("pn=01001012345 ref=K7-2611-0042") == "pn=010******** ref=K7-2611-0042"

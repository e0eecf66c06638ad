"""Kivy's start-up complaints that mean nothing on a kiosk stay out of the technician's errors.

screens/boot.py demotes them to INFO on Kivy's own logger (KIVY_LOG_MODE=PYTHON
makes it logging's "kivy"): the journal still has them, the maintenance
screen's "recent errors" (WARNING and up) no longer opens with them.
"""

from __future__ import annotations

import logging

from kiosk.recent_errors import RecentErrors
from screens.boot import KivyNoise, quiet_kivy_noise


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_known_noise_is_demoted_and_real_errors_are_kept() -> None:
    kivy_logger = logging.getLogger("kivy")
    errors, journal = RecentErrors(capacity=5), Everything()
    kivy_logger.addHandler(errors)
    kivy_logger.addHandler(journal)
    try:
        quiet_kivy_noise()
        quiet_kivy_noise()  # twice: still one filter
        assert sum(isinstance(f, KivyNoise) for f in kivy_logger.filters) == 1
        kivy_logger.critical("Cutbuffer: Unable to find any valuable Cutbuffer provider. Please "
                             "enable debug logging\nxclip - FileNotFoundError: ...")
        kivy_logger.warning("Config: Older configuration version detected (0 instead of 27)")
        kivy_logger.critical("Window: Unable to find any valuable Window provider.")
        assert [e["message"][:6] for e in errors.recent()] == ["Window"]
        assert [r.levelname for r in journal.records] == ["INFO", "INFO", "CRITICAL"]
    finally:
        kivy_logger.removeHandler(errors)
        kivy_logger.removeHandler(journal)
        for noise_filter in [f for f in kivy_logger.filters if isinstance(f, KivyNoise)]:
            kivy_logger.removeFilter(noise_filter)

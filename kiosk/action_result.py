"""What a maintenance action returns, and its sentences in the technician's language.

The actions (kiosk/maintenance.py) run in the core, which has no language of
its own; the screen shows `ActionResult.text(language)`. Each sentence is a
msgid of kiosk/locale/*/maintenance.po with ``{name}`` fields, so a new one
needs its Georgian and Russian there (tests/test_maintenance.py checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.i18n import N_, translate


@dataclass(frozen=True)
class ActionResult:
    """What the screen shows after a button: ``ok``, a sentence for the technician, and data.

    ``message`` is a msgid of kiosk/locale/*/maintenance.po with ``{name}``
    fields filled from ``values``: `text(language)` is the sentence in the
    language the maintenance screen shows.
    """

    action: str
    ok: bool
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    available: bool = True  # False: the part this action needs is not in this kiosk
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        return translate(language, self.message, **self.values)


_MISSING_PART = {
    "printer": N_("not available: this kiosk has no printer"),
    "receipt journal": N_("not available: this kiosk has no receipt journal"),
    "forwarder": N_("not available: this kiosk has no forwarder"),
    "outbox": N_("not available: this kiosk has no outbox"),
    "card reader": N_("not available: this kiosk has no card reader"),
}


def not_available(action: str, part: str) -> ActionResult:
    return ActionResult(action, False, _MISSING_PART[part], available=False)

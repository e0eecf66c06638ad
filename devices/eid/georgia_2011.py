"""The 2011-generation Georgian eID card.

No public APDU specification exists; its profile (profiles/geo-2011.json)
follows the closest public flow, and so does this class: the generic ISO
7816 PKI flow without changes. When a real card shows a difference, the
override belongs here.
"""

from __future__ import annotations

from devices.eid.card import register_family
from devices.eid.iso_pki import IsoPkiCard


@register_family
class Georgia2011Card(IsoPkiCard):
    family = "georgia-2011"

"""The project's virtual test card (devices/virtual_card.py) as a card family.

It runs the generic flow; it exists as its own family so that a kiosk can
refuse it by profile (``test_only``) and so that the generic flow is tested
against a card whose answers use response chaining (61xx) and Le correction
(6Cxx), as some real cards do.
"""

from __future__ import annotations

from devices.eid.card import register_family
from devices.eid.iso_pki import IsoPkiCard


@register_family
class VirtualTestCard(IsoPkiCard):
    family = "virtual"

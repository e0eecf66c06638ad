"""The Georgian eID card listed in 2025 (historical bytes "GeorgiaEIDv1").

Field reports in public code say this card wants SELECT MF before anything
else and answers GET DATA only with class byte 80 (it rejects ``00 CA``
with 6A88). So activation selects the master file first, and GET DATA uses
the profile's ``get_data_cla``.
"""

from __future__ import annotations

from devices.apdu import SW_OK, command
from devices.eid.card import CardStatusError, register_family
from devices.eid.iso_pki import IsoPkiCard

MF_FILE_ID = bytes.fromhex("3F00")


@register_family
class GeorgiaV1Card(IsoPkiCard):
    family = "georgia-v1"

    def activate(self) -> None:
        response = self._send(command(self.profile.cla, 0xA4, 0x00, 0x0C, MF_FILE_ID))
        if response.sw != SW_OK:
            raise CardStatusError("select MF", response.sw)
        super().activate()

    def get_data(self, p1: int, p2: int) -> bytes:
        """GET DATA with the class byte this card accepts (80, not 00)."""
        response = self._send(command(self.profile.get_data_cla, 0xCA, p1, p2, le=0))
        return self._expect(response, "GET DATA").data

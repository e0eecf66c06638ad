"""eID cards: the `EidCard` interface, one class per card family, profiles as data.

Importing the package registers every family class with the ATR factory
(`devices.eid.card.card_for_atr`).
"""

from devices.eid import georgia_2011, georgia_v1, virtual  # noqa: F401  (registration)
from devices.eid.card import (
    CardCommunicationError,
    CardError,
    CardRemovedError,
    CardStatusError,
    EidCard,
    PinResult,
    PinStatus,
    UnknownCardError,
    card_for_atr,
)

__all__ = [
    "CardCommunicationError",
    "CardError",
    "CardRemovedError",
    "CardStatusError",
    "EidCard",
    "PinResult",
    "PinStatus",
    "UnknownCardError",
    "card_for_atr",
]

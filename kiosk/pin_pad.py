"""The PIN pad's memory and key order, without a window.

The PIN's digits are typed into one bytearray of the PIN's length, made
once and never grown: a growing buffer is reallocated, and the old block
is freed with the digits still in it where nothing can wipe them. Handing
the PIN over copies it into a buffer of exactly that size for the card
and zeroes the pad's own.
"""

from __future__ import annotations

import secrets
from random import Random

PIN_LENGTH = 4  # the Georgian eID PIN
STANDARD_ORDER = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")


class PinPad:
    """Up to ``max_length`` typed digits (the card's PIN_LENGTH by default), kept in one fixed buffer."""

    def __init__(self, max_length: int = PIN_LENGTH) -> None:
        self.max_length = max_length
        self._digits = bytearray(max_length)
        self.length = 0

    def press(self, digit: str) -> bool:
        """Take one digit; False when it is not a digit or the pad is full."""
        # ASCII only: str.isdigit() also takes "٣" and "²", which the card would not.
        if self.length >= self.max_length or len(digit) != 1 or digit not in "0123456789":
            return False
        self._digits[self.length] = ord(digit)
        self.length += 1
        return True

    @property
    def complete(self) -> bool:
        return self.length == self.max_length

    def hand_over(self) -> bytearray:
        """The typed PIN in a buffer of its own (whoever takes it wipes it); the pad's is wiped."""
        pin = bytearray(self.length)
        # Through a memoryview: a slice of the bytearray would be one more copy left to the allocator.
        pin[:] = memoryview(self._digits)[:self.length]
        self.wipe()
        return pin

    def wipe(self) -> None:
        for i in range(self.max_length):
            self._digits[i] = 0
        self.length = 0


def key_order(shuffled: bool, rng: Random | None = None) -> list[str]:
    """The ten keys in the order the pad shows them.

    Shuffled afresh for each PIN when the configuration asks for it, so
    someone watching cannot learn the PIN from where the finger went.
    """
    order = list(STANDARD_ORDER)
    if shuffled:
        (rng or secrets.SystemRandom()).shuffle(order)
    return order

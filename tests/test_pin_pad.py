"""The PIN pad's buffer and key order, without a window (kiosk/pin_pad.py)."""

from __future__ import annotations

from random import Random

from kiosk.pin_pad import PIN_LENGTH, STANDARD_ORDER, PinPad, key_order


def test_digits_stay_in_one_buffer_that_never_grows_and_is_wiped_when_handed_over() -> None:
    pad = PinPad()
    buffer = pad._digits
    for digit in "73917":  # a fifth digit is refused
        pad.press(digit)
    assert pad._digits is buffer and len(buffer) == PIN_LENGTH and pad.complete
    pin = pad.hand_over()
    assert pin == bytearray(b"7391") and pin is not buffer
    assert buffer == bytearray(PIN_LENGTH) and pad.length == 0 and not pad.complete


def test_only_single_digits_are_taken() -> None:
    pad = PinPad()
    assert [pad.press(key) for key in ("x", "12", "", "٣", "5")] == [False, False, False, False, True]
    assert pad.hand_over() == bytearray(b"5")


def test_a_longer_pad_hands_over_just_what_was_typed() -> None:
    pad = PinPad(max_length=8)
    for digit in "471100":
        pad.press(digit)
    assert pad.hand_over() == bytearray(b"471100") and pad._digits == bytearray(8)


def test_wipe_zeroes_a_half_typed_pin() -> None:
    pad = PinPad()
    pad.press("9")
    pad.press("8")
    pad.wipe()
    assert pad._digits == bytearray(PIN_LENGTH) and pad.length == 0


def test_key_order_standard_or_freshly_shuffled() -> None:
    assert key_order(shuffled=False) == list(STANDARD_ORDER)
    rng = Random(7)
    orders = [key_order(shuffled=True, rng=rng) for _ in range(5)]
    assert all(sorted(order) == sorted(STANDARD_ORDER) for order in orders)
    assert len({tuple(order) for order in orders}) > 1, "a fresh order each time"
    assert any(order != list(STANDARD_ORDER) for order in orders)
    shuffled = key_order(shuffled=True)  # the system's randomness
    assert sorted(shuffled) == sorted(STANDARD_ORDER)

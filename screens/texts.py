"""Citizen-facing sentences chosen by a reason code rather than written in a layout.

Each error says, in plain words, what happened and what to do next; when
the kiosk cannot help, it says to go to the counter. The msgids are the
English texts (translated in kiosk/locale/*/LC_MESSAGES/shell.po).
"""

from __future__ import annotations

from kiosk.i18n import N_

COUNTER = N_("Please go to the counter; a staff member will help you.")

# reason -> (title, what to do). Reasons come from the visit machine
# (`machine.reason`) as set by the controller.
ERRORS: dict[str, tuple[str, str]] = {
    "card_error": (
        N_("Your card could not be read"),
        N_("Take the card out, check that the chip is clean and facing up, and insert it again. "
           "If it still does not work, please go to the counter."),
    ),
    "unknown_card": (
        N_("This card is not a Georgian ID card"),
        N_("This kiosk works with the Georgian electronic ID card. "
           "Take this card out and insert your ID card, or log in with your username and password."),
    ),
    "card_expired": (
        N_("Your ID card has expired"),
        N_("An expired card cannot be used to log in. Please go to the counter to apply for a new card."),
    ),
    "card_revoked": (
        N_("Your ID card is no longer valid"),
        N_("This card has been cancelled. Please go to the counter; a staff member will tell you why "
           "and what to do."),
    ),
    "portal_error": (
        N_("The service is not answering"),
        N_("The citizen portal did not answer. Please try again in a few minutes, "
           "or go to the counter."),
    ),
    "portal_offline": (
        N_("The kiosk is not connected"),
        N_("Logging in with a username and password needs the internet, and the connection is down. "
           "Please use your ID card, or go to the counter."),
    ),
    "reader_missing": (
        N_("The card reader is not working"),
        N_("This kiosk cannot read cards right now. Please use another kiosk or go to the counter."),
    ),
    # Login reasons from kiosk/login.py that used to fall to the general text.
    "pin_error": (
        N_("The PIN could not be checked"),
        N_("The card did not answer while the PIN was checked. Take the card out, insert it again and "
           "enter your PIN once more. If it happens again, please go to the counter."),
    ),
    "challenge_expired": (
        N_("Logging in took too long"),
        N_("For your safety, logging in must finish within a few minutes. Take the card out, insert it "
           "again and enter your PIN."),
    ),
    "revocation_unknown": (
        N_("Your card cannot be checked right now"),
        N_("The kiosk cannot check with the issuer whether your card is still valid. Please try again "
           "in a few minutes, or go to the counter."),
    ),
    "bad_signature": (
        N_("Your card could not be verified"),
        N_("The kiosk could not confirm that this card is genuine. Please take your card and go to the "
           "counter; a staff member will help you."),
    ),
}
# The portal's and the reader's own names for the same situations.
ERRORS["no_reader"] = ERRORS["reader_missing"]
ERRORS["certificate_expired"] = ERRORS["card_expired"]
ERRORS["certificate_revoked"] = ERRORS["card_revoked"]
ERRORS["unknown_issuer"] = ERRORS["unknown_card"]
DEFAULT_ERROR = (
    N_("Something went wrong"),
    N_("Your visit could not continue. Please start again, or go to the counter."),
)


def error_text(reason: str) -> tuple[str, str]:
    """The (title, body) msgids for an error reason; a safe default for unknown ones."""
    return ERRORS.get(reason, DEFAULT_ERROR)


# States whose screens other parts of the kiosk are still building: the
# shell shows a plain page with a way back rather than a blank window.
PENDING_TITLES: dict[str, str] = {
    "password": N_("Log in with username and password"),
    "first_login": N_("Your contact details"),
    "category": N_("Services"),
    "service": N_("Services"),
    "confirm": N_("Check your request"),
    "submitting": N_("Sending your request…"),
    "result": N_("Your request"),
    "help": N_("Help"),
}

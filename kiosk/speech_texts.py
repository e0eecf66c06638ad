"""What the voice guide says on each screen: fixed sentences, translated in speech.po.

A listener cannot glance back at the screen, so each text says where the
citizen is, what to do next and, where it helps, which button does it, in
plain words. The msgids are English (gettext domain ``speech``: kiosk/locale/
{ka,en,ru}/LC_MESSAGES/speech.po). Button names follow the shell's labels
(screens/texts.py, shell.po) so what is heard matches what is written.
Nothing personal is ever part of these fixed texts. The one exception is
`answer_reading`: a letter's answer that the citizen opened is read into
their own headset, in the voice of the language it is written in (an
agency's Georgian answer in the Georgian voice, whatever the citizen's
language), with the words around it in the citizen's language.
"""

from __future__ import annotations

import re
from typing import Any

from kiosk.i18n import N_, translate

# The keypad beside the headset jack (an EZ-Access-like layout): up/down
# arrows move the focus, the green key presses, the help key repeats, + and -
# change the volume. Said on the first screen and in help.
NAV_HINT = N_("Use the up and down arrow keys to move between buttons and the round green key to press "
              "the button you hear. The help key repeats what was said, and the plus and minus keys "
              "change the volume.")
COUNTER = N_("If you need help, please go to the counter; a staff member will help you.")
# The buttons' own labels (screens/app.py): "OK, finish" and "Take my card and finish".
TAKE_CARD = N_("Then press OK, finish, and take your card.")
BLOCKED_END = N_("Then press Take my card and finish.")

# The attract screen while the card reader is missing (screens/attract.kv shows the same):
# the password login needs the network, so offline only the counter is left.
READER_MISSING = N_("Welcome to the Justice House kiosk. The card reader is not working right now. You "
                    "can log in with your username and password, or go to the counter; a staff member "
                    "will help you.")
READER_MISSING_OFFLINE = N_("Welcome to the Justice House kiosk. This kiosk cannot read cards right now. "
                            "Please use another kiosk or go to the counter; a staff member will help you.")
SCREENS: dict[str, str] = {
    "attract": N_("Welcome to the Justice House kiosk. To begin, insert your ID card into the card "
                  "reader below the screen, chip first, with the photo facing up."),
    "reading_card": N_("Reading your card. Please wait, and keep the card in the reader."),
    "pin": N_("Enter the 4-digit PIN of your ID card on the number keys. Each digit sounds as a short "
              "beep; digits are never read aloud. Then press OK."),
    "authenticating": N_("Checking your details. Please wait; this takes a few seconds."),
    "password": N_("Log in with the username and password of your citizen portal account. Type them "
                   "on the keyboard, then press Log in."),
    "first_login": N_("This is your first time on the citizen portal. Please enter your mobile phone "
                      "number and e-mail address, then press Save."),
    "home": N_("You are logged in. Choose a group of services. When you have finished, press Log out "
               "and take your card."),
    "category": N_("Choose a service from the list. Press Back to return to the groups of services."),
    "service": N_("Fill in the form for this service. Each field is read out when you move to it. "
                  "When you have finished, press Continue."),
    "confirm": N_("Check your request. Press Confirm to send it, or Change to correct it."),
    "submitting": N_("Sending your request. Please wait, and do not take out your card."),
    "result": N_("Your request has been accepted. If a receipt is printed, take it from the slot below "
                 "the screen. Press Log out when you have finished, and take your card."),
    "help": N_("Help. At this kiosk you can use the citizen portal's services with your ID card and "
               "its PIN."),
    "pin_blocked": N_("Your PIN has been blocked after too many wrong tries. Please go to the counter "
                      "with the PUK code envelope you received with your card."),
    "out_of_service": N_("This kiosk is out of service. Please go to the counter; a staff member will "
                         "help you."),
}
SCREENS["help_overlay"] = SCREENS["help"]

# Error screen (machine.reason): what happened and what to do; TAKE_CARD follows.
DEFAULT_ERROR = N_("Something went wrong and your visit cannot continue. Please start again, or go "
                   "to the counter.")
ERROR_TEXTS: dict[str, str] = {
    "card_error": N_("Your card could not be read. Take the card out, check that the chip is clean "
                     "and facing up, and insert it again."),
    "unknown_card": N_("This card is not a Georgian ID card. Please insert your ID card, or log in "
                       "with your username and password."),
    "card_expired": N_("Your ID card has expired. Please go to the counter to apply for a new card."),
    "card_revoked": N_("Your ID card is no longer valid. Please go to the counter; a staff member will "
                       "tell you why."),
    "pin_blocked": SCREENS["pin_blocked"],  # the card blocked while logging in
    "portal_error": N_("The citizen portal is not answering. Please try again in a few minutes, or go "
                       "to the counter."),
    "portal_offline": N_("The kiosk is not connected to the internet. Please use your ID card, or go "
                         "to the counter."),
    "reader_missing": N_("The card reader is not working. Please use another kiosk, or go to the "
                         "counter."),
    # The same sentences as the error screens' bodies (screens/texts.py), so one translation serves both.
    "pin_error": N_("The card did not answer while the PIN was checked. Take the card out, insert it "
                    "again and enter your PIN once more. If it happens again, please go to the counter."),
    "challenge_expired": N_("For your safety, logging in must finish within a few minutes. Take the card "
                            "out, insert it again and enter your PIN."),
    "revocation_unknown": N_("The kiosk cannot check with the issuer whether your card is still valid. "
                             "Please try again in a few minutes, or go to the counter."),
    "bad_signature": N_("The kiosk could not confirm that this card is genuine. Please take your card and go "
                        "to the counter; a staff member will help you."),
}
# The portal's and the reader's own names for the same situations (as screens/texts.py).
ERROR_TEXTS["no_reader"] = ERROR_TEXTS["reader_missing"]
ERROR_TEXTS["certificate_expired"] = ERROR_TEXTS["card_expired"]
ERROR_TEXTS["certificate_revoked"] = ERROR_TEXTS["card_revoked"]
ERROR_TEXTS["unknown_issuer"] = ERROR_TEXTS["unknown_card"]

# Said before the screen's own text when a reason explains why we are here.
VISIT_ENDED = N_("Your visit has ended. Thank you. Please take your card if it is still in the reader.")
REASON_PREFIXES: dict[tuple[str, str], str] = {
    ("attract", "idle_timeout"): N_("Your visit ended because nothing was pressed for a while. Your "
                                    "details have been cleared from the screen."),
    ("attract", "session_cap"): N_("Your visit ended because the time for one visit ran out. Your "
                                   "details have been cleared from the screen."),
    ("attract", "card_removed"): N_("Your card was taken out, so your visit has ended. Your details "
                                    "have been cleared from the screen."),
    ("attract", "logout"): VISIT_ENDED,
    ("attract", "cancelled"): VISIT_ENDED,
    ("pin", "wrong_pin"): N_("The PIN was wrong."),
    ("password", "bad_credentials"): N_("The username or password was wrong. Please try again."),
}
NOT_SENT = N_("Your request was not sent.")
CONFIRM_REASONS: dict[str, str] = {
    "disk_full": N_("The kiosk cannot store requests right now. Please go to the counter."),
    "store_failed": N_("The kiosk cannot store requests right now. Please go to the counter."),
    "online_only_offline": N_("This service needs the internet, and the kiosk is offline now. Please "
                              "try again later, or go to the counter."),
    "payment_rejected": N_("The payment was refused. Please go to the counter for help."),
    "nothing_selected": N_("Nothing was selected. Please choose at least one item."),
    "portal_error": N_("The service is not answering. Please try again in a few minutes."),
    "service_unavailable": N_("The service is not answering. Please try again in a few minutes."),
}
TRIES_LEFT = N_("Tries remaining: {n}.")
# The service form's and confirm screen's printer note (screens/services.kv, receipt-note),
# said after the screen's text while the printer is not ready, and when it stops.
PRINTER_NOTE = N_("The receipt printer is not working right now, so your receipt will be shown on "
                  "the screen instead of printed. A staff member at the counter can help you keep it.")
PRINTER_NOTE_SCREENS = ("service", "confirm")

# A letter's answer (the request-answer overlay, screens/request_answer.py).
ANSWER_OPENED = N_("The answer to your letter.")
ANSWER_AGENCY = N_("From: {agency}.")
ANSWER_SUBJECT = N_("Subject:")
ANSWER_DATE = N_("Date: {date}.")
ANSWER_FOLLOWS = N_("The answer, as the agency wrote it:")
ANSWER_END = N_("End of the answer. The help key reads it again; press Back to my page to return.")
_SCRIPTS = (("ka", re.compile(r"[\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f]")),
            ("ru", re.compile(r"[\u0400-\u04ff]")), ("en", re.compile(r"[A-Za-z]")))

WARNING_EXTEND = N_("Are you still there? Your visit will end in {n} seconds. Press Continue to keep "
                    "going.")
WARNING_FINAL = N_("Your visit will end in {n} seconds. Please finish now; your details will then be "
                   "cleared.")


def instruction_msgids(screen: str, reason: str | None = None, reader_missing: bool = False,
                       online: bool = True) -> list[str]:
    """The msgids, in order, that make up a screen's spoken instructions."""
    reason = reason or ""
    if screen == "error":
        return [ERROR_TEXTS.get(reason, DEFAULT_ERROR), TAKE_CARD]
    parts: list[str] = []
    if (screen, reason) in REASON_PREFIXES:
        parts.append(REASON_PREFIXES[(screen, reason)])
    elif screen == "confirm" and reason:
        parts += [NOT_SENT, CONFIRM_REASONS.get(reason, "")]
    if screen == "pin_blocked":
        return [*parts, SCREENS["pin_blocked"], BLOCKED_END]
    if screen == "attract" and reader_missing:
        parts.append(READER_MISSING if online else READER_MISSING_OFFLINE)
    else:
        parts.append(SCREENS.get(screen, COUNTER))
    if screen in ("attract", "help", "help_overlay"):
        parts.append(NAV_HINT)
    if screen in ("help", "help_overlay"):
        parts.append(COUNTER)
    return [p for p in parts if p]


def screen_instructions(screen: str, language: str, reason: str | None = None, *,
                        tries_left: int | None = None, printer_ready: bool | None = None,
                        reader_missing: bool = False, online: bool = True, **_: Any) -> str:
    """A sentence or two telling a listener where they are and what to do, in ``language``.

    ``screen`` is a State value (or ``help_overlay``); ``reason`` is
    ``machine.reason`` (an error's cause, why a visit ended, a wrong PIN).
    ``printer_ready=False`` on the service form and the confirm screen adds
    what their receipt-note shows: the receipt will be on the screen.
    ``reader_missing`` on the attract screen says the reader is not working
    and what still works (with ``online`` False, the password login does
    not), instead of asking for the card.
    Unknown screens and reasons get a safe general text, never an exception.
    """
    msgids = instruction_msgids(screen, reason, reader_missing, online)
    texts = [translate(language, msgid) for msgid in msgids]
    if screen == "pin" and tries_left is not None and tries_left >= 0:
        # After "The PIN was wrong." when it was; else after the instructions.
        tries = translate(language, TRIES_LEFT, n=tries_left)
        if reason == "wrong_pin":
            texts.insert(1, tries)
        else:
            texts.append(tries)
    if printer_ready is False and screen in PRINTER_NOTE_SCREENS:
        texts.append(translate(language, PRINTER_NOTE))
    return " ".join(texts)


def printer_note(language: str) -> str:
    """The printer note alone, said when the printer stops while a form or confirm screen is shown."""
    return translate(language, PRINTER_NOTE)


def written_in(text: str, fallback: str) -> str:
    """The language whose voice should read ``text``: the script most of its letters are in.

    Georgian, Cyrillic (Russian) or Latin (English) letters; ``fallback`` when
    there are none (numbers, a date). "MG-20261125-0E38" inside a Georgian
    answer does not make it English.
    """
    counts = {lang: len(pattern.findall(text)) for lang, pattern in _SCRIPTS}
    best = max(counts, key=lambda lang: counts[lang])
    return best if counts[best] else fallback


def answer_reading(language: str, agency: str, subject: str, date: str,
                   answer: str) -> list[tuple[str, str]]:
    """What the guide says when a letter's answer opens: (voice language, text) parts, in order.

    The words around the answer are in ``language`` (the citizen's); the
    subject (the citizen's own words) and the answer (the agency's, as it
    came) are each read in the voice of the language they are written in.
    Consecutive parts in one language are joined.
    """
    parts: list[tuple[str, str]] = [(language, translate(language, ANSWER_OPENED))]
    if agency:
        parts.append((language, translate(language, ANSWER_AGENCY, agency=agency)))
    if subject:
        parts += [(language, translate(language, ANSWER_SUBJECT)), (written_in(subject, language), subject)]
    if date:
        parts.append((language, translate(language, ANSWER_DATE, date=date)))
    if answer.strip():
        parts += [(language, translate(language, ANSWER_FOLLOWS)),
                  (written_in(answer, language), " ".join(answer.split()))]
    parts.append((language, translate(language, ANSWER_END)))
    joined: list[tuple[str, str]] = []
    for lang, text in parts:
        if joined and joined[-1][0] == lang:
            joined[-1] = (lang, f"{joined[-1][1]} {text}")
        else:
            joined.append((lang, text))
    return joined


def warning_instructions(seconds: int, can_extend: bool, language: str) -> str:
    """The idle / whole-visit warning, spoken when it opens (WCAG 2.2.1: warn before a time-out)."""
    return translate(language, WARNING_EXTEND if can_extend else WARNING_FINAL, n=int(seconds))

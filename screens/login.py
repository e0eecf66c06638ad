"""Logging in with a username and password, and the first login's contact details.

The password screen types on the on-screen keyboard (Georgian, English,
Russian layouts; English first, as portal usernames are Latin). A wrong
password comes back to this screen (`machine.reason == "bad_credentials"`)
with the portal's sentence; with the network down the screen says so at
once instead of trying. The first login asks for the mobile number and
e-mail the portal needs, checked with `kiosk.forms.validate` (types
`mobile` and `email`), then `controller.complete_profile`.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import StringProperty

from kiosk.forms import keyboard_for, validate
from kiosk.portal.reasons import citizen_message
from kiosk.session import State
from screens.keyboard import KioskInput
from screens.screens import KioskScreen
from screens.texts import ERRORS

_LABEL = {"ka": "-", "en": "-", "ru": "-"}  # validate() needs labels; messages do not use them
CONTACT_FIELDS = [{"name": "mobile", "type": "mobile", "label": _LABEL},
                  {"name": "email", "type": "email", "label": _LABEL}]


def check_contacts(mobile: str, email: str, language: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(normalised values, {field: message in ``language``}) for a mobile number and e-mail."""
    result = validate(CONTACT_FIELDS, {"mobile": mobile, "email": email})
    return result.values, {name: error.text(language) for name, error in result.errors.items()}


class KeyboardScreen(KioskScreen):
    """A screen whose inputs open its docked keyboard (``ids.keyboard``) with the right layout."""

    text_layout = "en"

    def input_focused(self, field: KioskInput, focused: bool) -> None:
        if focused:
            mode = keyboard_for(field.field_type) or "text"
            self.ids.keyboard.show_for(field, mode, self.text_layout)

    def on_leave(self, *_args: Any) -> None:
        self.ids.keyboard.hide()


class PasswordScreen(KeyboardScreen):
    """Username and password; wrong ones are said here, the citizen tries again."""

    message = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        ui = App.get_running_app().ui
        self.ids.password.text = ""
        if ui.reason == "bad_credentials":
            self.message = ui.tr(citizen_message("bad_credentials"))
        else:
            self.message = ""
            self.ids.username.text = ""

    def submit(self) -> None:
        controller, ui = App.get_running_app().controller, App.get_running_app().ui
        username, password = self.ids.username.text.strip(), self.ids.password.text
        if not username or not password:
            self.message = ui.tr("Type your username and your password.")
            return
        if not controller.status.network_online:
            self.message = ui.tr(ERRORS["portal_offline"][1])
            return
        self.ids.keyboard.hide()
        self.message = ""
        controller.submit_password(username, password)
        self.ids.password.text = ""  # not kept on screen while the portal answers

    def wipe(self) -> None:
        self.ids.username.text = self.ids.password.text = ""
        self.message = ""
        self.ids.keyboard.hide()


class FirstLoginScreen(KeyboardScreen):
    """The first login: the mobile number and e-mail the portal will write to."""

    mobile_error = StringProperty("")
    email_error = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        citizen = App.get_running_app().controller.machine.visit.citizen
        self.ids.mobile.text = str(citizen.get("mobile") or "").removeprefix("+995")
        self.ids.email.text = str(citizen.get("email") or "")
        self.mobile_error = self.email_error = ""

    def submit(self) -> None:
        controller, ui = App.get_running_app().controller, App.get_running_app().ui
        values, errors = check_contacts(self.ids.mobile.text, self.ids.email.text, ui.language)
        self.mobile_error = errors.get("mobile", "")
        self.email_error = errors.get("email", "")
        if errors:
            return
        self.ids.keyboard.hide()
        controller.complete_profile(values["mobile"], values["email"])

    def later(self) -> None:
        App.get_running_app().controller.navigate(State.HOME)

    def wipe(self) -> None:
        self.ids.mobile.text = self.ids.email.text = ""
        self.mobile_error = self.email_error = ""
        self.ids.keyboard.hide()

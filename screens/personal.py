"""The citizen's personal page (``home``), the contact editor and the help screen.

As on my.gov.ge: who is logged in (the personal number partly hidden, since
the next person in the queue can see the screen), the mobile number and
e-mail with a way to change them, the latest requests and their status,
the ten categories as large tiles, and a search that finds services by
words in the current language. The language can be switched here with one
tap. Requests and their status come from the portal and this visit's
outbox on a worker (`controller.load_transactions`); until then, and when
offline, the page says so instead of waiting. An answered letter's row
is a button low on the page, with the other actions, and opens its answer
(screens/request_answer.py).

Labels are kept, not rebuilt on every entry (the requests' labels, the
FAQ per language), so a page appears at once; the requests' labels hold
a citizen's data and are emptied in `wipe()`, with the answer's overlay.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from kiosk.forms import display_value, mask_personal_number
from kiosk.session import State
from screens.login import KeyboardScreen, check_contacts
from screens.request_answer import RequestAnswer, RequestList
from screens.services import SubPage, fill_service_rows, icon_path
from screens.services_cache import WarmUp, draw_once, lay_out_off_screen
from screens.widgets import FEEDBACK_S, Automatable, KioskLabel, PressButton


class CategoryTile(Automatable, PressButton, BoxLayout):
    """A category as a large tile: an icon and its name."""

    automation_kind = "button"
    text = StringProperty("")
    icon = StringProperty("")
    category_id = StringProperty("")
    lit = BooleanProperty(False)

    def content_height(self) -> float:
        """The icon, the name's lines and the padding: not the tile's own height (that would feed back)."""
        heights = [child.height for child in self.children]
        if self.orientation == "horizontal":  # large text: the icon beside the name
            return max(heights, default=0) + self.padding[1] + self.padding[3]
        return sum(heights) + self.padding[1] + self.padding[3] + self.spacing * max(0, len(heights) - 1)

    def on_press(self) -> None:
        self.lit = True
        Clock.schedule_once(lambda _dt: setattr(self, "lit", False), FEEDBACK_S)

    def on_release(self) -> None:
        App.get_running_app().controller.navigate(State.CATEGORY, category_id=self.category_id)


class PersonalScreen(KeyboardScreen):
    """The personal page: details, recent requests, categories, search, language, help, logout."""

    name_text = StringProperty("")
    details = StringProperty("")
    requests_text = StringProperty("")
    searching = BooleanProperty(False)
    card_visit = BooleanProperty(True)
    search_note = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._visit_id = ""
        self._latest_ref: str | None = None
        self._editor: ContactEditor | None = None
        self._answer: RequestAnswer | None = None
        self.text_layout = "ka"

    def on_kv_post(self, *_args: Any) -> None:
        app = App.get_running_app()
        self._requests = RequestList(self.ids.requests, self.ids.answers)
        app.ui.bind(language=lambda *_: self.relabel())
        app.controller.subscribe_visit_data(
            lambda key: Clock.schedule_once(lambda _dt: self.relabel()) if key == "transactions" else None)
        # The category tiles are catalog texts: built ahead of the first citizen, and again
        # for a newer catalog, so the first personal page costs what every later one does.
        self.warm_up = WarmUp()
        plan = [self._warm, lambda: draw_once(self)]  # built, then laid out and drawn once
        app.controller.subscribe_catalog(
            lambda _c: Clock.schedule_once(lambda _dt: self.warm_up.restart(plan)))
        self.warm_up.restart(plan)

    def _warm(self) -> None:
        if self.parent is None:
            lay_out_off_screen(self)
            self._tiles(App.get_running_app().ui.language)

    def on_pre_enter(self, *_args: Any) -> None:
        controller = App.get_running_app().controller
        visit = controller.machine.visit
        latest = visit.result.get("local_ref")
        if visit.visit_id != self._visit_id:
            self._visit_id = visit.visit_id
            self.close_search()
            self.ids.info.scroll_y = 1  # a new citizen's details from their first line
            controller.load_transactions()
        elif latest and latest != self._latest_ref:
            controller.load_transactions()  # back from a result: the new request belongs in the list
        self._latest_ref = latest
        self.relabel()

    def relabel(self) -> None:
        app = App.get_running_app()
        ui, controller = app.ui, app.controller
        language = ui.language
        citizen = controller.machine.visit.citizen
        self.card_visit = controller.machine.visit.login_method != "password"
        self.name_text = " ".join(filter(None, (citizen.get("given_name"), citizen.get("surname"))))
        lines = []
        if citizen.get("personal_number"):
            lines.append(ui.tr("Personal number: {number}",
                               number=mask_personal_number(str(citizen["personal_number"]))))
        if citizen.get("date_of_birth"):
            born = display_value({"name": "d", "type": "date", "label": {"ka": "-", "en": "-", "ru": "-"}},
                                 citizen["date_of_birth"], language)
            lines.append(ui.tr("Date of birth: {date}", date=born))
        lines.append(ui.tr("Mobile: {mobile}", mobile=citizen.get("mobile") or ui.tr("not given")))
        lines.append(ui.tr("E-mail: {email}", email=citizen.get("email") or ui.tr("not given")))
        self.details = "\n".join(lines)
        self._tiles(language)
        self.requests_text = self._requests.show(controller.visit_data, language)
        if self.searching:
            self._search(self.ids.search.text)

    def _tiles(self, language: str) -> None:
        catalog = App.get_running_app().controller.catalog
        grid = self.ids.tiles
        categories = list(catalog.categories) if catalog is not None else []
        tiles = [w for w in reversed(grid.children) if isinstance(w, CategoryTile)]
        if len(tiles) != len(categories):
            grid.clear_widgets()
            tiles = [CategoryTile() for _ in categories]
            for tile in tiles:
                grid.add_widget(tile)
                for part in tile.children:  # the icon and the name (its lines)
                    part.bind(height=self._even_tiles)
        for tile, category in zip(tiles, categories, strict=True):
            tile.category_id = category.id
            tile.automation_id = f"category-{category.id}"
            tile.text = category.name(language)
            tile.icon = icon_path(category.icon)

    def _even_tiles(self, *_args: Any) -> None:
        grid = self.ids.tiles
        grid.tallest = max((tile.content_height() for tile in grid.children
                            if isinstance(tile, CategoryTile)), default=0)

    def open_answer(self, item: dict[str, Any]) -> None:
        """Show a letter's answer over the page (one overlay, kept: it follows the language)."""
        if self._answer is None:
            self._answer = RequestAnswer()
        self._answer.show(item)

    # ------------------------------------------------------------ search
    def search_focused(self, focused: bool) -> None:
        if focused:
            self.searching = True
            self.ids.keyboard.show_for(self.ids.search, "text", App.get_running_app().ui.language)

    def _search(self, text: str) -> None:
        app = App.get_running_app()
        catalog, language = app.controller.catalog, app.ui.language
        found = catalog.search(text, language)[:6] if catalog is not None and text.strip() else []
        fill_service_rows(self.ids.results, found, language)
        self.search_note = "" if found or not text.strip() else app.ui.tr(
            "No service matches these words. Try fewer or shorter words.")

    def search_changed(self, text: str) -> None:
        if self.searching:
            self._search(text)

    def close_search(self) -> None:
        self.ids.keyboard.hide()
        self.ids.search.text = ""
        self.searching = False
        fill_service_rows(self.ids.results, [], App.get_running_app().ui.language)
        self.search_note = ""

    # ------------------------------------------------------------ actions
    def edit_contacts(self) -> None:
        self._editor = ContactEditor()
        self._editor.open(animation=False)

    def go_help(self) -> None:
        App.get_running_app().controller.navigate(State.HELP)

    def wipe(self) -> None:
        if self._editor is not None:
            self._editor.close()  # the visit ended under the editor: its fields go too
            self._editor = None
        self.close_search()
        if self._answer is not None:
            self._answer.close()  # the answer is the citizen's too
        self.name_text = self.details = self.requests_text = ""
        self._requests.clear()
        self._visit_id = ""
        self._latest_ref = None


class ContactEditor(ModalView):
    """Change the mobile number and e-mail (the portal's profile), over the personal page."""

    automation_id = StringProperty("contact_editor")
    mobile_error = StringProperty("")
    email_error = StringProperty("")

    def on_open(self) -> None:
        citizen = App.get_running_app().controller.machine.visit.citizen
        self.ids.mobile.text = str(citizen.get("mobile") or "").removeprefix("+995")
        self.ids.email.text = str(citizen.get("email") or "")

    def input_focused(self, field: Any, focused: bool) -> None:
        if focused:
            self.ids.keyboard.show_for(field, "phone" if field is self.ids.mobile else "email")

    def save(self) -> None:
        app = App.get_running_app()
        values, errors = check_contacts(self.ids.mobile.text, self.ids.email.text, app.ui.language)
        self.mobile_error, self.email_error = errors.get("mobile", ""), errors.get("email", "")
        if errors:
            return
        app.controller.complete_profile(values["mobile"], values["email"])
        self.close()
        # The portal's answer updates the visit on a worker; draw the page again after it.
        for delay in (0.3, 1.0, 3.0):
            Clock.schedule_once(lambda _dt: _refresh_home(), delay)

    def close(self) -> None:
        self.ids.keyboard.hide()
        self.ids.mobile.text = self.ids.email.text = ""
        self.dismiss(animation=False)


def _refresh_home() -> None:
    manager = App.get_running_app().manager
    if manager.current == "home":
        manager.current_screen.relabel()


class HelpScreen(SubPage):
    """The portal's questions and answers, and how to reach it, in the citizen's language.

    The FAQ's labels are built once per language (and text size) and kept;
    after a start or a language change they are built ahead, off screen.
    """

    contact = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        self._faq: Any = None
        self._labels: dict[tuple[str, float], list[KioskLabel]] = {}
        self._shown: tuple[str, float] | None = None
        self.warm_up = WarmUp()
        super().__init__(**kwargs)  # last: on_kv_post plans the warm-up

    def on_kv_post(self, *args: Any) -> None:
        super().on_kv_post(*args)
        ui = App.get_running_app().ui
        ui.bind(language=lambda *_: self.warm_up.restart([self._warm]))
        self.warm_up.restart([self._warm])

    def _warm(self) -> None:
        if self.parent is None and self._load() is not None:
            lay_out_off_screen(self)
            self._show_faq()

    def on_pre_enter(self, *args: Any) -> None:
        super().on_pre_enter(*args)
        self.ids.scroll.scroll_y = 1

    def _load(self) -> Any:
        """The bundled FAQ, read once (None when it cannot be read: asked again next time)."""
        from kiosk.faq import FaqError, load_bundled

        if self._faq is None:
            try:
                self._faq = load_bundled()
            except (FaqError, OSError, ValueError):
                return None
        return self._faq

    def _show_faq(self) -> None:
        ui, faq = App.get_running_app().ui, self._faq
        key = (ui.language, ui.text_mm(4.8))
        if key not in self._labels:
            labels = []
            for item in faq.items:
                labels.append(KioskLabel(automation_id=f"faq-{item.id}", text=item.question(ui.language),
                                         bold=True, halign="left"))
                labels.append(KioskLabel(automation_id=f"faq-{item.id}-answer", halign="left",
                                         text=item.answer(ui.language), font_size=key[1]))
            self._labels[key] = labels
        if key != self._shown:
            box = self.ids.faq
            box.clear_widgets()
            for label in self._labels[key]:
                box.add_widget(label)
            self._shown = key

    def relabel(self) -> None:
        ui = App.get_running_app().ui
        faq = self._load()
        if faq is None:
            self.ids.faq.clear_widgets()
            self._shown = None
            self.contact = ui.tr("Please go to the counter; a staff member will help you.")
            return
        self._show_faq()
        self.contact = ui.tr("Phone: {phone}\nE-mail: {email}\nWebsite: {web}",
                             phone=faq.phone, email=faq.email, web=faq.web)

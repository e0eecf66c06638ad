"""The personal page's latest requests as rows, and the answer to a letter over the page.

A row says which service, where it stands (waiting to be sent, reached
the portal, being dealt with, answered) and its reference; the rows are
text, with the citizen's details high on the page. A letter with an answer
also gets an `AnswerButton` ("▶ Read the answer: <subject>", id
``answer-<reference>``) low on the page with the other actions: no control
sits in the top 30 % of the screen (kiosk.accessibility.REACH_TOP_FRACTION),
and a large-text page has room there for one such button at a time (more
scroll). It opens `RequestAnswer`, an overlay (`request-answer`) with the
agency, the subject, the date and the answer itself, large and
scrollable. The answer is the agency's own text, shown as it came, in its
own language; only the words around it follow the citizen's language (the
voice guide reads it in its own language's voice: kiosk/speech_texts.py).

Looks: screens/request_answer.kv (loaded here, with the first list).

Rows and the overlay hold a citizen's data: `RequestList.clear()` and
`RequestAnswer.close()` empty them, and the personal page calls both in
its `wipe()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from kiosk.i18n import N_
from kiosk.requests import agency_name, answer_paragraphs, local_date, service_name
from screens.widgets import FEEDBACK_S, Automatable, PressButton

STATUS_WORDS = {"received": N_("reached the portal"), "in_progress": N_("being dealt with"),
                "answered": N_("answered"), "queued": N_("waiting to be sent")}
RECENT = 3  # requests shown on the page
KV = str(Path(__file__).with_name("request_answer.kv"))


def load_rules() -> None:
    """The rows' and the overlay's looks, once (a second load would double every rule)."""
    if KV not in Builder.files:
        Builder.load_file(KV)


class RequestRow(Automatable, BoxLayout):
    """One request, as text: which service, where it stands, its reference."""

    text = StringProperty("")

    def show(self, item: dict[str, Any] | None, text: str) -> None:
        self.automation_id = f"request-{item.get('reference', '')}" if item else ""
        self.text = text


class AnswerButton(Automatable, PressButton, BoxLayout):
    """Opens an answered letter's answer; low on the page, one line (its subject cut short)."""

    automation_kind = "button"
    text = StringProperty("")
    lit = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item: dict[str, Any] | None = None

    def show(self, item: dict[str, Any] | None, text: str) -> None:
        self.item = item
        self.automation_id = f"answer-{item.get('reference', '')}" if item else ""
        self.text = text

    def on_press(self) -> None:
        # On the press, like the service rows: a list's buttons get no release once
        # the scroll view has decided the touch was a tap.
        if self.item is None:
            return
        self.lit = True
        Clock.schedule_once(lambda _dt: setattr(self, "lit", False), FEEDBACK_S)
        App.get_running_app().manager.get_screen("home").open_answer(self.item)


class RequestList:
    """The kept rows and buttons in the page's boxes: an unchanged one keeps its textures.

    ``box`` holds the rows (with the details, high on the page), ``answers``
    the answered letters' buttons (in reach, low on the page).
    """

    def __init__(self, box: Any, answers: Any) -> None:
        load_rules()
        self.box, self.answers = box, answers
        self.rows: list[RequestRow] = []
        self.buttons: list[AnswerButton] = []

    def show(self, data: dict[str, Any], language: str) -> str:
        """Fill the rows from ``visit_data``; returns the line above them (loading, none, offline)."""
        ui = App.get_running_app().ui
        catalog = App.get_running_app().controller.catalog
        items, error = data.get("transactions"), data.get("transactions_error")
        if items is None:
            self._fill([])
            if error == "online_only_offline":
                return ui.tr("Your earlier requests cannot be shown while the connection is down.")
            return (ui.tr("Your earlier requests cannot be shown right now.") if error
                    else ui.tr("Looking up your requests…"))
        lines, answers = [], []
        for item in items[:RECENT]:
            name = service_name(catalog, str(item.get("service_id", "")), language)
            status = ui.tr(STATUS_WORDS.get(str(item.get("status")), N_("reached the portal")))
            lines.append((item, f"{name} — {status} ({item.get('reference', '')})"))
            if item.get("answer"):
                # The citizen's own subject when the letter had one: what they will recognise.
                about = str(item.get("subject") or name)
                answers.append((item, ui.tr("Read the answer: {subject}", subject=about)))
        self._fill(lines, answers)
        notes = []
        if error:  # this visit's own requests are listed; the portal's part is missing
            notes.append(ui.tr("Your other requests cannot be shown right now."))
        elif not items:
            notes.append(ui.tr("You have no requests yet."))
        if answers:
            notes.append(ui.tr("To read an answer, press “Read the answer” below."))
        return "\n".join(notes)

    def _fill(self, lines: list[tuple[dict[str, Any], str]],
              answers: list[tuple[dict[str, Any], str]] | None = None) -> None:
        _kept(self.box, self.rows, RequestRow, lines)
        _kept(self.answers, self.buttons, AnswerButton, answers or [])

    def clear(self) -> None:
        self._fill([])


def _kept(box: Any, widgets: list[Any], kind: type, lines: list[tuple[dict[str, Any], str]]) -> None:
    """Show ``lines`` in ``box`` with the kept ``widgets`` (more made when needed)."""
    while len(widgets) < len(lines):
        widgets.append(kind())
    for widget, (item, text) in zip(widgets, lines, strict=False):
        widget.show(item, text)
    for widget in widgets[len(lines):]:
        widget.show(None, "")  # a citizen's request leaves no trace
    shown = widgets[:len(lines)]
    if list(reversed(box.children)) != shown:
        box.clear_widgets()
        for widget in shown:
            box.add_widget(widget)


class RequestAnswer(ModalView):
    """The answer to a letter, over the personal page, until `back`."""

    automation_id = StringProperty("request-answer")
    agency = StringProperty("")
    subject = StringProperty("")
    date = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item: dict[str, Any] | None = None
        self._paragraphs: list[Any] = []
        App.get_running_app().ui.bind(language=self._relabel)

    def show(self, item: dict[str, Any]) -> None:
        self.item = item
        self._relabel()
        box = self.ids.answer
        box.clear_widgets()
        self._paragraphs = [
            Factory.AnswerText(automation_id=f"answer-text-{n}", text=piece)  # looks: personal.kv
            for n, piece in enumerate(answer_paragraphs(str(item.get("answer") or "")), start=1)]
        for label in self._paragraphs:
            box.add_widget(label)
        self.ids.scroll.scroll_y = 1  # a long answer from its first line
        if self.parent is None:
            self.open(animation=False)

    def _relabel(self, *_args: Any) -> None:
        if self.item is None:
            return
        app = App.get_running_app()
        language, catalog = app.ui.language, app.controller.catalog
        item = self.item
        self.agency = agency_name(catalog, item, language)
        # The citizen's own words when the service had a subject, else what the service is.
        self.subject = str(item.get("subject") or service_name(catalog, str(item.get("service_id", "")),
                                                               language))
        self.date = local_date(item.get("answered_at") or item.get("received_at"))

    def close(self) -> None:
        self.item = None
        self.agency = self.subject = self.date = ""
        for label in self._paragraphs:
            label.text = label.automation_id = ""
        self.ids.answer.clear_widgets()
        self._paragraphs = []
        if self.parent is not None:
            self.dismiss(animation=False)

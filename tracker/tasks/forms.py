"""The task form (also used in place on the exchange page) and the bulk check-off form."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional

from tracker.core.limits import max_length
from tracker.exchanges.models import Outcome
from tracker.tasks.models import Task, TaskNote
from tracker.web import choices, translation_fields
from tracker.web.choices import LongSelectField, optional_int
from tracker.web.forms import DayField, TrackerForm


class TaskForm(TrackerForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=max_length(Task.title))]
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=max_length(Task.description))]
    )
    owner_id = LongSelectField(_l("Owner"), coerce=optional_int, validators=[DataRequired()])
    organisation_id = LongSelectField(_l("Committed by organisation"), coerce=optional_int)
    exchange_id = LongSelectField(_l("Agreed at exchange"), coerce=optional_int)
    outcome_id = SelectField(_l("Outcome"), coerce=optional_int)
    due_date = DayField(_l("Due date"), validators=[Optional()])
    due_time = TimeField(_l("Due time"), validators=[Optional()])
    due_exchange_id = LongSelectField(_l("Or due at a later exchange"), coerce=optional_int)
    language = translation_fields.language_field()
    other_title = StringField(
        _l("Title in the other language"), validators=[Length(max=max_length(Task.title))]
    )
    other_description = TextAreaField(
        _l("Description in the other language"),
        validators=[Length(max=max_length(Task.description))],
    )
    version = HiddenField()

    TRANSLATED = ("title", "description")
    ALIASES = translation_fields.aliases(TRANSLATED)

    def load_translations(self, task: Task) -> None:
        translation_fields.load_translations(self, task, self.TRANSLATED)

    def set_choices(self, outcomes: Iterable[Outcome] = ()) -> None:
        """The outcome list holds only the chosen exchange's outcomes (none before one is
        chosen); `all_outcomes` keeps every one for app.js to narrow the list as it changes."""
        translation_fields.set_language_choices(self)
        self.owner_id.choices = [("", _l("— choose —")), *choices.people()]
        self.organisation_id.choices = choices.organisations()
        exchanges = choices.exchanges()
        self.exchange_id.choices = exchanges
        self.due_exchange_id.choices = exchanges
        chosen = optional_int(self.exchange_id.data)
        self.all_outcomes = [(o.id, o.exchange_id, o.text[:80]) for o in outcomes]
        self.outcome_id.choices = [(None, _l("— none —"))] + [
            (oid, text) for oid, exchange_id, text in self.all_outcomes
            if exchange_id == chosen
        ]

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "owner_id": self.owner_id.data,
            "organisation_id": self.organisation_id.data,
            "exchange_id": self.exchange_id.data,
            "outcome_id": self.outcome_id.data,
            "due_date": self.due_date.data,
            "due_time": self.due_time.data,
            "due_exchange_id": self.due_exchange_id.data,
            "language": self.language.data or "de",
            "translations": translation_fields.translations_from(self, self.TRANSLATED),
        }


class QuickTaskForm(TrackerForm):
    """Add a task to an outcome in place, on the exchange page."""

    title = StringField(_l("Task"), validators=[DataRequired(), Length(max=max_length(Task.title))])
    owner_id = LongSelectField(_l("Owner"), coerce=optional_int, validators=[DataRequired()])
    organisation_id = LongSelectField(_l("Committed by organisation"), coerce=optional_int)
    due_date = DayField(_l("Due date"), validators=[Optional()])
    due_exchange_id = LongSelectField(_l("Or due at a later exchange"), coerce=optional_int)
    outcome_id = HiddenField()

    def set_choices(
        self,
        exchanges: list[tuple] | None = None,
        people: list[tuple] | None = None,
        organisations: list[tuple] | None = None,
    ) -> None:
        self.owner_id.choices = [("", _l("— choose —")), *(people or choices.people())]
        self.organisation_id.choices = organisations or choices.organisations()
        self.due_exchange_id.choices = exchanges or choices.exchanges()


class NoteForm(TrackerForm):
    """A progress note on the task page."""

    text = TextAreaField(
        _l("Note"), validators=[DataRequired(), Length(max=max_length(TaskNote.text))]
    )


class BulkForm(TrackerForm):
    ids = SelectMultipleField(coerce=int, validate_choice=False)
    next = HiddenField()

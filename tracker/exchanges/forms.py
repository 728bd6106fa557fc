"""The exchange form and the outcome form used in place on the exchange page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.core import messages
from tracker.core.limits import max_length
from tracker.core.timeutil import from_local_checked, to_local
from tracker.exchanges.models import (
    EXCHANGE_KINDS,
    EXCHANGE_STATUSES,
    Exchange,
    ExchangeDocument,
    Outcome,
)
from tracker.tasks.models import Task
from tracker.web import choices, translation_fields
from tracker.web.choices import LongSelectField, optional_int
from tracker.web.forms import DayField, MomentField, RowForm, TrackerForm
from tracker.web.helpers import labels


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes, for a handful of choices (an outcome's organisations)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PickerField(SelectMultipleField):
    """A multi-select that app.js turns into a picker (filter as you type, chosen ones as
    chips); without JavaScript it stays a plain multi-select."""

    def __call__(self, **kwargs: object) -> Markup:
        kwargs.setdefault("data-picker", "multi")
        kwargs.setdefault("size", 8)
        return super().__call__(**kwargs)


class ExchangeForm(TrackerForm):
    ALIASES = {"organisation_ids": "organisation_ids", "participant_ids": "participant_ids"}

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=max_length(Exchange.title))]
    )
    kind = SelectField(_l("Kind"), choices=[])
    status = SelectField(_l("Status"), choices=[], default="")
    all_day = BooleanField(_l("All-day (dates without times)"))
    start_date = DayField(_l("First day"), validators=[Optional()])
    end_date = DayField(_l("Last day"), validators=[Optional()])
    starts_at = MomentField(_l("Starts"), validators=[Optional()])
    ends_at = MomentField(_l("Ends"), validators=[Optional()])
    location = StringField(_l("Place"), validators=[Length(max=max_length(Exchange.location))])
    description = TextAreaField(
        _l("Summary or minutes"), validators=[Length(max=max_length(Exchange.description))]
    )
    organisation_ids = PickerField(_l("Organisations"), coerce=int, choices=[])
    participant_ids = PickerField(_l("Participants"), coerce=int, choices=[])
    follows_up_id = LongSelectField(_l("Follows up the exchange"), coerce=optional_int)
    version = HiddenField()

    def set_choices(self, exclude_id: int | None = None) -> None:
        lab = labels()
        self.kind.choices = [(k, lab["exchange_kind"][k]) for k in EXCHANGE_KINDS]
        self.status.choices = [("", _l("by the date: held if past, else planned"))] + [
            (k, lab["exchange_status"][k]) for k in EXCHANGE_STATUSES
        ]
        self.organisation_ids.choices = choices.organisations(include_none=False)
        self.participant_ids.choices = choices.people()
        self.follows_up_id.choices = [
            c for c in choices.exchanges() if c[0] is None or c[0] != exclude_id
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        """Every mistake at once: a missing start is found with a missing title."""
        ok = super().validate(extra_validators)
        start = self.start_date if self.all_day.data else self.starts_at
        if start.data is None and not start.errors:
            start.errors = [*start.errors, str(messages.sentence("required", {}))]
            ok = False
        return ok

    def fill(self, exchange: Exchange) -> None:
        """Show a stored exchange (times in the team's zone)."""
        self.process(obj=exchange)
        if exchange.starts_at:
            self.starts_at.data = to_local(exchange.starts_at).replace(tzinfo=None)
        if exchange.ends_at:
            self.ends_at.data = to_local(exchange.ends_at).replace(tzinfo=None)
        self.organisation_ids.data = [o.id for o in exchange.organisations]
        self.participant_ids.data = [p.id for p in exchange.participants]
        self.version.data = str(exchange.version)

    def values(self, current: Exchange | None = None) -> dict:
        """The service's fields; a local time in the clocks' gap is refused (InvalidField).

        A time that happens twice (clocks go back) is taken as the first one; `took_first`
        lists those wall-clock times so the page can say so. An unchanged time of `current`
        keeps its moment (the second 02:30 stays the second).
        """
        self.took_first: list[datetime] = []

        def local(value: datetime | None, field: str) -> datetime | None:
            if value is None:
                return None
            kept = getattr(current, field, None) if current is not None else None
            if kept is not None and to_local(kept).replace(tzinfo=None) == value:
                return kept
            moment, overlap = from_local_checked(field, value.date(), value.time())
            if overlap:
                self.took_first.append(value)
            return moment

        v = {
            "title": self.title.data,
            "kind": self.kind.data,
            "status": self.status.data or None,
            "all_day": bool(self.all_day.data),
            "location": self.location.data or "",
            "description": self.description.data or "",
            "organisation_ids": self.organisation_ids.data or [],
            "participant_ids": self.participant_ids.data or [],
            "follows_up_id": self.follows_up_id.data,
        }
        if v["all_day"]:
            v.update(start_date=self.start_date.data, end_date=self.end_date.data)
        else:
            v.update(starts_at=local(self.starts_at.data, "starts_at"),
                     ends_at=local(self.ends_at.data, "ends_at"))
        return v


class TaskRow(RowForm):
    """One task written down with its outcome: who does what, for whom, by when."""

    title = StringField(_l("Task"), validators=[Length(max=max_length(Task.title))])
    owner_id = LongSelectField(_l("Owner"), coerce=optional_int)
    organisation_id = LongSelectField(_l("Partner"), coerce=optional_int)
    due_date = DayField(_l("Due date"), validators=[Optional()])
    due_exchange_id = LongSelectField(_l("or due at an exchange"), coerce=optional_int)

    def is_blank(self) -> bool:
        typed_date = any((v or "").strip() for v in (self.due_date.raw_data or []))
        return not (
            (self.title.data or "").strip() or typed_date or self.owner_id.data is not None
            or self.organisation_id.data is not None or self.due_exchange_id.data is not None
        )

    def values(self) -> dict:
        return {
            "title": self.title.data or "",
            "owner_id": self.owner_id.data,
            "organisation_id": self.organisation_id.data,
            "due_date": self.due_date.data,
            "due_exchange_id": self.due_exchange_id.data,
        }


#: Empty task rows a page without JavaScript offers (app.js adds more with Enter).
EMPTY_ROWS = 3
MAX_ROWS = 30


class OutcomeFields(TrackerForm):
    """What was agreed and who is involved: recording and rewording an outcome share these."""

    text = TextAreaField(
        _l("What was agreed"), validators=[DataRequired(), Length(max=max_length(Outcome.text))]
    )
    organisation_ids = MultiCheckboxField(_l("Organisations involved"), coerce=int, choices=[])
    language = translation_fields.language_field()
    other_text = TextAreaField(
        _l("The same in the other language"),
        validators=[Length(max=max_length(Outcome.text))],
    )

    TRANSLATED = ("text",)
    ALIASES = translation_fields.aliases(TRANSLATED)

    def set_language_choices(self) -> None:
        translation_fields.set_language_choices(self)

    def translations(self) -> dict[str, dict[str, str]]:
        return translation_fields.translations_from(self, self.TRANSLATED)


class OutcomeForm(OutcomeFields):
    """An outcome with its tasks in one form; it comes back empty for the next outcome."""

    tasks = FieldList(FormField(TaskRow), min_entries=EMPTY_ROWS, max_entries=MAX_ROWS)
    next = HiddenField()

    def set_choices(
        self, organisations: list[tuple], people: list[tuple], partners: list[tuple],
        exchanges: list[tuple],
    ) -> None:
        self.organisation_ids.choices = organisations
        for row in self.rows():
            row.owner_id.choices = [(None, _l("— choose —")), *people]
            row.organisation_id.choices = partners
            row.due_exchange_id.choices = exchanges

    def validate(self, extra_validators: Any = None) -> bool:
        """A row with anything in it needs a title and an owner; empty rows are left out."""
        ok = super().validate(extra_validators)
        required = str(messages.sentence("required", {}))
        for row in self.rows():
            if row.is_blank():
                continue
            for f in (row.title, row.owner_id):
                if not f.data and not f.errors:
                    f.errors = [*f.errors, required]
                    ok = False
        return ok

    def rows(self) -> list[TaskRow]:
        return [entry.form for entry in self.tasks]

    def task_rows(self) -> list[tuple[TaskRow, dict]]:
        """The rows filled in, each with the service's values."""
        return [(row, row.values()) for row in self.rows() if not row.is_blank()]


class QuickExchangeForm(TrackerForm):
    """A later exchange named in passing ("SCCON 2023"), to make a task due at it."""

    title = StringField(
        _l("Title of the new exchange"),
        validators=[DataRequired(), Length(max=max_length(Exchange.title))],
    )
    start_date = DayField(_l("Its date"), validators=[InputRequired()])
    next = HiddenField()


class OutcomeEditForm(OutcomeFields):
    """Rewording an outcome: the version read, so a concurrent edit is not overwritten."""

    version = HiddenField()


class DocumentForm(TrackerForm):
    title = StringField(
        _l("Document title"),
        validators=[DataRequired(), Length(max=max_length(ExchangeDocument.title))],
    )
    url = StringField(
        _l("Link (http or https)"),
        validators=[DataRequired(), Length(max=max_length(ExchangeDocument.url))],
    )

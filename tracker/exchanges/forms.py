"""The exchange form and the outcome form used in place on the exchange page."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.core.limits import max_length
from tracker.core.timeutil import from_local_checked, to_local
from tracker.exchanges.models import (
    EXCHANGE_KINDS,
    EXCHANGE_STATUSES,
    Exchange,
    ExchangeDocument,
    Outcome,
)
from tracker.web import choices, translation_fields
from tracker.web.choices import LongSelectField, optional_int
from tracker.web.helpers import labels


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes: easier with a keyboard and a phone than a multi-select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExchangeForm(FlaskForm):
    ALIASES = {"organisation_ids": "organisation_ids", "participant_ids": "participant_ids"}

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=max_length(Exchange.title))]
    )
    kind = SelectField(_l("Kind"), choices=[])
    status = SelectField(_l("Status"), choices=[])
    all_day = BooleanField(_l("All-day (dates without times)"))
    start_date = DateField(_l("First day"), validators=[Optional()])
    end_date = DateField(_l("Last day"), validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    location = StringField(_l("Place"), validators=[Length(max=max_length(Exchange.location))])
    description = TextAreaField(
        _l("Summary or minutes"), validators=[Length(max=max_length(Exchange.description))]
    )
    organisation_ids = MultiCheckboxField(_l("Organisations"), coerce=int, choices=[])
    participant_ids = MultiCheckboxField(_l("Participants"), coerce=int, choices=[])
    follows_up_id = LongSelectField(_l("Follows up the exchange"), coerce=optional_int)
    version = HiddenField()

    def set_choices(self, exclude_id: int | None = None) -> None:
        lab = labels()
        self.kind.choices = [(k, lab["exchange_kind"][k]) for k in EXCHANGE_KINDS]
        self.status.choices = [(k, lab["exchange_status"][k]) for k in EXCHANGE_STATUSES]
        self.organisation_ids.choices = choices.organisations(include_none=False)
        self.participant_ids.choices = choices.people()
        self.follows_up_id.choices = [
            c for c in choices.exchanges() if c[0] is None or c[0] != exclude_id
        ]

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
            "status": self.status.data,
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


class OutcomeForm(FlaskForm):
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


class OutcomeEditForm(OutcomeForm):
    """Rewording an outcome: the version read, so a concurrent edit is not overwritten."""

    version = HiddenField()


class DocumentForm(FlaskForm):
    title = StringField(
        _l("Document title"),
        validators=[DataRequired(), Length(max=max_length(ExchangeDocument.title))],
    )
    url = StringField(
        _l("Link (http or https)"),
        validators=[DataRequired(), Length(max=max_length(ExchangeDocument.url))],
    )

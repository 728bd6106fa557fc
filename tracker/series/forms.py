"""The series form: the first meeting, how it recurs in plain choices, who takes part."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.core.limits import max_length
from tracker.core.timeutil import from_local_checked, to_local
from tracker.exchanges.forms import MultiCheckboxField
from tracker.exchanges.models import EXCHANGE_KINDS
from tracker.series import rules
from tracker.series.models import Series
from tracker.series.services import MAX_DURATION_MINUTES
from tracker.web import choices
from tracker.web.forms import TrackerForm
from tracker.web.helpers import labels

FREQUENCY_LABELS = {
    "none": _l("No rule: I add each meeting when it is set"),
    "weekly": _l("Weekly"),
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly (every three months)"),
    "yearly": _l("Yearly"),
}


class SeriesForm(TrackerForm):
    ALIASES = {"starts_at": "starts_at", "start_date": "start_date", "rrule": "frequency"}

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=max_length(Series.title))]
    )
    kind = SelectField(_l("Kind"), choices=[])
    all_day = BooleanField(_l("All-day meetings (dates without times)"))
    starts_at = DateTimeLocalField(
        _l("First meeting starts"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    start_date = DateField(_l("First meeting's day"), validators=[Optional()])
    duration_minutes = IntegerField(
        _l("Length in minutes"), default=120,
        validators=[Optional(), NumberRange(min=0, max=MAX_DURATION_MINUTES)],
    )
    frequency = SelectField(_l("Repeats"), choices=[], default="none")
    interval = IntegerField(
        _l("Every how many (weeks, months, quarters or years)"), default=1,
        validators=[Optional(), NumberRange(min=1, max=12)],
    )
    by_weekday = RadioField(_l("In the month"), choices=[], default="weekday")
    end = RadioField(_l("Ends"), choices=[], default="never")
    count = IntegerField(
        _l("After how many meetings"), validators=[Optional(), NumberRange(min=1, max=500)]
    )
    until = DateField(_l("Last possible day"), validators=[Optional()])
    location = StringField(_l("Place"), validators=[Length(max=max_length(Series.location))])
    description = TextAreaField(
        _l("What the series is about"),
        validators=[Length(max=max_length(Series.description))],
    )
    organisation_ids = MultiCheckboxField(_l("Organisations"), coerce=int, choices=[])
    participant_ids = MultiCheckboxField(_l("Usual participants"), coerce=int, choices=[])
    version = HiddenField()

    def set_choices(self, series: Series | None = None) -> None:
        lab = labels()
        self.kind.choices = [(k, lab["exchange_kind"][k]) for k in EXCHANGE_KINDS]
        self.frequency.choices = [(k, str(v)) for k, v in FREQUENCY_LABELS.items()]
        if series is not None and series.rrule and _unreadable(series):
            words = rules.describe(series.rrule, _first_day(series))
            self.frequency.choices.insert(
                0, (rules.KEEP, str(_l("Keep the rule as it is (%(rule)s)", rule=words))))
        self.by_weekday.choices = [
            ("weekday", str(_l("On the same weekday (e.g. the first Wednesday)"))),
            ("day", str(_l("On the same day of the month (e.g. the 7th)"))),
        ]
        self.end.choices = [("never", str(_l("Never"))),
                            ("count", str(_l("After a number of meetings"))),
                            ("until", str(_l("On a day")))]
        self.organisation_ids.choices = choices.organisations(include_none=False)
        self.participant_ids.choices = choices.people()

    def fill(self, series: Series) -> None:
        self.process(obj=series)
        if series.starts_at:
            self.starts_at.data = to_local(series.starts_at).replace(tzinfo=None)
        choice = rules.read_rrule(series.rrule, _first_day(series)) or rules.RuleChoice()
        self.frequency.data = rules.KEEP if _unreadable(series) else choice.frequency
        self.interval.data = choice.interval
        self.by_weekday.data = "weekday" if choice.by_weekday else "day"
        self.end.data = choice.end
        self.count.data = choice.count
        self.until.data = choice.until
        self.organisation_ids.data = [o.id for o in series.organisations]
        self.participant_ids.data = [p.id for p in series.participants]
        self.version.data = str(series.version)

    def first_day(self) -> datetime | None:
        if self.all_day.data:
            return datetime.combine(self.start_date.data, datetime.min.time()) \
                if self.start_date.data else None
        return self.starts_at.data

    def rule_choice(self) -> rules.RuleChoice:
        return rules.RuleChoice(
            frequency=self.frequency.data or "none", interval=self.interval.data or 1,
            by_weekday=self.by_weekday.data != "day", end=self.end.data or "never",
            count=self.count.data, until=self.until.data,
        )

    def values(self, current: Series | None = None) -> dict:
        """The service's fields; the rule is built from the choices (never typed)."""
        v: dict = {
            "title": self.title.data,
            "kind": self.kind.data,
            "all_day": bool(self.all_day.data),
            "location": self.location.data or "",
            "description": self.description.data or "",
            "organisation_ids": self.organisation_ids.data or [],
            "participant_ids": self.participant_ids.data or [],
            "duration_minutes": self.duration_minutes.data
            if self.duration_minutes.data is not None else (0 if self.all_day.data else 120),
        }
        if v["all_day"]:
            v["start_date"] = self.start_date.data
            if v["duration_minutes"] < 1440:
                v["duration_minutes"] = 0
        else:
            wall = self.starts_at.data
            kept = current.starts_at if current is not None else None
            if wall is None:
                v["starts_at"] = None
            elif kept is not None and to_local(kept).replace(tzinfo=None) == wall:
                v["starts_at"] = kept
            else:
                v["starts_at"] = from_local_checked("starts_at", wall.date(), wall.time())[0]
        first = self.first_day()
        if self.frequency.data == rules.KEEP and current is not None:
            v["rrule"] = current.rrule  # a rule the form cannot show stays as it is
        else:
            v["rrule"] = rules.build_rrule(self.rule_choice(), first.date()) if first else None
        return v


def _first_day(series: Series) -> date:
    if series.all_day:
        assert series.start_date is not None
        return series.start_date
    assert series.starts_at is not None
    return to_local(series.starts_at).date()


def _unreadable(series: Series) -> bool:
    """A rule set through the API in a shape the form's choices cannot show."""
    return bool(series.rrule) and rules.read_rrule(series.rrule, _first_day(series)) is None


class MeetingForm(TrackerForm):
    """A meeting of a series without a rule, added when it is set."""

    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=max_length(Series.title))]
    )
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    location = StringField(_l("Place"), validators=[Length(max=max_length(Series.location))])

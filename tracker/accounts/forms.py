"""Sign-in, account settings, password and API token forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from tracker.accounts.models import ApiToken, Person
from tracker.core.limits import max_length
from tracker.web.forms import TrackerForm

#: A task's calendar reminder, in words; the number is minutes before the due day begins.
REMINDER_CHOICES: list[tuple[int | None, Any]] = [
    (900, _l("the day before at 09:00")),
    (420, _l("the day before at 17:00")),
    (2340, _l("two days before at 09:00")),
    (10980, _l("a week before at 09:00")),
    (-480, _l("on the day at 08:00")),
    (None, _l("none")),
]


def _minutes(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(_l("Please choose one of the reminders.")) from None


class LoginForm(TrackerForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class AccountForm(TrackerForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=max_length(Person.name))])
    locale = SelectField(_l("Language"), choices=[])
    digest = SelectField(_l("Reminder digest"), choices=[])
    assignment_notes = BooleanField(_l("Email me when someone else gives me a task or moves "
                                       "its due date"))
    reminder_minutes = SelectField(_l("Reminder in the calendar"), choices=[],
                                   coerce=_minutes, validate_choice=False)
    version = HiddenField()

    def set_choices(self) -> None:
        self.locale.choices = [("", _l("As the browser says")), ("de", "Deutsch"),
                               ("en", "English")]
        self.digest.choices = [("daily", _l("daily")), ("weekly", _l("weekly")),
                               ("never", _l("never"))]
        self.reminder_minutes.choices = [
            (str(m) if m is not None else "", text) for m, text in REMINDER_CHOICES
        ]
        kept = self.reminder_minutes.data
        if kept is not None and kept not in dict(REMINDER_CHOICES):
            # A time set through the API stays choosable until another is chosen.
            self.reminder_minutes.choices.append(
                (str(kept), _l("%(num)s minutes before the due day", num=kept)))


class PasswordForm(TrackerForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=1024)])
    repeat = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )


class TokenForm(TrackerForm):
    name = StringField(
        _l("What the token is for"), validators=[Length(max=max_length(ApiToken.name))]
    )

"""Sign-in, account settings, password and API token forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from tracker.accounts.models import ApiToken, Person
from tracker.core.limits import max_length
from tracker.web.forms import TrackerForm


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
    reminder_minutes = IntegerField(
        _l("Default reminder (minutes before the due day begins)"),
        validators=[Optional(), NumberRange(min=0, max=40320)],
    )
    version = HiddenField()

    def set_choices(self) -> None:
        self.locale.choices = [("", _l("As the browser says")), ("de", "Deutsch"),
                               ("en", "English")]
        self.digest.choices = [("daily", _l("daily")), ("weekly", _l("weekly")),
                               ("never", _l("never"))]


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

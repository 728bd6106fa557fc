"""Forms of the calendar pages; each carries its CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class SubscriptionForm(FlaskForm):
    kind = RadioField(
        _l("What to show"),
        choices=[
            SelectChoice("personal", _l("My follow-ups and the exchanges I take part in")),
            SelectChoice("team", _l("All exchanges and open follow-ups of the team")),
            SelectChoice("exchange", _l("One exchange and its follow-ups")),
            SelectChoice("view", _l("A task list filter")),
        ],
        default="personal",
        validators=[DataRequired()],
    )
    name = StringField(_l("Name in the calendar (optional)"), validators=[Length(max=200)])
    exchange_id = IntegerField(_l("Exchange number"), validators=[Optional()])
    query = StringField(_l("Task list filter"), validators=[Length(max=2000)])
    vtodo = BooleanField(_l("As tasks (VTODO) for Thunderbird, Evolution and task apps"))
    keep_done = BooleanField(_l("Keep done tasks, marked done"))
    overdue_today = BooleanField(_l("Show overdue open tasks on today's date"))


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking is a button."""


class ImportUploadForm(FlaskForm):
    file = FileField(_l("Invitation (.ics)"), validators=[FileRequired()])


class ImportSaveForm(FlaskForm):
    #: The uploaded file, base64, so saving uses exactly what was previewed.
    ics = HiddenField(validators=[DataRequired()])
    #: The UID of the event picked when the file holds several.
    uid = StringField(validators=[Optional(), Length(max=500)])

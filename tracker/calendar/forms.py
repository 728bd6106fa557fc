"""Forms of the calendar pages; each carries its CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, StringField

# SelectChoice is newer than the WTForms stubs (types-wtforms) know.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional

from tracker.calendar.models import FeedToken
from tracker.core.limits import max_length
from tracker.exchanges.models import Exchange
from tracker.web.forms import TrackerForm


class SubscriptionForm(TrackerForm):
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
    name = StringField(
        _l("Name in the calendar (optional)"), validators=[Length(max=max_length(FeedToken.name))]
    )
    exchange_id = IntegerField(_l("Exchange number"), validators=[Optional()])
    query = StringField(
        _l("Task list filter"), validators=[Length(max=max_length(FeedToken.query))]
    )
    vtodo = BooleanField(_l("As tasks (VTODO) for Thunderbird, Evolution and task apps"))
    keep_done = BooleanField(_l("Keep done tasks, marked done"))
    overdue_today = BooleanField(_l("Show overdue open tasks on today's date"))


class RevokeForm(TrackerForm):
    """Only the CSRF token: revoking is a button."""


class ImportUploadForm(TrackerForm):
    file = FileField(_l("Invitation (.ics)"), validators=[FileRequired()])


class ImportSaveForm(TrackerForm):
    #: The uploaded file, base64, so saving uses exactly what was previewed.
    ics = HiddenField(validators=[DataRequired()])
    #: The UID of the event picked when the file holds several.
    uid = StringField(validators=[Optional(), Length(max=max_length(Exchange.import_uid))])

"""Forms of the calendar pages; each carries its CSRF token (Flask-WTF)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField

# SelectChoice is newer than the WTForms stubs (types-wtforms) know.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional

from tracker.calendar.models import FeedToken
from tracker.core.limits import max_length
from tracker.exchanges.models import Exchange
from tracker.web import choices
from tracker.web.choices import LongSelectField, optional_int
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
    exchange_id = LongSelectField(_l("Exchange"), coerce=optional_int, validate_choice=False)
    #: A view feed's filter as a query string: from "subscribe to this list" on /tasks, or
    #: made from the view_* fields below (which win when `view_fields` is sent).
    query = HiddenField(validators=[Length(max=max_length(FeedToken.query))])
    view_fields = HiddenField()
    view_status = SelectField(_l("Status"), choices=[], validate_choice=False)
    view_owner_id = LongSelectField(_l("Owner"), coerce=optional_int, validate_choice=False)
    view_organisation_id = LongSelectField(_l("Organisation"), coerce=optional_int,
                                           validate_choice=False)
    view_exchange_id = LongSelectField(_l("Exchange"), coerce=optional_int,
                                       validate_choice=False)
    view_due_after = StringField(_l("Due from"), render_kw={"type": "date"})
    view_due_before = StringField(_l("Due until"), render_kw={"type": "date"})
    view_overdue = BooleanField(_l("only overdue"))
    view_q = StringField(_l("Search"), validators=[Length(max=200)])
    vtodo = BooleanField(_l("As tasks (VTODO) for Thunderbird, Evolution and task apps"))
    keep_done = BooleanField(_l("Keep done tasks, marked done"))
    overdue_today = BooleanField(_l("Show overdue open tasks on today's date"))


    def set_choices(self) -> None:
        people, exchanges = choices.people(active_only=False), choices.exchanges()
        self.exchange_id.choices = exchanges
        self.view_status.choices = [("", _l("open")), ("done", _l("done")),
                                    ("cancelled", _l("cancelled")), ("all", _l("all"))]
        self.view_owner_id.choices = [(None, _l("anyone")), *people]
        self.view_organisation_id.choices = [(None, _l("any")),
                                             *choices.organisations(include_none=False)]
        self.view_exchange_id.choices = exchanges

    def show_query(self, query: str) -> None:
        """Fill the filter fields from a task list's query string ("subscribe to this list")."""
        params = dict(parse_qsl(query.lstrip("?")))
        self.view_status.data = params.get("status", "")
        self.view_owner_id.data = optional_int(params.get("owner_id"))
        self.view_organisation_id.data = optional_int(params.get("organisation_id"))
        self.view_exchange_id.data = optional_int(params.get("exchange_id"))
        self.view_due_after.data = params.get("due_after", "")
        self.view_due_before.data = params.get("due_before", "")
        self.view_overdue.data = params.get("overdue", "") in ("1", "true", "yes", "on")
        self.view_q.data = params.get("q", "")

    def view_query(self) -> str:
        """The filter as a query string, from the fields or, without them, from `query`."""
        if self.view_fields.data != "1":
            return self.query.data or ""
        params = {
            "status": self.view_status.data or "",
            "owner_id": self.view_owner_id.data or "",
            "organisation_id": self.view_organisation_id.data or "",
            "exchange_id": self.view_exchange_id.data or "",
            "due_after": self.view_due_after.data or "",
            "due_before": self.view_due_before.data or "",
            "overdue": "1" if self.view_overdue.data else "",
            "q": (self.view_q.data or "").strip(),
        }
        return urlencode({k: v for k, v in params.items() if v})


class RevokeForm(TrackerForm):
    """Only the CSRF token: revoking is a button."""


class ImportUploadForm(TrackerForm):
    file = FileField(_l("Invitation (.ics)"), validators=[FileRequired()])


class ImportSaveForm(TrackerForm):
    #: The uploaded file, base64, so saving uses exactly what was previewed.
    ics = HiddenField(validators=[DataRequired()])
    #: The UID of the event picked when the file holds several.
    uid = StringField(validators=[Optional(), Length(max=max_length(Exchange.import_uid))])

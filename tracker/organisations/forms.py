"""The organisation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from tracker.core.limits import max_length
from tracker.organisations.models import ORGANISATION_KINDS, Organisation
from tracker.web.forms import TrackerForm
from tracker.web.helpers import labels


class OrganisationForm(TrackerForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=max_length(Organisation.name))]
    )
    short_name = StringField(
        _l("Short name"), validators=[Length(max=max_length(Organisation.short_name))]
    )
    kind = SelectField(_l("Kind"))
    country = StringField(
        _l("Country (two letters, e.g. DE)"),
        validators=[Length(max=max_length(Organisation.country))],
    )
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()

    def set_choices(self) -> None:
        names = labels()["organisation_kind"]
        self.kind.choices = [(k, names[k]) for k in ORGANISATION_KINDS]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "short_name": self.short_name.data or None,
            "kind": self.kind.data,
            "country": self.country.data or None,
            "active": bool(self.active.data),
        }

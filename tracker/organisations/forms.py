"""The organisation form (the home box only for admins: the view removes it otherwise)."""

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
    # Checked by the service (a missing one is German), so old forms and scripts still post.
    locale = SelectField(_l("Language"), default="de", validate_choice=False)
    active = BooleanField(_l("Active"), default=True)
    home = BooleanField(_l("Home organisation (the team's own)"))
    version = HiddenField()

    def set_choices(self) -> None:
        names = labels()["organisation_kind"]
        self.kind.choices = [(k, names[k]) for k in ORGANISATION_KINDS]
        self.locale.choices = [("de", "Deutsch"), ("en", "English")]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "short_name": self.short_name.data or None,
            "kind": self.kind.data,
            "country": self.country.data or None,
            "active": bool(self.active.data),
            "locale": self.locale.data or "de",
            # Only admins see the box; for anyone else the home mark stays as it is.
            **({"home": bool(self.home.data)} if "home" in self else {}),
        }


class InlineOrganisationForm(TrackerForm):
    """The few fields to add an organisation from inside the exchange or task form."""

    name = StringField(
        _l("Name of the new organisation"),
        validators=[DataRequired(), Length(max=max_length(Organisation.name))],
    )
    locale = SelectField(_l("Its language"), default="de", validate_choice=False)

    def set_choices(self) -> None:
        self.locale.choices = [("de", "Deutsch"), ("en", "English")]

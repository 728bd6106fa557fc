"""The admin's person form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tracker.accounts.models import Person
from tracker.core.limits import max_length
from tracker.web import choices
from tracker.web.choices import LongSelectField, optional_int
from tracker.web.forms import TrackerForm


class PersonForm(TrackerForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=max_length(Person.name))])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=max_length(Person.email))])
    organisation_id = LongSelectField(_l("Organisation"), coerce=optional_int)
    role = SelectField(_l("Role"))
    password = PasswordField(_l("New password"), validators=[Optional(), Length(min=10)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()

    def set_choices(self) -> None:
        self.organisation_id.choices = choices.organisations()
        self.role.choices = [("", _l("no login")), ("viewer", _l("Viewer")),
                             ("editor", _l("Editor")), ("admin", _l("Administrator"))]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "email": self.email.data or None,
            "organisation_id": self.organisation_id.data,
            # Editors' form has no role field: a contact without a login.
            **({"role": self.role.data or None} if "role" in self else {}),
            "active": bool(self.active.data),
        }


class InlinePersonForm(TrackerForm):
    """The few fields to add a contact from inside the exchange or task form."""

    name = StringField(
        _l("Name of the new person"),
        validators=[DataRequired(), Length(max=max_length(Person.name))],
    )
    email = EmailField(_l("Their email"),
                       validators=[Optional(), Length(max=max_length(Person.email))])

"""Creating and changing organisations (editors; the home mark only admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from tracker.core import audit, validation
from tracker.core.errors import InvalidField
from tracker.core.limits import max_length
from tracker.core.model import utcnow
from tracker.core.permissions import can_administer, can_edit, require
from tracker.core.validation import check_version
from tracker.extensions import db
from tracker.organisations.models import LOCALES, ORGANISATION_KINDS, Organisation

if TYPE_CHECKING:
    from tracker.accounts.models import Person

FIELDS = ("name", "short_name", "kind", "country", "active", "locale", "home")


def _validated(values: dict[str, Any], organisation_id: int | None) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise InvalidField(sorted(unknown)[0], "unknown_field", what="an organisation")
    v = dict(values)
    v["name"] = validation.text("name", v.get("name"), max_length=max_length(Organisation.name),
                                required=True, single_line=True)
    v["short_name"] = validation.text(
        "short_name", v.get("short_name"), max_length=max_length(Organisation.short_name),
        single_line=True,
    ) or None
    v["kind"] = validation.choice("kind", v.get("kind") or "other", ORGANISATION_KINDS)
    country = validation.text(
        "country", v.get("country"), max_length=max_length(Organisation.country), single_line=True
    )
    if country and not (len(country) == 2 and country.isalpha() and country.isascii()):
        raise InvalidField("country", "not_a_country")
    v["country"] = country.upper() or None
    if not isinstance(v.get("active", True), bool):
        raise InvalidField("active", "not_a_boolean")
    v["locale"] = validation.choice("locale", v.get("locale") or "de", LOCALES)
    v["home"] = v.get("home", False)
    if not isinstance(v["home"], bool):
        raise InvalidField("home", "not_a_boolean")
    # The exact name too: SQLite's lower() folds only ASCII, so "ÄRZTEKAMMER" would slip by.
    clash = db.session.scalar(
        select(Organisation.id).where(
            or_(
                Organisation.name == v["name"],
                func.lower(Organisation.name) == v["name"].lower(),
            ),
            Organisation.id != (organisation_id or 0),
        )
    )
    if clash is not None:
        raise InvalidField("name", "organisation_name_taken")
    return v


def create_organisation(actor: Person | None, **fields: Any) -> Organisation:
    """Pages, API and commands add organisations here, so the name stays unique and audited."""
    require(can_edit(actor))
    values = _validated(fields, None)
    _check_home(actor, values["home"], None)
    organisation = Organisation(**values)
    db.session.add(organisation)
    db.session.flush()
    audit.record("create", organisation, actor, {k: (None, v) for k, v in values.items() if v})
    return organisation


def update_organisation(
    organisation: Organisation,
    actor: Person | None,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Organisation:
    """One checked, audited path for a change, so two editors saving at once cannot clash."""
    require(can_edit(actor))
    check_version(organisation, expected_version)
    current = {name: getattr(organisation, name) for name in FIELDS}
    values = _validated({**current, **changes}, organisation.id)
    if values["home"] != organisation.home:
        _check_home(actor, values["home"], organisation.id)
    diff = audit.apply_changes(organisation, values)
    if diff:
        organisation.updated_at = utcnow()
        db.session.flush()
        audit.record("update", organisation, actor, diff)
    return organisation


def _check_home(actor: Person | None, home: bool, organisation_id: int | None) -> None:
    """Only an admin marks the home organisation; marking one unmarks the one before."""
    if not home:
        return
    require(can_administer(actor))
    previous = db.session.scalar(
        select(Organisation).where(Organisation.home, Organisation.id != (organisation_id or 0))
    )
    if previous is not None:
        previous.home = False
        previous.updated_at = utcnow()
        db.session.flush()
        audit.record("update", previous, actor, {"home": (True, False)})


def home_organisation_id() -> int | None:
    """The team's own organisation, which never counts as a shared partner."""
    return db.session.scalar(select(Organisation.id).where(Organisation.home))

"""Options for the select fields (one query each, whatever the page)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.accounts.models import Person
from tracker.exchanges.models import Exchange
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.web.helpers import exchange_when


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def people(include_none: bool = False, active_only: bool = True) -> list[tuple]:
    stmt = select(Person.id, Person.name).order_by(Person.name)
    if active_only:
        stmt = stmt.where(Person.active.is_(True))
    rows = [(pid, name) for pid, name in db.session.execute(stmt)]
    return ([(None, _("— nobody —"))] if include_none else []) + rows


def organisations(include_none: bool = True) -> list[tuple]:
    rows = [
        (oid, short or name)
        for oid, name, short in db.session.execute(
            select(Organisation.id, Organisation.name, Organisation.short_name)
            .where(Organisation.active.is_(True))
            .order_by(Organisation.name)
        )
    ]
    return ([(None, _("— none —"))] if include_none else []) + rows


def exchanges(include_none: bool = True, limit: int = 1000) -> list[tuple]:
    rows = db.session.scalars(
        select(Exchange)
        .where(Exchange.deleted_at.is_(None))
        .order_by(Exchange.start_date.desc().nulls_last(), Exchange.starts_at.desc(), Exchange.id)
        .limit(limit)
    )
    items = [(e.id, f"{e.title} ({exchange_when(e)})") for e in rows]
    return ([(None, _("— none —"))] if include_none else []) + items

"""Options for the select fields (one query each, whatever the page)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import SelectField
from wtforms.widgets import Select, html_params

from tracker.accounts.models import Person
from tracker.core import timeutil
from tracker.exchanges.models import Exchange
from tracker.exchanges.queries import sort_key
from tracker.extensions import db
from tracker.organisations.models import Organisation


class LongSelect(Select):
    """A select for choices that grow with the data: a thousand exchanges, several times on
    one page. Plain (value, label) pairs render in one pass, five times faster than WTForms'
    general renderer; anything else (groups, per-option attributes) is left to it."""

    def __call__(self, field: Any, **kwargs: object) -> Markup:
        choices = field.choices
        if not isinstance(choices, list) or any(
            type(c) is not tuple or len(c) != 2 for c in choices
        ):
            kwargs.setdefault("data-picker", "single")
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("data-picker", "single")  # app.js makes it a picker
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = getattr(field.flags, flag)
        coerce, data = field.coerce, field.data
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if coerce(value) == data else ""}>'
            f"{escape(label if label is not None else value)}</option>"
            for value, label in choices
        )
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


class LongSelectField(SelectField):
    """For choices that grow with the data: exchanges, people, organisations."""

    widget = LongSelect()


def optional_int(value: str | int | None) -> int | None:
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


def organisation_label(name: str, short_name: str | None) -> str:
    """"KTS — Kommunale Technologie-Services": the short name people know, then the full one."""
    if short_name and short_name.strip() and short_name != name:
        return f"{short_name} — {name}"
    return name


def organisations(include_none: bool = True) -> list[tuple]:
    """Active organisations as "short — full", sorted by what is shown."""
    rows = sorted(
        (
            (oid, organisation_label(name, short))
            for oid, name, short in db.session.execute(
                select(Organisation.id, Organisation.name, Organisation.short_name)
                .where(Organisation.active.is_(True))
            )
        ),
        key=lambda row: (row[1].casefold(), row[0]),
    )
    return ([(None, _("— none —"))] if include_none else []) + rows


def exchanges(
    include_none: bool = True, limit: int = 1000, after: date | None = None
) -> list[tuple]:
    """Exchanges newest first (or those after a day, soonest first), labelled "title (day)".

    A network has a thousand of them and several pages list them all, so this reads only
    the four columns it needs and formats each day once, with the locale looked up once.
    """
    locale, zone = get_locale(), timeutil.team_zone()
    day_labels: dict = {}

    def day_label(day: date) -> str:
        if day not in day_labels:
            day_labels[day] = format_date(day, "medium", locale=locale)
        return day_labels[day]

    stmt = select(Exchange.id, Exchange.title, Exchange.start_date, Exchange.starts_at).where(
        Exchange.is_live
    )
    if after is None:
        stmt = stmt.order_by(sort_key().desc(), Exchange.id.desc())
    else:
        stmt = stmt.where(sort_key() > after).order_by(sort_key(), Exchange.id)
    rows = db.session.execute(stmt.limit(limit))
    items = []
    for eid, title, start_date, starts_at in rows:
        # Without a start date an exchange has a start time (the "when" check constraint).
        day = start_date or cast(datetime, starts_at).astimezone(zone).date()
        items.append((eid, f"{title} ({day_label(day)})"))
    return ([(None, _("— none —"))] if include_none else []) + items

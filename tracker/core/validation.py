"""Small checks the services share; each raises InvalidField naming the field."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time
from typing import Any

from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.limits import MAX_IDS_IN_LIST, SEARCH_MAX_LENGTH, is_id
from tracker.core.model import Record
from tracker.extensions import db

_CONTROL = {chr(c) for c in range(32)} - {"\n", "\r", "\t"}
#: Dates outside these years are typing errors, and near year 1 or 9999 they overflow
#: once a time zone or an hour is added.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def _in_range(field: str, day: date) -> None:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidField(
            field, "year_out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR
        )


def text(
    field: str, value: Any, *, max_length: int, required: bool = False, single_line: bool = False
) -> str:
    """Stored text, trimmed: it must fit its column and carry no control characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidField(field, "not_text")
    value = value.strip()
    if required and not value:
        raise InvalidField(field, "required")
    if len(value) > max_length:
        raise InvalidField(field, "too_long", max=max_length)
    if single_line and ("\n" in value or "\r" in value):
        raise InvalidField(field, "not_single_line")
    if any(ch in _CONTROL for ch in value):
        raise InvalidField(field, "control_characters")
    return value


def search_text(value: object, max_length: int = SEARCH_MAX_LENGTH) -> str:
    """A search box's text, read leniently as the page lists read their filters: trimmed,
    cut to `max_length`, control characters left out (PostgreSQL refuses a NUL in a query,
    and SQLite would end the search text at it and find everything)."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ord(ch) >= 32).strip()[:max_length]


def choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of the codes a column stores, so the pages' labels know every value."""
    if value not in allowed:
        raise InvalidField(field, "not_one_of", allowed=", ".join(allowed))
    return value


def a_date(field: str, value: Any, *, required: bool = False) -> date | None:
    """A calendar day in a plausible year (a datetime is refused: it would hide a time)."""
    if value is None:
        if required:
            raise InvalidField(field, "required")
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidField(field, "not_a_date")
    _in_range(field, value)
    return value


def a_time(field: str, value: Any) -> time | None:
    """A wall-clock time in the team's zone, so it is stored without an offset."""
    if value is None:
        return None
    if not isinstance(value, time):
        raise InvalidField(field, "not_a_time")
    return value.replace(tzinfo=None)


def aware(field: str, value: Any, *, required: bool = False) -> datetime | None:
    """A moment with its time zone, so it means the same for every reader."""
    if value is None:
        if required:
            raise InvalidField(field, "required")
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidField(field, "not_aware")
    _in_range(field, value.date())
    return value


def existing(
    field: str, model: type, ident: Any, *, required: bool = False, live: bool = True
) -> Any:
    """The record `ident` names, or InvalidField if there is none (or it was deleted)."""
    if ident is None:
        if required:
            raise InvalidField(field, "required")
        return None
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise InvalidField(field, "not_an_id")
    obj = db.session.get(model, ident) if is_id(ident) else None
    if obj is None or (live and getattr(obj, "is_deleted", False)):
        raise InvalidField(field, "not_found", kind=model.__name__.lower(), id=ident)
    return obj


def existing_all(field: str, model: type, idents: Collection[Any] | None) -> list[Any]:
    """The records a list of ids names (each once), so a link never points at nothing."""
    if idents is None:
        return []
    if not isinstance(idents, list | tuple | set):
        raise InvalidField(field, "not_a_list_of_ids")
    if len(idents) > MAX_IDS_IN_LIST:
        raise InvalidField(field, "too_many_ids", max=MAX_IDS_IN_LIST)
    return [existing(field, model, i) for i in dict.fromkeys(idents)]


def check_version(record: Record, expected_version: int | None) -> None:
    """Refuse to save over a change the caller has not seen."""
    if expected_version is not None and record.version != expected_version:
        raise StaleVersion(current=record)

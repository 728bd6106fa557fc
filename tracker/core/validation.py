"""Small checks the services share; each raises InvalidField naming the field."""

from __future__ import annotations

from datetime import date, datetime, time

from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.limits import MAX_ID, SEARCH_MAX_LENGTH
from tracker.extensions import db

_CONTROL = {chr(c) for c in range(32)} - {"\n", "\r", "\t"}
#: Dates outside these years are typing errors, and near year 1 or 9999 they overflow
#: once a time zone or an hour is added.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def _in_range(field: str, day: date) -> None:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidField(field, f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}")


def text(field: str, value, *, max_length: int, required: bool = False, single_line=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidField(field, "must be text")
    value = value.strip()
    if required and not value:
        raise InvalidField(field, "is required")
    if len(value) > max_length:
        raise InvalidField(field, f"is longer than {max_length} characters")
    if single_line and ("\n" in value or "\r" in value):
        raise InvalidField(field, "must be a single line")
    if any(ch in _CONTROL for ch in value):
        raise InvalidField(field, "contains control characters")
    return value


def search_text(value, max_length: int = SEARCH_MAX_LENGTH) -> str:
    """A search box's text, read leniently as the page lists read their filters: trimmed,
    cut to `max_length`, control characters left out (PostgreSQL refuses a NUL in a query,
    and SQLite would end the search text at it and find everything)."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ord(ch) >= 32).strip()[:max_length]


def choice(field: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidField(field, f"must be one of {', '.join(allowed)}")
    return value


def a_date(field: str, value, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise InvalidField(field, "is required")
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidField(field, "must be a date")
    _in_range(field, value)
    return value


def a_time(field: str, value) -> time | None:
    if value is None:
        return None
    if not isinstance(value, time):
        raise InvalidField(field, "must be a time")
    return value.replace(tzinfo=None)


def aware(field: str, value, *, required: bool = False) -> datetime | None:
    if value is None:
        if required:
            raise InvalidField(field, "is required")
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidField(field, "must be a date and time with a time zone")
    _in_range(field, value.date())
    return value


def existing(field: str, model, ident, *, required: bool = False, live: bool = True):
    """The record `ident` names, or InvalidField if there is none (or it was deleted)."""
    if ident is None:
        if required:
            raise InvalidField(field, "is required")
        return None
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise InvalidField(field, "must be an id")
    obj = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if obj is None or (live and getattr(obj, "is_deleted", False)):
        raise InvalidField(field, f"there is no {model.__name__.lower()} {ident}")
    return obj


def existing_all(field: str, model, idents) -> list:
    if idents is None:
        return []
    if not isinstance(idents, list | tuple | set):
        raise InvalidField(field, "must be a list of ids")
    if len(idents) > 1000:
        raise InvalidField(field, "lists more than 1000 ids")
    return [existing(field, model, i) for i in dict.fromkeys(idents)]


def check_version(record, expected_version: int | None) -> None:
    """Refuse to save over a change the caller has not seen."""
    if expected_version is not None and record.version != expected_version:
        raise StaleVersion(current=record)

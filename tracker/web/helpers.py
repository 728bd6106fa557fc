"""Helpers the feature views share; none of them writes to the database."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from babel.dates import format_date as babel_format_date
from babel.dates import format_timedelta
from flask import Response, abort, request, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Form

from tracker.core import permissions, timeutil
from tracker.core.errors import InvalidField

if TYPE_CHECKING:
    from tracker.exchanges.models import Exchange

P = ParamSpec("P")
R = TypeVar("R")


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only a local path (no scheme, no host, no '//' or '\\' tricks) may be a redirect target."""
    default = default or url_for("home.index")
    if not target or not isinstance(target, str):
        return default
    if target.startswith(("//", "/\\")) or "\\" in target or not target.startswith("/"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def editor_required(view: Callable[P, R]) -> Callable[P, R]:
    """Pages that only lead to a change an editor may make."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not permissions.can_edit(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Pages that manage people and organisations: admins only."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not permissions.can_administer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def page_number() -> int:
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    return max(1, min(page, 100_000))


# -- formatting -------------------------------------------------------------------------


def fmt_date(value: date | None, style: str = "medium", locale: str | None = None) -> str:
    """A day or a moment (in the team's zone) in the page's words; `locale`, the page's
    language when the caller knows it already (`str(get_locale())`), saves asking."""
    if not value:
        return ""
    if type(value) is date:  # a day: no time zone to convert to
        if locale is None and (page_locale := get_locale()) is not None:
            locale = str(page_locale)
        if locale is not None:
            return _day(value, style, locale)
    return format_date(value, style)


@lru_cache(maxsize=4096)
def _day(value: date, style: str, locale: str) -> str:
    """Babel's words for a day, kept: each call costs tens of microseconds, and a list of
    a hundred tasks shows a few dozen distinct days (Flask-Babel's format_date with no
    date formats configured, as here, is Babel's with the page's locale)."""
    return babel_format_date(value, style, locale=locale)


def fmt_datetime(value: datetime | None, style: str = "medium") -> str:
    return format_datetime(value, style) if value else ""


def fmt_time(value: time | datetime | None, style: str = "short") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None and timeutil.is_ambiguous(value):
            return f"{format_time(value, style)} ({utc_offset(value)})"
        return format_time(value, style)
    # A wall-clock due time: already in the team's zone, no conversion.
    return format_time(datetime.combine(date(2000, 1, 1), value), style, rebase=False)


def utc_offset(value: datetime) -> str:
    """"UTC+1", "UTC+5:30": tells apart the two 02:30 of the night the clocks go back."""
    offset = timeutil.to_local(value).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def relative_due(due: date | None, today: date | None = None, locale: str | None = None) -> str:
    """"due today", "in 3 days", "2 weeks overdue" (`locale`: as for fmt_date)."""
    if due is None:
        return _("no date")
    today = today or timeutil.today()
    return _relative_days((due - today).days, locale or str(get_locale()))


@lru_cache(maxsize=4096)
def _relative_days(days: int, page_locale: str) -> str:
    """relative_due's words, kept per language: a page of a hundred tasks asks for a few
    dozen distinct ones (`page_locale` is the one gettext translates into: the key)."""
    if days == 0:
        return _("due today")
    locale = page_locale if page_locale != "None" else "de"
    if days > 0:
        # "in 3 days" / "in 3 Tagen": Babel knows each language's grammar for this.
        return _days(days, locale, True)
    return _("%(span)s overdue", span=_days(-days, locale, False))


@lru_cache(maxsize=4096)
def _days(days: int, locale: str, add_direction: bool) -> str:
    """Babel's words for a number of days, kept: Babel takes milliseconds for each (its
    plural rules), which a list of a hundred tasks would pay a hundred times."""
    return format_timedelta(timedelta(days=days), granularity="day", threshold=1.5,
                            add_direction=add_direction, locale=locale)


def date_or_time(value: date | datetime | None) -> str:
    """A meeting's start as a page shows it: the day with its weekday, and the time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        day = timeutil.local_date(value)
        return f"{format_date(day, 'full')}, {fmt_time(value)}"
    return format_date(value, "full")


def exchange_when(exchange: Exchange | None) -> str:
    if exchange is None:
        return ""
    if exchange.all_day:
        if exchange.end_date and exchange.end_date != exchange.start_date:
            return f"{fmt_date(exchange.start_date)} – {fmt_date(exchange.end_date)}"
        return fmt_date(exchange.start_date)
    start, end = exchange.starts_at, exchange.ends_at
    if start is None:
        return ""

    def at(moment: datetime) -> str:
        return f"{fmt_date(timeutil.local_date(moment))}, {fmt_time(moment)}"

    if end and timeutil.local_date(end) == timeutil.local_date(start):
        return f"{at(start)} – {fmt_time(end)}"
    return f"{at(start)} – {at(end)}" if end else at(start)


# -- labels for stored codes ---------------------------------------------------------------


def labels() -> dict[str, dict[str, str]]:
    """Translated names of the codes the models store (shared per language: read only)."""
    return _labels(str(get_locale()))


@lru_cache(maxsize=16)
def _labels(page_locale: str) -> dict[str, dict[str, str]]:
    """Made once per language (`page_locale`, the key, is the one gettext translates
    into): every page's template context has them, and they are sixty translations."""
    return {
        "task_status": {"open": _("open"), "done": _("done"), "cancelled": _("cancelled")},
        "exchange_status": {
            "planned": _("planned"), "held": _("held"), "cancelled": _("cancelled"),
        },
        "exchange_kind": {
            "conference": _("Conference"),
            "visit": _("Partner-city visit"),
            "workshop": _("Workshop"),
            "network_meeting": _("Network meeting"),
            "werkstatt": _("Werkstatt"),
            "other": _("Other"),
        },
        "outcome_status": {
            "agreed": _("agreed"),
            "in_progress": _("in progress"),
            "fulfilled": _("fulfilled"),
            "dropped": _("dropped"),
        },
        "role": {"admin": _("Administrator"), "editor": _("Editor"), "viewer": _("Viewer")},
        "organisation_kind": {
            "city": _("City"),
            "district": _("District"),
            "ministry": _("Ministry"),
            "agency": _("Agency"),
            "company": _("Company"),
            "university": _("University"),
            "association": _("Association"),
            "other": _("Other"),
        },
        "digest": {"daily": _("daily"), "weekly": _("weekly"), "never": _("never")},
        "action": {
            "create": _("created"),
            "update": _("changed"),
            "complete": _("checked off"),
            "reopen": _("reopened"),
            "cancel": _("cancelled"),
            "delete": _("deleted"),
            "restore": _("restored"),
            "move": _("moved with its exchange"),
            "send_agenda": _("agenda sent"),
            "finish_minutes": _("minutes finished and sent"),
            "note": _("added a note"),
            "propose": _("proposed a new date"),
            "accept": _("accepted the proposed date"),
            "decline": _("declined the proposed date"),
        },
    }


def localized(record: Any, field: str, locale: str | None = None) -> str:
    """A task's or outcome's `field` in the reader's language (the page's, or the mail's
    under force_locale), falling back to the text as written (`locale`: as for fmt_date)."""
    return record.localized(field, locale or str(get_locale()))


def field_label(name: str) -> str:
    """A record field's name as the audit history shows it."""
    names = {
        "title": _("title"), "description": _("description"), "owner_id": _("owner"),
        "organisation_id": _("organisation"), "exchange_id": _("exchange"),
        "outcome_id": _("outcome"), "due_date": _("due date"), "due_time": _("due time"),
        "due_exchange_id": _("due exchange"), "status": _("status"),
        "completed_at": _("completion"), "completed_by_id": _("completed by"),
        "plans_exchange_id": _("planned exchange"), "deleted_at": _("deletion"),
        "text": _("text"), "organisations": _("organisations"),
        "participants": _("participants"), "name": _("name"), "email": _("email"),
        "role": _("role"), "locale": _("language"), "active": _("active"),
    }
    return names.get(name, name)


# -- domain errors on forms --------------------------------------------------------------


def show_on_form(form: Form, exc: InvalidField, aliases: dict[str, str] | None = None) -> None:
    """A service's refusal at the form field it names (or the whole form), in the page's words."""
    name = (aliases or {}).get(exc.field, exc.field)
    field = getattr(form, name, None)
    text = exc.sentence()
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), text]
    else:
        form.form_errors.append(text)


def inline_answer(form: Form, saved: tuple[int, str] | None) -> tuple[dict[str, Any], int]:
    """What app.js reads after adding an organisation or person from inside another form:
    the new option to add and select, or each field's messages."""
    if saved is not None:
        return {"ok": True, "id": saved[0], "label": saved[1]}, 200
    errors = {name: [str(e) for e in field.errors] for name, field in form._fields.items()
              if field.errors}
    messages = [str(e) for e in getattr(form, "form_errors", [])]
    return {"ok": False, "errors": errors, "messages": messages}, 400


# -- CSV ---------------------------------------------------------------------------------


def csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> Response:
    """UTF-8 with a BOM and CRLF: Excel and LibreOffice both open it with umlauts intact."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return Response(
        buf.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


def _csv_cell(value: Any) -> Any:
    """Neutralise formula injection: a cell must not start with = + - @ in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

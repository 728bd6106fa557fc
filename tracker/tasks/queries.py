"""The task-list filter that the web list, the CSV export, the API and calendar feeds share.

`filter_tasks(select(Task), request.args)` narrows a select by the contract's filters:
status, owner_id, organisation_id, exchange_id, due_before, due_after, overdue=true, q.
Unknown parameters are ignored (pages carry others: page, sort, ...); a malformed value of
a known one raises InvalidField naming it, so a page shows a message and the API a 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import Select, or_

from tracker.core.errors import InvalidField
from tracker.tasks.models import TASK_STATUSES, Task

FILTER_PARAMS = (
    "status",
    "owner_id",
    "organisation_id",
    "exchange_id",
    "due_before",
    "due_after",
    "overdue",
    "q",
)
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


def _id(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**63:
        raise InvalidField(name, "must be an id")
    return int(value)


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidField(name, "must be a date (YYYY-MM-DD)") from exc


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_tasks(select_stmt: Select, params: Mapping[str, str], today: date | None = None):
    """`select_stmt` narrowed by `params`; deleted tasks are always left out.

    status: one or several, comma-separated (open,done); overdue=true: open and due
    before `today` (the team's today unless given); due_before/due_after: inclusive;
    q: case-insensitive text in title or description.
    """
    stmt = select_stmt.where(Task.deleted_at.is_(None))
    value = (params.get("status") or "").strip()
    if value:
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        bad = [s for s in statuses if s not in TASK_STATUSES]
        if bad or not statuses:
            raise InvalidField("status", f"must be one of {', '.join(TASK_STATUSES)}")
        stmt = stmt.where(Task.status.in_(statuses))
    for name, column in (
        ("owner_id", Task.owner_id),
        ("organisation_id", Task.organisation_id),
        ("exchange_id", Task.exchange_id),
    ):
        value = (params.get(name) or "").strip()
        if value:
            stmt = stmt.where(column == _id(name, value))
    value = (params.get("due_before") or "").strip()
    if value:
        stmt = stmt.where(Task.due_date <= _day("due_before", value))
    value = (params.get("due_after") or "").strip()
    if value:
        stmt = stmt.where(Task.due_date >= _day("due_after", value))
    value = (params.get("overdue") or "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise InvalidField("overdue", "must be true or false")
    if value in _TRUE:
        if today is None:
            from tracker.core.timeutil import today as team_today

            today = team_today()
        stmt = stmt.where(Task.status == "open", Task.due_date < today)
    value = (params.get("q") or "").strip()
    if value:
        if len(value) > 200:
            raise InvalidField("q", "is longer than 200 characters")
        pattern = f"%{_like_escaped(value)}%"
        stmt = stmt.where(
            or_(
                Task.title.ilike(pattern, escape="\\"),
                Task.description.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def depends_on_today(params: Mapping[str, str]) -> bool:
    """Whether the filter's result changes with the date alone (overdue=true)."""
    return (params.get("overdue") or "").strip().lower() in _TRUE

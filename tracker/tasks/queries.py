"""Read-side task queries: the filters that live in the URL, with everything a row shows
loaded up front so a page costs the same number of queries at 10 rows as at 10,000."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.core import timeutil
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.tasks.models import TASK_STATUSES, Task

SORTS = {
    "due": (Task.due_date.is_(None), Task.due_date, Task.due_time, Task.id),
    "-due": (Task.due_date.is_(None), Task.due_date.desc(), Task.id.desc()),
    "title": (Task.title, Task.id),
    "updated": (Task.updated_at.desc(), Task.id.desc()),
}


def row_options():
    """What a task row shows, loaded with the page instead of one query per row."""
    return (
        joinedload(Task.owner),
        joinedload(Task.organisation),
        joinedload(Task.exchange),
        joinedload(Task.due_exchange),
        joinedload(Task.outcome),
    )


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class TaskFilter:
    """The task list's filters as query parameters; unknown or bad values are ignored."""

    status: str = "open"
    owner_id: int | None = None
    organisation_id: int | None = None
    exchange_id: int | None = None
    due_after: date | None = None
    due_before: date | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "due"
    ids: list[int] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> TaskFilter:
        status = args.get("status", "open")
        sort = args.get("sort", "due")
        return cls(
            status=status if status in (*TASK_STATUSES, "all") else "open",
            owner_id=_int(args.get("owner_id")),
            organisation_id=_int(args.get("organisation_id")),
            exchange_id=_int(args.get("exchange_id")),
            due_after=_date(args.get("due_after")),
            due_before=_date(args.get("due_before")),
            overdue=args.get("overdue") in ("1", "true", "on"),
            q=(args.get("q") or "").strip()[:200],
            sort=sort if sort in SORTS else "due",
        )

    def args(self) -> dict[str, str]:
        """The filter as query parameters again (for links, pagination, CSV)."""
        out = {
            "status": self.status,
            "owner_id": self.owner_id,
            "organisation_id": self.organisation_id,
            "exchange_id": self.exchange_id,
            "due_after": self.due_after.isoformat() if self.due_after else None,
            "due_before": self.due_before.isoformat() if self.due_before else None,
            "overdue": "1" if self.overdue else None,
            "q": self.q or None,
            "sort": self.sort if self.sort != "due" else None,
        }
        return {k: str(v) for k, v in out.items() if v is not None}

    def apply(self, stmt: Select) -> Select:
        if self.status != "all":
            stmt = stmt.where(Task.status == self.status)
        if self.owner_id:
            stmt = stmt.where(Task.owner_id == self.owner_id)
        if self.organisation_id:
            stmt = stmt.where(Task.organisation_id == self.organisation_id)
        if self.exchange_id:
            stmt = stmt.where(
                or_(Task.exchange_id == self.exchange_id,
                    Task.due_exchange_id == self.exchange_id)
            )
        if self.due_after:
            stmt = stmt.where(Task.due_date >= self.due_after)
        if self.due_before:
            stmt = stmt.where(Task.due_date <= self.due_before)
        if self.overdue:
            stmt = stmt.where(Task.status == "open", Task.due_date < timeutil.today())
        if self.q:
            pattern = "%" + self.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            stmt = stmt.where(
                or_(func.lower(Task.title).like(pattern, escape="\\"),
                    func.lower(Task.description).like(pattern, escape="\\"))
            )
        return stmt

    def statement(self) -> Select:
        stmt = self.apply(select(Task).where(Task.deleted_at.is_(None)))
        return stmt.options(*row_options()).order_by(*SORTS[self.sort])


def page_of_tasks(flt: TaskFilter, page: int, per_page: int = 50):
    return db.paginate(flt.statement(), page=page, per_page=per_page, error_out=False,
                       max_per_page=500)


def outcomes_with_exchange():
    return db.session.scalars(
        select(Outcome)
        .join(Outcome.exchange)
        .where(Outcome.deleted_at.is_(None), Exchange.deleted_at.is_(None))
        .options(selectinload(Outcome.exchange))
        .order_by(Exchange.id.desc(), Outcome.id)
        .limit(500)
    )

"""Read-side task queries, shared by the web list, the CSV export, the API and the feeds.

`filter_tasks(select(Task), request.args)` narrows a select by the task list's filters:
status, owner_id, organisation_id, exchange_id, due_before, due_after, overdue=true, q.
Unknown parameters are ignored (pages carry others: page, sort, ...); a malformed value of
a known one raises InvalidField naming it, so the API answers 422. The web list reads its
parameters leniently first (TaskFilter), so a hand-edited URL still shows a list; a row
loads everything it shows up front, so a page costs the same queries at 10 rows as at 10,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, ScalarResult, Select, and_, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from tracker.core.errors import InvalidField
from tracker.core.limits import MAX_PER_PAGE, PER_PAGE, SEARCH_MAX_LENGTH, is_id
from tracker.core.validation import search_text
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
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
    if not value.isascii() or not value.isdigit() or not is_id(int(value)):
        raise InvalidField(name, "not_an_id")
    return int(value)


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidField(name, "not_an_iso_date") from exc


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_tasks(
    select_stmt: Select, params: Mapping[str, str], today: date | None = None
) -> Select:
    """`select_stmt` narrowed by `params`; deleted tasks are always left out.

    status: one or several, comma-separated (open,done), or all; overdue=true: open and due
    before `today` (the team's today unless given); due_before/due_after: inclusive;
    q: case-insensitive text in title or description.
    """
    stmt = select_stmt.where(Task.is_live)
    value = (params.get("status") or "").strip()
    if value and value != "all":
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        bad = [s for s in statuses if s not in TASK_STATUSES]
        if bad or not statuses:
            raise InvalidField("status", "not_one_of", allowed=", ".join(TASK_STATUSES))
        stmt = stmt.where(Task.status.in_(statuses))
    for name, column in (
        ("owner_id", Task.owner_id),
        ("organisation_id", Task.organisation_id),
    ):
        value = (params.get(name) or "").strip()
        if value:
            stmt = stmt.where(column == _id(name, value))
    value = (params.get("exchange_id") or "").strip()
    if value:
        # The exchange's own follow-ups and those due at it ("report at SCCON").
        exchange_id = _id("exchange_id", value)
        stmt = stmt.where(or_(Task.exchange_id == exchange_id, Task.due_exchange_id == exchange_id))
    value = (params.get("due_before") or "").strip()
    if value:
        stmt = stmt.where(Task.due_date <= _day("due_before", value))
    value = (params.get("due_after") or "").strip()
    if value:
        stmt = stmt.where(Task.due_date >= _day("due_after", value))
    value = (params.get("overdue") or "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise InvalidField("overdue", "not_a_boolean")
    if value in _TRUE:
        if today is None:
            from tracker.core.timeutil import today as team_today

            today = team_today()
        stmt = stmt.where(Task.is_overdue(today))
    value = (params.get("q") or "").strip()
    if value:
        if len(value) > SEARCH_MAX_LENGTH:
            raise InvalidField("q", "too_long", max=SEARCH_MAX_LENGTH)
        if any(ord(ch) < 32 for ch in value):
            raise InvalidField("q", "control_characters")
        # A subquery: the text is matched in one sequential pass over the table, where
        # the planner would otherwise read every row of the status through its index.
        stmt = stmt.where(Task.id.in_(select(Task.id).where(_text_in_task(value))))
    return stmt


#: The only letters outside ASCII whose lower case holds an ASCII letter (İ → i̇, the
#: Kelvin sign → k): what SQLite's own LIKE, which folds ASCII alone, would miss.
_ASCII_LOWERING = ("\u0130", "\u212a")


def _text_in_task(value: str) -> ColumnElement[bool]:
    """`value` in the title or the description, in any case.

    On SQLite, lower() is a Python function (core/database.py: it folds "Ü" too), called
    per row. For an ASCII needle SQLite's own LIKE, folding ASCII alone, finds the same
    rows: what it matches is ASCII text, which lower() folds alike; only a text with one
    of _ASCII_LOWERING can match through lower() alone, and only those rows call it
    (a tenth of a second less at 50,000 tasks)."""
    pattern = f"%{_like_escaped(value)}%"
    columns = (Task.title, Task.description)
    exact = or_(*(column.ilike(pattern, escape="\\") for column in columns))
    if not value.isascii() or db.session.get_bind().dialect.name != "sqlite":
        return exact
    odd_letters = or_(*(column.contains(letter) for column in columns
                        for letter in _ASCII_LOWERING))
    return or_(*(column.like(pattern, escape="\\") for column in columns),
               and_(odd_letters, exact))


def depends_on_today(params: Mapping[str, str]) -> bool:
    """Whether the filter's result changes with the date alone (overdue=true)."""
    return (params.get("overdue") or "").strip().lower() in _TRUE


SORTS: dict[str, tuple[Any, ...]] = {
    # NULLS LAST rather than "due_date IS NULL" first: the order of ix_tasks_live_due, so
    # a page is read off the index on SQLite and PostgreSQL alike instead of sorting.
    "due": (Task.due_date.nulls_last(), Task.due_time, Task.id),
    "-due": (Task.due_date.is_(None), Task.due_date.desc(), Task.id.desc()),
    "title": (Task.title, Task.id),
    "updated": (Task.updated_at.desc(), Task.id.desc()),
}


def row_options() -> tuple[LoaderOption, ...]:
    """What a task row shows, loaded with the rows instead of one query per row."""
    return (
        joinedload(Task.owner),
        joinedload(Task.organisation),
        joinedload(Task.exchange),
        joinedload(Task.due_exchange),
        joinedload(Task.outcome),
    )


def rows_by_id(ids: list[int]) -> list[Task]:
    """These tasks, in this order, with what their rows show: one query."""
    if not ids:
        return []
    found = {t.id: t for t in db.session.scalars(
        select(Task).where(Task.id.in_(ids)).options(*row_options()))}
    return [found[i] for i in ids if i in found]


def paginate_rows(
    stmt: Select, page: int, per_page: int, max_per_page: int | None = None
) -> Pagination:
    """A page of the tasks `stmt` selects in order, with their rows' relations.

    The sort and the limit run on task ids alone, then the page's tasks load joined to
    their relations: joined before the limit, every one of ten thousand filtered tasks
    would carry its exchange's columns through the sort.
    """
    pagination = db.paginate(stmt.with_only_columns(Task.id), page=page, per_page=per_page,
                             error_out=False, max_per_page=max_per_page)
    pagination.items = rows_by_id(list(pagination.items))
    return pagination


class ComputedPagination(Pagination):
    """A page whose items and total are worked out by the caller (a query that reads the
    matches once, or counts kept per group): `items(offset, limit)` and `total()`."""

    def _query_items(self) -> list[Any]:
        return list(self._query_args["items"](self._query_offset, self.per_page))

    def _query_count(self) -> int:
        return int(self._query_args["total"]())


def paginate_in_one_read(
    stmt: Select, page: int, per_page: int, max_per_page: int | None = None
) -> Pagination:
    """As paginate_rows, for a filter no index can answer (text in a description): the
    matching ids are read in one pass and counted in Python, not scanned for the page and
    again for the count."""
    ids: list[int] = list(db.session.scalars(stmt.with_only_columns(Task.id)))
    return ComputedPagination(
        page=page, per_page=per_page, max_per_page=max_per_page, error_out=False,
        items=lambda offset, limit: rows_by_id(ids[offset : offset + limit]),
        total=lambda: len(ids),
    )


def first_rows(stmt: Select, limit: int) -> list[Task]:
    """The first `limit` tasks `stmt` selects in order (see paginate_rows)."""
    return rows_by_id(list(db.session.scalars(stmt.with_only_columns(Task.id).limit(limit))))


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if is_id(number) else None


def _date(value: str | None) -> date | None:
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
    def from_args(cls, args: Mapping[str, str]) -> TaskFilter:
        """The page's filter, read leniently: an odd value falls back to its default."""
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
            q=search_text(args.get("q")),
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
        """The same filter the API and the "subscribe to this view" feed apply."""
        return filter_tasks(stmt, self.args())

    def statement(self) -> Select:
        """The filtered tasks in order."""
        return self.apply(select(Task)).order_by(*SORTS[self.sort])


def page_of_tasks(flt: TaskFilter, page: int, per_page: int = PER_PAGE) -> Pagination:
    """The list pages through its filter on task ids, so page 200 costs what page 1 does."""
    paginate = paginate_in_one_read if flt.q else paginate_rows
    return paginate(flt.statement(), page, per_page, max_per_page=MAX_PER_PAGE)


def outcomes_with_exchange() -> ScalarResult[Outcome]:
    """A task form offers outcomes labelled by their exchange, loaded in one more query."""
    return db.session.scalars(
        select(Outcome)
        .join(Outcome.exchange)
        .where(Outcome.is_live, Exchange.is_live)
        .options(selectinload(Outcome.exchange))
        .order_by(Exchange.id.desc(), Outcome.id)
        .limit(500)
    )

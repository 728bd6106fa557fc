"""What a feed shows: the conditions that choose its tasks and exchanges, per kind of feed.

A new kind of feed (a series, a partner's feed) adds its selection here; the caches and
serving take any `Selection` as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import ColumnExpressionArgument, select

from tracker.calendar.context import FeedContext, FeedOptions
from tracker.calendar.models import FeedToken
from tracker.exchanges.models import Exchange, exchange_organisations, exchange_participants
from tracker.tasks.models import Task
from tracker.tasks.queries import FILTER_PARAMS, depends_on_today, filter_tasks

#: One condition of a feed's query, as `select(...).where(*conditions)` takes them.
Condition = ColumnExpressionArgument[bool]


@dataclass(frozen=True)
class Selection:
    """The conditions choosing a feed's tasks and exchanges (None: none of that kind).

    Shared between requests (`selection_for` keeps them): never changed in place."""

    tasks: list[Condition] | None
    exchanges: list[Condition] | None
    #: Whether the set of items changes with the date alone (an overdue filter).
    by_date: bool = False


def task_conditions(options: FeedOptions) -> list[Condition]:
    """The tasks every feed shows: live, open (and done if kept), dated unless as VTODOs."""
    shown = ["open", "done"] if options.keep_done else ["open"]
    conditions: list[Condition] = [Task.is_live, Task.status.in_(shown)]
    if not options.vtodo:
        conditions.append(Task.due_date.is_not(None))
    return conditions


def personal_selection(person_id: int, options: FeedOptions) -> Selection:
    """My tasks and the exchanges I take part in."""
    taking_part = select(exchange_participants.c.exchange_id).where(
        exchange_participants.c.person_id == person_id
    )
    return Selection(
        tasks=[*task_conditions(options), Task.owner_id == person_id],
        exchanges=[Exchange.is_live, Exchange.id.in_(taking_part)],
    )


def team_selection(options: FeedOptions) -> Selection:
    """Everyone's tasks and every exchange."""
    return Selection(tasks=task_conditions(options), exchanges=[Exchange.is_live])


def exchange_selection(exchange_id: int, options: FeedOptions) -> Selection:
    """One exchange and the tasks that came out of it."""
    return Selection(
        tasks=[*task_conditions(options), Task.exchange_id == exchange_id],
        exchanges=[Exchange.is_live, Exchange.id == exchange_id],
    )


def organisation_selection(organisation_id: int, options: FeedOptions) -> Selection:
    """What one organisation committed to and the exchanges it takes part in (a partner
    link's feed)."""
    taking_part = select(exchange_organisations.c.exchange_id).where(
        exchange_organisations.c.organisation_id == organisation_id
    )
    return Selection(
        tasks=[*task_conditions(options), Task.organisation_id == organisation_id],
        exchanges=[Exchange.is_live, Exchange.id.in_(taking_part)],
    )


def view_selection(params: Mapping[str, str], options: FeedOptions, today: date) -> Selection:
    """A task-list filter, parsed by the same function the task list and the API use."""
    stmt = filter_tasks(select(Task.id), params, today=today)
    conditions: list[Condition] = [Task.is_live, Task.id.in_(stmt)]
    if not (params.get("status") or "").strip():
        conditions = [*task_conditions(options), Task.id.in_(stmt)]
    elif not options.vtodo:
        conditions.append(Task.due_date.is_not(None))
    return Selection(tasks=conditions, exchanges=None, by_date=depends_on_today(params))


def selection_for(token: FeedToken, ctx: FeedContext) -> Selection:
    """What `token`'s feed shows; raises InvalidField if a view feed's filter went bad.

    Kept per process (the conditions are plain SQL expressions, the same for every
    request): a conditional GET needs no new ones."""
    today = ctx.today if token.kind == "view" else None
    return _selection(token.kind, token.person_id, token.exchange_id, token.query,
                      ctx.options, today)


@lru_cache(maxsize=512)
def _selection(
    kind: str, person_id: int, exchange_id: int | None, query: str, options: FeedOptions,
    today: date | None,
) -> Selection:
    if kind == "personal":
        return personal_selection(person_id, options)
    if kind == "team":
        return team_selection(options)
    if kind == "exchange":
        assert exchange_id is not None  # the table's check constraint says so
        return exchange_selection(exchange_id, options)
    assert today is not None
    return view_selection(dict(parse_qsl(query)), options, today)


def clean_view_query(raw: str) -> str:
    """A view feed's filter as stored: only filter parameters, checked, in a fixed order.

    Raises InvalidField on a bad value, so a link is never made for a filter that fails.
    """
    raw = raw.strip().lstrip("?")
    params = {k: v for k, v in parse_qsl(raw) if k in FILTER_PARAMS and v.strip()}
    filter_tasks(select(Task.id), params)  # raises InvalidField on a bad value
    return urlencode(sorted(params.items()))

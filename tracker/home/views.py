"""Home: my open follow-ups by urgency, the exchanges I take part in next, and for editors
and admins the team's overdue and due-this-week tasks per person."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Person
from tracker.core import timeutil
from tracker.core.permissions import can_edit
from tracker.exchanges.models import Exchange, exchange_participants
from tracker.exchanges.queries import _upcoming_condition, sort_key
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.tasks.queries import first_rows

bp = Blueprint("home", __name__)

#: Home shows this many open tasks at most; the task list (linked) shows them all.
HOME_LIMIT = 100
#: The team overview names this many people at most (those with the most overdue first).
TEAM_LIMIT = 50


def my_groups(person: Person) -> tuple[dict[str, list[Task]], bool]:
    """By urgency, so what is late or due this week is seen first; capped, so home stays fast."""
    tasks = first_rows(
        select(Task)
        .where(Task.owner_id == person.id, Task.status == "open", Task.is_live)
        .order_by(Task.due_date.is_(None), Task.due_date, Task.due_time, Task.id),
        HOME_LIMIT + 1,
    )
    more = len(tasks) > HOME_LIMIT
    today = timeutil.today()
    week_end = today + timedelta(days=6 - today.weekday())
    groups: dict[str, list[Task]] = {"overdue": [], "week": [], "later": [], "none": []}
    for task in tasks[:HOME_LIMIT]:
        if task.due_date is None:
            groups["none"].append(task)
        elif task.is_overdue(today):
            groups["overdue"].append(task)
        elif task.due_date <= week_end:
            groups["week"].append(task)
        else:
            groups["later"].append(task)
    return groups, more


def my_next_exchanges(person: Person, limit: int = 5) -> list[Exchange]:
    """The few exchanges someone takes part in next, to prepare for; cancelled ones left out."""
    return list(
        db.session.scalars(
            select(Exchange)
            .join(exchange_participants, exchange_participants.c.exchange_id == Exchange.id)
            .where(
                exchange_participants.c.person_id == person.id,
                Exchange.is_live,
                Exchange.status != "cancelled",
                _upcoming_condition(),
            )
            .options(selectinload(Exchange.organisations))
            .order_by(sort_key(), Exchange.id)
            .limit(limit)
        )
    )


def team_overview() -> list[dict]:
    """Per person, their overdue tasks and those due by the end of this week, most overdue
    first: one query however large the team, for those who share out the work."""
    today = timeutil.today()
    week_end = today + timedelta(days=6 - today.weekday())
    overdue = func.sum(case((Task.is_overdue(today), 1), else_=0))
    this_week = func.sum(case((Task.due_date.between(today, week_end), 1), else_=0))
    rows = db.session.execute(
        select(Person.id, Person.name, overdue, this_week)
        .join(Task, Task.owner_id == Person.id)
        .where(Task.status == "open", Task.is_live, Task.due_date <= week_end)
        .group_by(Person.id, Person.name)
        .order_by(overdue.desc(), this_week.desc(), Person.name)
        .limit(TEAM_LIMIT)
    )
    return [{"id": id_, "name": name, "overdue": int(late or 0), "week": int(week or 0)}
            for id_, name, late, week in rows]


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """My follow-ups: overdue, due this week, later, without a date; and my next exchanges."""
    groups, more = my_groups(current_user)
    team = team_overview() if can_edit(current_user) else None
    return render_template(
        "home/index.html", groups=groups, more=more, exchanges=my_next_exchanges(current_user),
        team=team,
    )

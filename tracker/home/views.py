"""Home: my open follow-ups by urgency, and the exchanges I take part in next."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Person
from tracker.core import timeutil
from tracker.exchanges.models import Exchange, exchange_participants
from tracker.exchanges.queries import _upcoming_condition, sort_key
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.tasks.queries import first_rows

bp = Blueprint("home", __name__)

#: Home shows this many open tasks at most; the task list (linked) shows them all.
HOME_LIMIT = 100


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


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """My follow-ups: overdue, due this week, later, without a date; and my next exchanges."""
    groups, more = my_groups(current_user)
    return render_template(
        "home/index.html", groups=groups, more=more, exchanges=my_next_exchanges(current_user)
    )

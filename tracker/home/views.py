"""Home: my open follow-ups by urgency, the exchanges I take part in next, and for editors
and admins the team's overdue and due-this-week tasks per person."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from tracker.accounts.models import Person
from tracker.calendar import cache
from tracker.core import timeutil
from tracker.core.permissions import can_edit
from tracker.exchanges.models import Exchange, exchange_participants
from tracker.exchanges.queries import _upcoming_condition, sort_key
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task
from tracker.web.setup import csrf_field

bp = Blueprint("home", __name__)

#: Home shows this many open tasks at most; the task list (linked) shows them all.
HOME_LIMIT = 100
#: The team overview names this many people at most (those with the most overdue first).
TEAM_LIMIT = 50


def my_open_tasks(person: Person, limit: int) -> list[Task]:
    """The person's first `limit` open tasks by due date, loaded with what their rows show.

    As tasks.queries.first_rows (ids in order first, then the rows), with less loaded:
    the owner is `person`, already loaded (set, not joined); of an organisation the row
    shows its label, of an exchange its title, and never the task's description. Loading
    whole related records for a hundred rows was a fifth of the page's time.
    """
    ids = list(db.session.scalars(
        select(Task.id)
        .where(Task.owner_id == person.id, Task.status == "open", Task.is_live)
        # Undated last: NULLS LAST is the order of the owner/status/due index (SQLite and
        # PostgreSQL read the first rows off it; "due_date IS NULL" first sorted them all).
        .order_by(Task.due_date.nulls_last(), Task.due_time, Task.id)
        .limit(limit)
    ))
    if not ids:
        return []
    found = {task.id: task for task in db.session.scalars(
        select(Task).where(Task.id.in_(ids)).options(
            defer(Task.description),
            joinedload(Task.organisation).load_only(Organisation.name,
                                                    Organisation.short_name),
            joinedload(Task.exchange).load_only(Exchange.title),
            joinedload(Task.due_exchange).load_only(Exchange.title),
        )
    )}
    tasks = [found[i] for i in ids if i in found]
    for task in tasks:  # the owner as loaded: no lazy load asked a hundred times
        set_committed_value(task, "owner", person)
    return tasks


def my_groups(person: Person) -> tuple[dict[str, list[Task]], bool]:
    """By urgency, so what is late or due this week is seen first; capped, so home stays fast."""
    tasks = my_open_tasks(person, HOME_LIMIT + 1)
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


#: A key under which what home counted stays right: see `change_key`.
ChangeKey = tuple[Any, ...]
#: People (and languages, addresses) whose next exchanges and task lists each app keeps;
#: a store is emptied when it is full.
KEPT_PEOPLE = 1000
KEPT_TASK_LISTS = 100
#: Stands for the page's CSRF field in a kept task list (each page has its own token).
_CSRF_MARK = "<!--csrf-field-->"


class _MarkedButtons:
    csrf_token = Markup(_CSRF_MARK)


def change_key() -> ChangeKey | None:
    """What home keeps (the team's counts, someone's next exchanges and task list) is
    right while this stays the same (calendar.cache.change_key, with today). What home
    keeps shows nothing from other tables than those it watches: a task row that comes to
    show another table's data must be watched there."""
    return cache.change_key(timeutil.today())


def _kept(name: str) -> dict:
    """This app's store `name` for what home keeps (one per process, like the app)."""
    return current_app.extensions.setdefault(name, {})


def my_next_exchanges(person: Person, key: ChangeKey | None,
                      limit: int = 5) -> list[Exchange]:
    """The few exchanges someone takes part in next, to prepare for; cancelled ones left out.

    Finding them reads every exchange the person takes part in (thousands, for someone
    in every meeting of a network), so their ids are kept under the change key.
    """
    kept = _kept("home_next_exchanges")
    found = kept.get(person.id)
    if key is not None and found is not None and found[0] == key:
        ids = found[1]
    else:
        ids = list(db.session.scalars(
            select(Exchange.id)
            .join(exchange_participants, exchange_participants.c.exchange_id == Exchange.id)
            .where(
                exchange_participants.c.person_id == person.id,
                Exchange.is_live,
                Exchange.status != "cancelled",
                _upcoming_condition(),
            )
            .order_by(sort_key(), Exchange.id)
            .limit(limit)
        ))
        if key is not None:
            if len(kept) >= KEPT_PEOPLE:
                kept.clear()
            kept[person.id] = (key, ids)
    if not ids:
        return []
    by_id = {e.id: e for e in db.session.scalars(select(Exchange).where(Exchange.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def team_overview(key: ChangeKey | None) -> list[dict]:
    """Per person, their overdue tasks and those due by the end of this week, most overdue
    first, for those who share out the work.

    Counting needs every open task due by the week's end (thousands), so the counts are
    kept under the change key.
    """
    kept = _kept("home_team_overview")
    found = kept.get("last")
    if key is not None and found is not None and found[0] == key:
        return list(found[1])
    rows = _count_team(timeutil.today())
    if key is not None:
        kept["last"] = (key, rows)
    return list(rows)


def _count_team(today: date) -> list[dict]:
    """One query however large the team."""
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


def my_tasks(person: Person, key: ChangeKey | None) -> Markup:
    """My open tasks by urgency, as rendered: loading and rendering a hundred rows is most
    of the page's time, so each app keeps the last rendering per person, language and
    address (the rows' check-off forms return to it) under the change key. The page's own
    CSRF field goes in where the kept rendering has a mark.
    """
    kept = _kept("home_my_tasks")
    slot = (person.id, str(get_locale()), request.full_path)
    found = kept.get(slot)
    if key is not None and found is not None and found[0] == key:
        html = found[1]
    else:
        groups, more = my_groups(person)
        html = render_template("home/_my_tasks.html", groups=groups, more=more,
                               button_form=_MarkedButtons)
        if key is not None:
            if len(kept) >= KEPT_TASK_LISTS:
                kept.clear()
            kept[slot] = (key, html)
    return Markup(html.replace(_CSRF_MARK, csrf_field()))


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """My follow-ups: overdue, due this week, later, without a date; and my next exchanges."""
    me: Person = current_user._get_current_object()  # the record, not the proxy
    key = change_key()
    team = team_overview(key) if can_edit(me) else None
    return render_template(
        "home/index.html", my_tasks=my_tasks(me, key), exchanges=my_next_exchanges(me, key),
        team=team,
    )

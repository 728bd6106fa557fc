"""What the agenda and the minutes show: topics, carried-over tasks with their notes, and
the meeting's own outcomes and tasks, each loaded in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from tracker.agenda.models import AgendaTopic
from tracker.exchanges import queries as exchange_queries
from tracker.exchanges.models import Exchange, Outcome
from tracker.exchanges.queries import Carried, meeting_start
from tracker.extensions import db
from tracker.tasks.models import Task, TaskNote


def topics_of(exchange: Exchange) -> list[AgendaTopic]:
    """The agenda's topics in their order."""
    return list(db.session.scalars(
        select(AgendaTopic).where(AgendaTopic.exchange_id == exchange.id)
        .order_by(AgendaTopic.position, AgendaTopic.id)
    ))


def notes_since(task_ids: list[int], since: datetime | None) -> dict[int, list[TaskNote]]:
    """Each task's notes written since `since` (all if None), oldest first: one query."""
    if not task_ids:
        return {}
    stmt = select(TaskNote).where(TaskNote.task_id.in_(task_ids)).order_by(TaskNote.id)
    if since is not None:
        stmt = stmt.where(TaskNote.created_at >= since)
    found: dict[int, list[TaskNote]] = {}
    for note in db.session.scalars(stmt):
        found.setdefault(note.task_id, []).append(note)
    return found


@dataclass
class Minutes:
    """Everything the minutes say, shared by the page and every reader's mail."""

    exchange: Exchange
    outcomes: list[tuple[Outcome, list[Task]]]
    other_tasks: list[Task]
    carried: list[Carried]
    notes: dict[int, list[TaskNote]] = field(default_factory=dict)

    @classmethod
    def of(cls, exchange: Exchange) -> Minutes:
        tasks = exchange_queries.tasks_of(exchange)
        by_outcome: dict[int | None, list[Task]] = {}
        for task in tasks:
            by_outcome.setdefault(task.outcome_id, []).append(task)
        carried = exchange_queries.carried_over(exchange)  # all of them: the record
        notes = notes_since([c.task.id for c in carried], meeting_start(exchange))
        return cls(
            exchange=exchange,
            outcomes=[(o, by_outcome.get(o.id, [])) for o in exchange.outcomes],
            other_tasks=by_outcome.get(None, []),
            carried=carried,
            notes=notes,
        )

    def tasks_of(self, person_id: int) -> list[Task]:
        """The reader's own open tasks from this meeting (what they took on)."""
        mine = [t for _o, tasks in self.outcomes for t in tasks] + self.other_tasks
        return [t for t in mine if t.owner_id == person_id and t.status == "open"]

"""Tasks: the follow-ups someone committed to at an exchange."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, Text, and_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.accounts.models import Person
from tracker.core.model import Record, SoftDeletable, UTCDateTime
from tracker.core.translations import Translatable
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import Model
from tracker.organisations.models import Organisation

#: The allowed values as a type (the API's schema takes it); the tuple follows from it.
TaskStatus = Literal["open", "done", "cancelled"]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)


# A write here refreshes calendar feeds: see tracker.calendar.cache.WATCHED_TABLES.
class Task(Record, SoftDeletable, Translatable, Model):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(f"status IN {TASK_STATUSES!r}", name="status"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL)", name="completed_when_done"
        ),
        CheckConstraint("due_time IS NULL OR due_date IS NOT NULL", name="time_needs_date"),
        CheckConstraint(
            "due_exchange_id IS NULL OR due_time IS NULL", name="due_at_exchange_has_no_time"
        ),
        CheckConstraint("language IN ('de', 'en')", name="language"),
        Index("ix_tasks_owner_status_due", "owner_id", "status", "due_date"),
        Index("ix_tasks_status_due", "status", "due_date"),
        # The live tasks of a status in the task list's order (migration 0014): a page and
        # its count are read off this index, not sorted from the table; with the three
        # grouping columns the review counts its groups from it alone too.
        Index("ix_tasks_live_due", "status", "deleted_at", "due_date", "due_time", "id",
              "exchange_id", "owner_id", "organisation_id"),
        # An exchange's live tasks of a status: the carried-over lists of a meeting (an
        # index on exchange_id alone loses to the one above on SQLite's planner).
        Index("ix_tasks_exchange_live", "exchange_id", "status", "deleted_at", "due_date"),
        # The newest change (the review's kept figures' key, the list sorted by change).
        Index("ix_tasks_updated_at", "updated_at"),
    )

    TRANSLATED = {"title": False, "description": False}

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="", info={"max_length": 20_000})
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="SET NULL"), index=True
    )
    outcome_id: Mapped[int | None] = mapped_column(
        ForeignKey("outcomes.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    #: The organisation that committed to it (Kiel promised; Anna in Rostock follows up).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    due_date: Mapped[date | None]
    due_time: Mapped[time | None]
    #: Due *at* a later exchange ("report first results at SCCON 2023"); due_date follows it.
    due_exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="open")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    #: The exchange this task plans (the task "hold the governance workshop" → that workshop).
    plans_exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="SET NULL"), index=True
    )
    #: Who last gave this task to its owner, for the assignment note.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])
    completed_by: Mapped[Person | None] = relationship(foreign_keys=[completed_by_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    organisation: Mapped[Organisation | None] = relationship()
    exchange: Mapped[Exchange | None] = relationship(foreign_keys=[exchange_id])
    outcome: Mapped[Outcome | None] = relationship()
    due_exchange: Mapped[Exchange | None] = relationship(foreign_keys=[due_exchange_id])
    plans_exchange: Mapped[Exchange | None] = relationship(foreign_keys=[plans_exchange_id])

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @hybrid_method
    def is_overdue(self, today: date) -> bool:
        """Open and due before `today` (the team's today: `timeutil.today()`).

        The one home of "overdue": on a task, `task.is_overdue(today)`; in a query,
        `where(Task.is_overdue(today))`. A task without a due date is never overdue."""
        return self.status == "open" and self.due_date is not None and self.due_date < today

    # hybrid_method.expression changes the method in place (its `inplace` returns itself,
    # and mypy reads `inplace` as the bound method).
    @is_overdue.expression
    @classmethod
    def _is_overdue_expression(cls, today: date) -> ColumnElement[bool]:
        return and_(cls.status == "open", cls.due_date < today)

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.title!r} {self.status}>"


class TaskNote(Record, Model):
    """A dated progress note on a task ("Termin mit dem Kreis steht, Entwurf folgt im Januar").

    Written by a user (`author_id`) or through a partner link (`author_id` None,
    `organisation_id` the partner's organisation)."""

    __tablename__ = "task_notes"
    __table_args__ = (CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, info={"max_length": 5_000})
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )

    task: Mapped[Task] = relationship()
    author: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<TaskNote {self.id} on task {self.task_id}>"

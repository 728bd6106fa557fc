"""Every write to a task: create, change, complete, reopen, cancel, delete, restore.

These functions change the session and flush; the caller wraps them in
`tracker.core.database.transaction()` so the change and its audit entry commit together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from tracker.accounts.models import Person
from tracker.core import audit, validation
from tracker.core.errors import InvalidField, NotFound
from tracker.core.limits import MAX_PER_PAGE, is_id, max_length
from tracker.core.model import utcnow
from tracker.core.permissions import can_check_off, can_edit, require
from tracker.core.validation import check_version
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task, TaskNote

EDITABLE_FIELDS = (
    "title",
    "description",
    "exchange_id",
    "outcome_id",
    "owner_id",
    "organisation_id",
    "due_date",
    "due_time",
    "due_exchange_id",
)


def _live(task: Task) -> None:
    if not task.is_live:
        raise NotFound(f"task {task.id} was deleted")


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    """Check a whole task; the outcome gives the exchange, a due exchange the date."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidField(sorted(unknown)[0], "unknown_field", what="a task")
    v = dict(values)
    v["title"] = validation.text(
        "title", v.get("title"), max_length=max_length(Task.title), required=True
    )
    v["description"] = validation.text(
        "description", v.get("description"), max_length=max_length(Task.description)
    )
    owner = validation.existing("owner_id", Person, v.get("owner_id"), required=True)
    if not owner.active:
        raise InvalidField("owner_id", "deactivated", name=owner.name)
    validation.existing("organisation_id", Organisation, v.get("organisation_id"))
    exchange = validation.existing("exchange_id", Exchange, v.get("exchange_id"))
    outcome = validation.existing("outcome_id", Outcome, v.get("outcome_id"))
    if outcome is not None:
        if exchange is not None and outcome.exchange_id != exchange.id:
            raise InvalidField("outcome_id", "outcome_of_other_exchange")
        v["exchange_id"] = outcome.exchange_id
    v["due_date"] = validation.a_date("due_date", v.get("due_date"))
    v["due_time"] = validation.a_time("due_time", v.get("due_time"))
    due_exchange = validation.existing("due_exchange_id", Exchange, v.get("due_exchange_id"))
    if due_exchange is not None:
        if v["due_time"] is not None:
            raise InvalidField("due_time", "time_with_due_exchange")
        v["due_date"] = due_exchange.first_day
    if v["due_time"] is not None and v["due_date"] is None:
        raise InvalidField("due_time", "time_without_date")
    return v


def create_task(actor: Person | None, **fields: Any) -> Task:
    """Record a new follow-up (open) and its audit entry."""
    require(can_edit(actor))
    values = _validated(fields)
    task = Task(status="open", created_by_id=getattr(actor, "id", None), **values)
    db.session.add(task)
    db.session.flush()
    audit.record("create", task, actor, {k: (None, v) for k, v in values.items() if v})
    _refresh_outcome(task.outcome_id)
    _note_owner(task, actor, created=True)
    return task


def update_task(
    task: Task, actor: Person | None, changes: dict[str, Any], expected_version: int | None = None
) -> Task:
    """Change a task's fields; a stale version or an invalid value changes nothing."""
    require(can_edit(actor))
    _live(task)
    check_version(task, expected_version)
    current = {name: getattr(task, name) for name in EDITABLE_FIELDS}
    old_outcome = task.outcome_id
    values = _validated({**current, **changes})
    diff = audit.apply_changes(task, values)
    if diff:
        task.updated_at = utcnow()
        if "owner_id" in diff:
            task.created_by_id = getattr(actor, "id", None)  # who gave it to the new owner
        db.session.flush()
        audit.record("update", task, actor, diff)
        if "outcome_id" in diff:
            _refresh_outcome(old_outcome)
        _refresh_outcome(task.outcome_id)
        _note_owner(task, actor, diff=diff)
    return task


def _note_owner(task: Task, actor: Person | None, **change: Any) -> None:
    """Someone else gave the owner this task or moved it: queue the mail in this transaction."""
    from tracker.notify.services import note_task_change

    note_task_change(task, actor, **change)


def _set_status(
    task: Task, actor: Person | None, action: str, status: str, **extra: Any
) -> Task:
    diff = audit.apply_changes(task, {"status": status, **extra})
    task.updated_at = utcnow()
    db.session.flush()
    audit.record(action, task, actor, diff)
    _refresh_outcome(task.outcome_id)
    return task


def complete_task(task: Task, actor: Person | None, expected_version: int | None = None) -> Task:
    """Check a follow-up off. Checking off a done task again changes nothing."""
    require(actor is None or can_check_off(actor, task))
    _live(task)
    check_version(task, expected_version)
    if task.status == "done":
        return task
    if task.status == "cancelled":
        raise InvalidField("status", "cancelled_not_reopened")
    return _set_status(
        task,
        actor,
        "complete",
        "done",
        completed_at=utcnow(),
        completed_by_id=getattr(actor, "id", None),
    )


def reopen_task(task: Task, actor: Person | None, expected_version: int | None = None) -> Task:
    """Undo a check-off or a cancellation. Reopening an open task changes nothing."""
    require(actor is None or can_check_off(actor, task))
    _live(task)
    check_version(task, expected_version)
    if task.status == "open":
        return task
    return _set_status(task, actor, "reopen", "open", completed_at=None, completed_by_id=None)


def complete_tasks(ids: list[int], actor: Person) -> list[int]:
    """Check off at once the open tasks among `ids` that `actor` may check off (bulk check-off).

    The ids of those checked off, for the undo that follows; others are left as they are.
    """
    wanted = [i for i in dict.fromkeys(ids) if is_id(i)][:MAX_PER_PAGE]
    if not wanted:
        return []
    done = []
    tasks = db.session.scalars(
        select(Task).where(Task.id.in_(wanted), Task.is_live, Task.status == "open")
    )
    for task in tasks:
        if can_check_off(actor, task):
            complete_task(task, actor)
            done.append(task.id)
    return done


def undo_check_offs(ids: list[int], actor: Person) -> int:
    """Reopen those of `ids` that `actor` checked off (the "Undo" after a check-off).

    Only one's own check-offs: an undo must not reopen what someone else has done since.
    Returns how many were reopened.
    """
    wanted = [i for i in dict.fromkeys(ids) if is_id(i)][:MAX_PER_PAGE]
    count = 0
    for task in db.session.scalars(select(Task).where(Task.id.in_(wanted))):
        if task.status == "done" and task.completed_by_id == actor.id:
            reopen_task(task, actor)
            count += 1
    return count


def cancel_task(task: Task, actor: Person | None, expected_version: int | None = None) -> Task:
    """Drop a follow-up that is no longer needed, keeping it on record."""
    require(can_edit(actor))
    _live(task)
    check_version(task, expected_version)
    if task.status == "cancelled":
        return task
    return _set_status(task, actor, "cancel", "cancelled", completed_at=None, completed_by_id=None)


def delete_task(task: Task, actor: Person | None, expected_version: int | None = None) -> Task:
    """Soft delete: the task disappears from every list and can be restored."""
    require(can_edit(actor))
    _live(task)
    check_version(task, expected_version)
    audit.mark_deleted(task, actor, utcnow())
    _refresh_outcome(task.outcome_id)
    return task


def restore_task(task: Task, actor: Person | None) -> Task:
    """A delete is never final, so a mistaken one is undone with its history intact.

    A task whose exchange or outcome is still deleted is refused: restore that first
    (it brings back the tasks deleted together with it).
    """
    require(can_edit(actor))
    if task.is_live:
        return task
    if task.outcome is not None and not task.outcome.is_live:
        raise InvalidField("outcome_id", "outcome_still_deleted")
    if task.exchange is not None and not task.exchange.is_live:
        raise InvalidField("exchange_id", "exchange_still_deleted")
    audit.mark_restored(task, actor)
    _refresh_outcome(task.outcome_id)
    return task


def delete_tasks_along(
    where: ColumnElement[bool], actor: Person | None, now: datetime
) -> int:
    """Soft-delete the live tasks `where` selects, stamped with their parent's delete time.

    The shared `now` is what ties them to the exchange or outcome deleted with them:
    `restore_tasks_along` brings back exactly those. Returns how many were deleted.
    """
    tasks = list(db.session.scalars(select(Task).where(where, Task.is_live).order_by(Task.id)))
    for task in tasks:
        audit.mark_deleted(task, actor, now)
    return len(tasks)


def restore_tasks_along(
    where: ColumnElement[bool], deleted_at: datetime, actor: Person | None
) -> int:
    """Restore the tasks `where` selects that were deleted at `deleted_at` (with their parent)."""
    tasks = list(db.session.scalars(
        select(Task).where(where, Task.deleted_at == deleted_at).order_by(Task.id)
    ))
    for task in tasks:
        audit.mark_restored(task, actor)
    return len(tasks)


def _refresh_outcome(outcome_id: int | None) -> None:
    if outcome_id is not None:
        outcome = db.session.get(Outcome, outcome_id)
        if outcome is not None:
            refresh_outcome_status(outcome)


def outcome_status_from_tasks(counts: dict[str, int]) -> str:
    """agreed until a task is done; in progress while some are open; fulfilled when none are."""
    done, still_open = counts.get("done", 0), counts.get("open", 0)
    if done and not still_open:
        return "fulfilled"
    if done:
        return "in_progress"
    return "agreed"


def refresh_outcome_status(outcome: Outcome) -> None:
    """Let an outcome's status follow its tasks, unless someone dropped it."""
    if outcome.status == "dropped":
        return
    rows = db.session.execute(
        select(Task.status, func.count())
        .where(Task.outcome_id == outcome.id, Task.is_live)
        .group_by(Task.status)
    )
    new = outcome_status_from_tasks({status: count for status, count in rows})
    if new != outcome.status:
        old = outcome.status
        outcome.status = new
        db.session.flush()
        audit.record("update", outcome, None, {"status": (old, new)})


def add_note(task: Task, actor: Person | None, text: str) -> TaskNote:
    """A dated progress note on a task ("Entwurf folgt im Januar"), by a user, audited.

    Anyone who may check the task off may note progress on it."""
    require(actor is None or can_check_off(actor, task))
    _live(task)
    text = validation.text("text", text, max_length=max_length(TaskNote.text), required=True)
    note = TaskNote(task_id=task.id, text=text, author_id=getattr(actor, "id", None),
                    organisation_id=None)
    db.session.add(note)
    db.session.flush()
    audit.record("create", note, actor, {"task_id": (None, task.id), "text": (None, text)})
    return note


def live_tasks() -> Select:
    """A select of the tasks nobody deleted; every list starts here."""
    return select(Task).where(Task.is_live)

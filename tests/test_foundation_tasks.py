"""The domain operations on tasks, exchanges and outcomes, and the audit trail they leave."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tracker.core import audit
from tracker.core.database import transaction
from tracker.core.errors import Forbidden, InvalidField, NotFound, StaleVersion
from tracker.exchanges import services as exchanges
from tracker.extensions import db
from tracker.models import AuditEntry, Exchange, Outcome, Task
from tracker.tasks import services as tasks


def actions(record) -> list[str]:
    return [entry.action for entry in audit.history(record)]


def test_creating_a_task_records_who_and_what(make):
    editor = make.user("editor")
    owner = make.person(name="Lea Hoffmann")
    with transaction():
        task = tasks.create_task(editor, title="Persona-Unterlagen anfragen", owner_id=owner.id,
                                 due_date=date(2026, 12, 1))
    [entry] = audit.history(task)
    assert entry.action == "create" and entry.actor_id == editor.id
    assert entry.changes["title"] == [None, "Persona-Unterlagen anfragen"]
    assert entry.changes["due_date"] == [None, "2026-12-01"]
    assert task.status == "open" and task.version == 1


def test_a_change_records_old_and_new_values_and_bumps_the_version(make):
    editor = make.user("editor")
    task = make.task(title="Alt", due_date=date(2026, 12, 1))
    with transaction():
        tasks.update_task(task, editor, {"title": "Neu", "due_date": date(2026, 12, 8)},
                          expected_version=1)
    assert task.version == 2
    entry = audit.history(task)[-1]
    assert entry.action == "update"
    assert entry.changes == {"title": ["Alt", "Neu"], "due_date": ["2026-12-01", "2026-12-08"]}


def test_saving_with_a_stale_version_fails_and_changes_nothing(make):
    editor = make.user("editor")
    task = make.task(title="Original")
    with transaction():
        tasks.update_task(task, editor, {"title": "Erste Änderung"}, expected_version=1)
    with pytest.raises(StaleVersion):
        with transaction():
            tasks.update_task(task, editor, {"title": "Zweite Änderung"}, expected_version=1)
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert stored.title == "Erste Änderung" and stored.version == 2
    assert actions(stored) == ["create", "update"]


def test_a_concurrent_save_that_slipped_past_the_check_is_refused_by_the_database(app, make):
    task = make.task(title="Original")
    db.session.refresh(task)
    db.session.expunge(task)  # this worker keeps version 1 in memory
    db.session.rollback()
    with app.app_context():  # another worker saves first
        with transaction():
            tasks.update_task(db.session.get(Task, task.id), None, {"title": "Von nebenan"})
    db.session.add(task)
    with pytest.raises(StaleVersion):
        with transaction():
            task.title = "Überschrieben?"
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "Von nebenan"


def test_check_off_and_reopen_are_recorded(make):
    viewer = make.user("viewer")
    task = make.task(owner_id=viewer.id)
    with transaction():
        tasks.complete_task(task, viewer)
    assert task.status == "done" and task.completed_by_id == viewer.id
    assert task.completed_at is not None
    with transaction():
        tasks.reopen_task(task, viewer)
    assert task.status == "open" and task.completed_at is None and task.completed_by_id is None
    assert actions(task) == ["create", "complete", "reopen"]


def test_checking_off_twice_is_harmless(make):
    task = make.task()
    with transaction():
        tasks.complete_task(task, None)
        tasks.complete_task(task, None)
    assert actions(task) == ["create", "complete"]


def test_a_viewer_checks_off_only_their_own_tasks_and_edits_nothing(make):
    viewer = make.user("viewer")
    someone_elses = make.task()
    with pytest.raises(Forbidden):
        tasks.complete_task(someone_elses, viewer)
    with pytest.raises(Forbidden):
        tasks.update_task(someone_elses, viewer, {"title": "x"})
    with pytest.raises(Forbidden):
        tasks.create_task(viewer, title="x", owner_id=viewer.id)


def test_cancel_delete_and_restore(make):
    task = make.task()
    with transaction():
        tasks.cancel_task(task, None)
    assert task.status == "cancelled"
    with pytest.raises(InvalidField):
        tasks.complete_task(task, None)
    with transaction():
        tasks.delete_task(task, None)
    assert db.session.scalars(tasks.live_tasks()).all() == []
    with pytest.raises(NotFound):
        tasks.update_task(task, None, {"title": "x"})
    with transaction():
        tasks.restore_task(task, None)
    assert db.session.scalars(tasks.live_tasks()).all() == [task]
    assert actions(task) == ["create", "cancel", "delete", "restore"]


def test_invalid_values_name_the_field_and_change_nothing(make):
    task = make.task(title="Bleibt")
    cases = [
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"due_date": None, "due_time": time(9)}, "due_time"),
        ({"organisation_id": "Kiel"}, "organisation_id"),
        ({"colour": "red"}, "colour"),
    ]
    for changes, field in cases:
        with pytest.raises(InvalidField) as err:
            with transaction():
                tasks.update_task(task, None, changes)
        assert err.value.field == field
    db.session.expire_all()
    assert db.session.get(Task, task.id).title == "Bleibt"
    assert db.session.get(Task, task.id).version == 1


def test_a_task_of_an_outcome_belongs_to_its_exchange(make):
    outcome = make.outcome()
    task = make.task(outcome_id=outcome.id)
    assert task.exchange_id == outcome.exchange_id
    other = make.exchange()
    with pytest.raises(InvalidField, match="another exchange"):
        make.task(outcome_id=outcome.id, exchange_id=other.id)


def test_outcome_status_follows_its_tasks(make):
    outcome = make.outcome(text="Workshop Governance in Rostock")
    first = make.task(outcome_id=outcome.id)
    second = make.task(outcome_id=outcome.id)
    assert outcome.status == "agreed"
    with transaction():
        tasks.complete_task(first, None)
    assert outcome.status == "in_progress"
    with transaction():
        tasks.cancel_task(second, None)
    assert outcome.status == "fulfilled"
    with transaction():
        tasks.reopen_task(first, None)
    assert outcome.status == "agreed"
    with transaction():
        exchanges.update_outcome(outcome, None, {"dropped": True})
        tasks.complete_task(first, None)
    assert outcome.status == "dropped"
    with transaction():
        exchanges.update_outcome(outcome, None, {"dropped": False})
    assert outcome.status == "fulfilled"


def test_a_task_due_at_an_exchange_moves_with_it(make):
    sccon = make.exchange(title="SCCON", all_day=True, start_date=date(2027, 9, 28),
                          end_date=date(2027, 9, 30))
    report = make.task(title="Erste Ergebnisse berichten", due_exchange_id=sccon.id,
                       due_date=None)
    assert report.due_date == date(2027, 9, 28)
    with transaction():
        exchanges.move_exchange(sccon, None, start_date=date(2027, 10, 5),
                                end_date=date(2027, 10, 7), expected_version=sccon.version)
    db.session.expire_all()
    moved = db.session.get(Task, report.id)
    assert moved.due_date == date(2027, 10, 5)
    assert actions(moved)[-1] == "move"


def test_a_timed_exchange_moves_its_tasks_by_the_local_day(make):
    workshop = make.exchange(starts_at=datetime(2027, 1, 12, 9, tzinfo=UTC))
    task = make.task(due_exchange_id=workshop.id, due_date=None)
    with transaction():
        exchanges.move_exchange(
            workshop, None, starts_at=datetime(2027, 1, 19, 23, 30, tzinfo=UTC),
            ends_at=datetime(2027, 1, 20, 1, tzinfo=UTC),
        )
    assert db.session.get(Task, task.id).due_date == date(2027, 1, 20)


def test_plan_an_exchange_from_a_task(make):
    luebeck = make.exchange(title="Smart City Exchange in Lübeck")
    rostock = make.organisation(name="Rostock")
    task = make.task(title="Governance-Workshop ausrichten", exchange_id=luebeck.id,
                     organisation_id=rostock.id)
    with transaction():
        workshop = exchanges.plan_exchange_from_task(
            task, None, kind="workshop", starts_at=datetime(2027, 1, 14, 9, tzinfo=UTC)
        )
    assert task.plans_exchange_id == workshop.id
    assert workshop.follows_up_id == luebeck.id
    assert workshop.status == "planned" and workshop.title == task.title
    assert [o.id for o in workshop.organisations] == [rostock.id]
    assert actions(workshop) == ["create"] and actions(task)[-1] == "update"


def test_exchange_rules(make):
    with pytest.raises(InvalidField) as err:
        make.exchange(starts_at=datetime(2027, 1, 2, tzinfo=UTC),
                      ends_at=datetime(2027, 1, 1, tzinfo=UTC))
    assert err.value.field == "ends_at"
    with pytest.raises(InvalidField) as err:
        make.exchange(rrule="FREQ=SOMETIMES")
    assert err.value.field == "rrule"
    with pytest.raises(InvalidField) as err:
        make.exchange(starts_at=datetime(2027, 1, 2))
    assert err.value.field == "starts_at"
    series = make.exchange(title="Smart City-Werkstatt", rrule="freq=monthly;interval=3;byday=1we",
                           starts_at=datetime(2026, 12, 2, 13, tzinfo=UTC))
    assert series.rrule == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE"


def test_exchange_changes_delete_and_restore_are_audited(make):
    kiel = make.organisation(name="Kiel")
    exchange = make.exchange(title="Lübeck")
    person = make.person()
    with transaction():
        exchanges.update_exchange(exchange, None, {"organisation_ids": [kiel.id],
                                                   "participant_ids": [person.id]},
                                  expected_version=1)
    assert exchange.version == 2
    entry = audit.history(exchange)[-1]
    assert entry.changes["organisations"] == [[], [kiel.id]]
    with pytest.raises(StaleVersion):
        exchanges.update_exchange(exchange, None, {"title": "x"}, expected_version=1)
    with transaction():
        exchanges.delete_exchange(exchange, None)
    assert db.session.scalars(exchanges.live_exchanges()).all() == []
    with transaction():
        exchanges.restore_exchange(exchange, None)
    assert [e.id for e in db.session.scalars(exchanges.live_exchanges())] == [exchange.id]
    assert actions(exchange) == ["create", "update", "delete", "restore"]


def test_outcomes_are_recorded_deleted_and_restored(make):
    exchange = make.exchange()
    with transaction():
        outcome = exchanges.record_outcome(exchange, None, "Dauerhafter Austausch")
    assert [o.id for o in exchange.outcomes] == [outcome.id]
    with transaction():
        exchanges.delete_outcome(outcome, None)
    db.session.expire_all()
    assert db.session.get(Exchange, exchange.id).outcomes == []
    with transaction():
        exchanges.restore_outcome(db.session.get(Outcome, outcome.id), None)
    assert actions(outcome) == ["create", "delete", "restore"]


def test_an_audit_entry_is_rolled_back_with_a_failed_change(make):
    task = make.task()
    before = db.session.query(AuditEntry).count()
    with pytest.raises(RuntimeError):
        with transaction():
            tasks.complete_task(task, None)
            raise RuntimeError("the request failed half-way")
    assert db.session.query(AuditEntry).count() == before
    assert db.session.get(Task, task.id).status == "open"


def test_the_overdue_check_uses_the_team_day(make):
    from tracker.core.timeutil import today

    assert abs(today() - date.today()) <= timedelta(days=1)


def test_a_person_without_reminders_keeps_none(make):
    quiet = make.person(reminder_minutes=None)
    usual = make.person()
    db.session.expire_all()
    assert quiet.reminder_minutes is None
    assert usual.reminder_minutes == 900

"""filter_tasks: the one task-list filter shared by pages, CSV, API and view feeds."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tracker.core.database import transaction
from tracker.core.errors import InvalidField
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.tasks.queries import filter_tasks
from tracker.tasks.services import complete_task, delete_task

pytestmark = pytest.mark.usefixtures("english")


def ids(params, today=date(2026, 12, 1)) -> set[int]:
    return set(db.session.scalars(filter_tasks(select(Task.id), params, today=today)))


@pytest.fixture
def tasks(make):
    anna, ben = make.person(), make.person()
    kiel = make.organisation(name="Kiel")
    ex = make.exchange()
    t = {
        "late": make.task(owner_id=anna.id, due_date=date(2026, 11, 1), title="Bericht 100%"),
        "soon": make.task(owner_id=anna.id, due_date=date(2026, 12, 20), organisation_id=kiel.id,
                          exchange_id=ex.id, description="Workshop in Rostock planen"),
        "done": make.task(owner_id=ben.id, due_date=date(2026, 10, 1), title="Erledigt_x"),
        "gone": make.task(owner_id=ben.id, title="Gelöscht"),
    }
    with transaction():
        complete_task(t["done"], None)
        delete_task(t["gone"], None)
    return {k: v.id for k, v in t.items()}, anna.id, kiel.id, ex.id


def test_each_filter(tasks):
    t, anna, kiel, ex = tasks
    assert ids({}) == {t["late"], t["soon"], t["done"]}
    assert ids({"status": "open"}) == {t["late"], t["soon"]}
    assert ids({"status": "open,done"}) == {t["late"], t["soon"], t["done"]}
    assert ids({"owner_id": str(anna)}) == {t["late"], t["soon"]}
    assert ids({"organisation_id": str(kiel)}) == {t["soon"]}
    assert ids({"exchange_id": str(ex)}) == {t["soon"]}
    assert ids({"due_before": "2026-11-01"}) == {t["late"], t["done"]}
    assert ids({"due_after": "2026-11-02"}) == {t["soon"]}
    assert ids({"overdue": "true"}) == {t["late"]}
    assert ids({"overdue": "false"}) == {t["late"], t["soon"], t["done"]}
    assert ids({"q": "rostock"}) == {t["soon"]}
    assert ids({"q": "100%"}) == {t["late"]}
    assert ids({"q": "%"}) == {t["late"]}  # wildcards are literal
    assert ids({"q": "_x"}) == {t["done"]}
    assert ids({"status": "open", "owner_id": str(anna), "due_after": "2026-12-01"}) == {
        t["soon"]
    }
    assert ids({"page": "2", "sort": "due"}) == {t["late"], t["soon"], t["done"]}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "maybe"},
        {"status": ","},
        {"owner_id": "abc"},
        {"owner_id": "-1"},
        {"owner_id": "١٢"},
        {"exchange_id": "99999999999999999999999"},
        {"due_before": "01.12.2026"},
        {"due_after": "2026-13-01"},
        {"overdue": "perhaps"},
        {"q": "x" * 201},
    ],
)
def test_malformed_values_name_their_field(ctx, params):
    with pytest.raises(InvalidField) as caught:
        filter_tasks(select(Task.id), params)
    assert caught.value.field == next(iter(params))

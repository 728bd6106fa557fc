"""Records as the API shows them (the *Out models of schemas.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tracker.accounts.models import Person
from tracker.api import schemas
from tracker.exchanges.models import Exchange, Outcome
from tracker.exchanges.queries import Carried
from tracker.organisations.models import Organisation
from tracker.series.models import Series
from tracker.tasks.models import Task

_RECORD = ("id", "created_at", "updated_at", "version")


def _pick(obj: object, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def task(t: Task) -> dict[str, Any]:
    values = _pick(t, schemas.TaskOut.model_fields)
    if t.due_time is not None:
        values["due_time"] = t.due_time.strftime("%H:%M" if not t.due_time.second else "%H:%M:%S")
    return schemas.TaskOut.model_validate(values).model_dump(mode="json")


def exchange(e: Exchange) -> dict[str, Any]:
    names = set(schemas.ExchangeOut.model_fields) - {
        "organisation_ids", "participant_ids", "documents"}
    values = _pick(e, names)
    values["documents"] = [_pick(d, ("id", "title", "url")) for d in e.documents]
    values["organisation_ids"] = sorted(o.id for o in e.organisations)
    values["participant_ids"] = sorted(p.id for p in e.participants)
    return schemas.ExchangeOut.model_validate(values).model_dump(mode="json")


def series(s: Series) -> dict[str, Any]:
    values = _pick(s, set(schemas.SeriesOut.model_fields) - {"organisation_ids", "participant_ids"})
    values["organisation_ids"] = sorted(o.id for o in s.organisations)
    values["participant_ids"] = sorted(p.id for p in s.participants)
    return schemas.SeriesOut.model_validate(values).model_dump(mode="json")
def carried(item: Carried) -> dict[str, Any]:
    """A carried-over task: the task as in /tasks, and why it is on the agenda."""
    values = task(item.task)
    values["carried_because"] = item.because
    values["carried_partner_ids"] = [o.id for o in item.partners]
    return values


def outcome(o: Outcome) -> dict[str, Any]:
    values = _pick(o, set(schemas.OutcomeOut.model_fields) - {"organisation_ids"})
    values["organisation_ids"] = sorted(org.id for org in o.organisations)
    return schemas.OutcomeOut.model_validate(values).model_dump(mode="json")


def organisation(o: Organisation) -> dict[str, Any]:
    return schemas.OrganisationOut.model_validate(
        _pick(o, schemas.OrganisationOut.model_fields)
    ).model_dump(mode="json")


def person(p: Person) -> dict[str, Any]:
    return schemas.PersonOut.model_validate(_pick(p, schemas.PersonOut.model_fields)).model_dump(
        mode="json"
    )


_BY_TYPE: dict[type, Callable[[Any], dict[str, Any]]] = {
    Task: task,
    Exchange: exchange,
    Outcome: outcome,
    Organisation: organisation,
    Person: person,
    Series: series,
}


def serialize(record: object) -> dict[str, Any]:
    return _BY_TYPE[type(record)](record)

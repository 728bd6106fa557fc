"""The routes of /api/v1. Each one validates, calls a domain operation, and shows the result.

Every write goes through the same service functions as the pages, inside `transaction()`;
roles, validity and versions are checked there, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time
from typing import Any, TypeVar

from flask import Response, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from tracker.accounts.models import Person
from tracker.accounts.services import create_person
from tracker.api import bp, schemas
from tracker.api import serialize as show
from tracker.api.auth import current_actor
from tracker.api.feeds_link import feed_urls_for
from tracker.api.pagination import decode_cursor, encode_cursor, page
from tracker.api.problems import handle_error
from tracker.api.routing import operation
from tracker.core import validation
from tracker.core.database import transaction
from tracker.core.errors import NotFound, StaleVersion
from tracker.core.limits import SEARCH_MAX_LENGTH, is_id
from tracker.core.model import Record
from tracker.exchanges import queries as exchange_queries
from tracker.exchanges import services as exchanges
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.organisations.services import create_organisation
from tracker.search.queries import search
from tracker.series import services as series_services
from tracker.series.models import Series
from tracker.tasks import services as tasks
from tracker.tasks.models import Task
from tracker.tasks.queries import FILTER_PARAMS, filter_tasks

bp.register_error_handler(Exception, handle_error)
# Flask prefers a handler registered for a status code, even the app's, over one for a class:
# the pages' 413 page must not answer an API request that is too large.
bp.register_error_handler(413, handle_error)

#: 409 on a create: another request saved a clashing record (same name) at the same moment.
WRITE_ERRORS = (403, 409)

_Record = TypeVar("_Record", bound=Record)


def _json(data: Any, status: int = 200, location: str | None = None) -> Response:
    response = jsonify(data)
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response


def _live(model: type[_Record], ident: int) -> _Record:
    """The record with this id, or 404 if there is none or it was deleted."""
    obj = db.session.get(model, ident) if is_id(ident) else None
    if obj is None or getattr(obj, "is_deleted", False):
        raise NotFound(f"there is no {model.__name__.lower()} {ident}")
    return obj


def _any(model: type[_Record], ident: int) -> _Record:
    """The record with this id, deleted or not (to restore it), or 404."""
    obj = db.session.get(model, ident) if is_id(ident) else None
    if obj is None:
        raise NotFound(f"there is no {model.__name__.lower()} {ident}")
    return obj


@contextmanager
def _saving(model: type[Record], ident: int) -> Iterator[None]:
    """transaction(), and a 409 that carries the record as it is now, even after a race."""
    try:
        with transaction():
            yield
    except StaleVersion as exc:
        if exc.current is None:
            exc.current = db.session.get(model, ident)
        raise


def _text_filter(value: str | None) -> str | None:
    if value is None:
        return None
    value = validation.text("q", value, max_length=SEARCH_MAX_LENGTH, single_line=True)
    return value or None


def _contains(column: InstrumentedAttribute[str], needle: str) -> ColumnElement[bool]:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _no_content() -> Response:
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def _cursor(query: schemas.ListQuery | schemas.TaskQuery | schemas.SearchQuery) -> str | None:
    return query.cursor or query.next


# ---------------------------------------------------------------- the description


@operation("/openapi.json", "GET", tag="description", public=True)
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API."""
    from tracker.api.openapi import document

    return _json(document())


@operation("/docs", "GET", tag="description", public=True, media_type="text/html")
def docs() -> ResponseReturnValue:
    """This API described for people to read."""
    from tracker.api.openapi import document, readable

    return render_template(
        "api/docs.html", api=readable(document()), openapi_url=url_for("api.openapi_document")
    )


# ---------------------------------------------------------------- me, people, organisations


@operation("/me", "GET", tag="people", answer=schemas.MeOut)
def me() -> ResponseReturnValue:
    """You: the user the token belongs to, with your calendar feed links."""
    person = current_actor()
    return _json({**show.person(person), **feed_urls_for(person)})


@operation("/people", "GET", tag="people", query=schemas.ListQuery, answer=schemas.PersonPage)
def list_people(query: schemas.ListQuery) -> ResponseReturnValue:
    """Everyone who can own tasks or take part in exchanges, in id order."""
    items, nxt = page(select(Person), Person, query.limit, _cursor(query))
    return _json({"items": [show.person(p) for p in items], "next": nxt})


@operation(
    "/people", "POST", tag="people", body=schemas.PersonCreate, answer=schemas.PersonOut,
    status=201, errors=WRITE_ERRORS,
)
def create_person_view(body: schemas.PersonCreate) -> ResponseReturnValue:
    """Add a person (editors); give a role (admins only).

    A role alone does not let anyone sign in: logins are made with `users create`.
    """
    with transaction():
        person = create_person(current_actor(), **body.model_dump(exclude_unset=True))
    return _json(show.person(person), 201)


@operation(
    "/organisations", "GET", tag="organisations", query=schemas.ListQuery,
    answer=schemas.OrganisationPage,
)
def list_organisations(query: schemas.ListQuery) -> ResponseReturnValue:
    """The cities, ministries, companies and others the team works with, in id order."""
    items, nxt = page(select(Organisation), Organisation, query.limit, _cursor(query))
    return _json({"items": [show.organisation(o) for o in items], "next": nxt})


@operation(
    "/organisations", "POST", tag="organisations", body=schemas.OrganisationCreate,
    answer=schemas.OrganisationOut, status=201, errors=WRITE_ERRORS,
)
def create_organisation_view(body: schemas.OrganisationCreate) -> ResponseReturnValue:
    """Add an organisation (editors and admins)."""
    with transaction():
        organisation = create_organisation(current_actor(), **body.model_dump(exclude_unset=True))
    return _json(show.organisation(organisation), 201)


# ---------------------------------------------------------------- exchanges


def _exchanges_loaded() -> Select:
    return exchanges.live_exchanges().options(
        selectinload(Exchange.organisations), selectinload(Exchange.participants),
        selectinload(Exchange.documents),
    )


@operation(
    "/exchanges", "GET", tag="exchanges", query=schemas.ExchangeQuery,
    answer=schemas.ExchangePage,
)
def list_exchanges(query: schemas.ExchangeQuery) -> ResponseReturnValue:
    """Exchanges nobody deleted, in id order, filtered by status, kind or text."""
    stmt = _exchanges_loaded()
    if query.status:
        stmt = stmt.where(Exchange.status == query.status)
    if query.kind:
        stmt = stmt.where(Exchange.kind == query.kind)
    needle = _text_filter(query.q)
    if needle:
        stmt = stmt.where(
            or_(
                _contains(Exchange.title, needle),
                _contains(Exchange.location, needle),
                _contains(Exchange.description, needle),
            )
        )
    items, nxt = page(stmt, Exchange, query.limit, _cursor(query))
    return _json({"items": [show.exchange(e) for e in items], "next": nxt})


@operation(
    "/exchanges", "POST", tag="exchanges", body=schemas.ExchangeCreate,
    answer=schemas.ExchangeOut, status=201, errors=WRITE_ERRORS,
)
def create_exchange_view(body: schemas.ExchangeCreate) -> ResponseReturnValue:
    """Record an exchange: timed (starts_at, ends_at) or all-day (start_date, end_date)."""
    with transaction():
        exchange = exchanges.create_exchange(current_actor(), **body.model_dump(exclude_unset=True))
    return _json(
        show.exchange(exchange), 201, url_for("api.get_exchange", exchange_id=exchange.id)
    )


@operation("/exchanges/<int:exchange_id>", "GET", tag="exchanges", answer=schemas.ExchangeOut)
def get_exchange(exchange_id: int) -> ResponseReturnValue:
    """One exchange."""
    return _json(show.exchange(_live(Exchange, exchange_id)))


@operation(
    "/exchanges/<int:exchange_id>", "PATCH", tag="exchanges", body=schemas.ExchangePatch,
    answer=schemas.ExchangeOut, errors=(403, 409),
)
def update_exchange_view(exchange_id: int, body: schemas.ExchangePatch) -> ResponseReturnValue:
    """Change an exchange; send only the fields to change, and the version you read.

    If it moves to another day, the tasks due at it move with it.
    """
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with _saving(Exchange, exchange_id):
        exchange = _live(Exchange, exchange_id)
        exchanges.update_exchange(exchange, current_actor(), changes, version)
    return _json(show.exchange(exchange))


@operation(
    "/exchanges/<int:exchange_id>", "DELETE", tag="exchanges", query=schemas.DeleteQuery,
    status=204, errors=(403, 409),
)
def delete_exchange_view(exchange_id: int, query: schemas.DeleteQuery) -> ResponseReturnValue:
    """Delete an exchange with its outcomes and tasks (restore brings them back together)."""
    with _saving(Exchange, exchange_id):
        exchange = _live(Exchange, exchange_id)
        exchanges.delete_exchange(exchange, current_actor(), query.version)
    return _no_content()


@operation(
    "/exchanges/<int:exchange_id>/restore", "POST", tag="exchanges",
    answer=schemas.ExchangeOut, errors=(403, 422),
)
def restore_exchange_view(exchange_id: int) -> ResponseReturnValue:
    """Restore a deleted exchange with the outcomes and tasks deleted together with it.

    Restoring an exchange that is not deleted changes nothing and answers it as it is.
    """
    with transaction():
        exchange = exchanges.restore_exchange(_any(Exchange, exchange_id), current_actor())
    return _json(show.exchange(exchange))


@operation(
    "/outcomes/<int:outcome_id>/restore", "POST", tag="exchanges",
    answer=schemas.OutcomeOut, errors=(403, 422),
)
def restore_outcome_view(outcome_id: int) -> ResponseReturnValue:
    """Restore a deleted outcome with the tasks deleted together with it.

    422 while its exchange is deleted (restore the exchange instead); an outcome that is
    not deleted is answered unchanged.
    """
    with transaction():
        outcome = exchanges.restore_outcome(_any(Outcome, outcome_id), current_actor())
    return _json(show.outcome(outcome))


@operation(
    "/exchanges/<int:exchange_id>/agenda", "GET", tag="exchanges", query=schemas.AgendaQuery,
    answer=schemas.AgendaOut,
)
def get_agenda(exchange_id: int, query: schemas.AgendaQuery) -> ResponseReturnValue:
    """What the exchange should take up: open tasks from earlier meetings of its series and
    from earlier exchanges sharing a partner other than the home organisation.

    Overdue first, then by due date; `carried_because` says why each is here.
    """
    exchange = _live(Exchange, exchange_id)
    items = exchange_queries.carried_over(exchange, query.limit)
    return _json({"carried_over": [show.carried(item) for item in items]})


@operation(
    "/outcomes/<int:outcome_id>", "PATCH", tag="exchanges", body=schemas.OutcomePatch,
    answer=schemas.OutcomeOut, errors=(403, 409),
)
def update_outcome_view(outcome_id: int, body: schemas.OutcomePatch) -> ResponseReturnValue:
    """Reword an outcome, change its organisations, drop it or take it up again; send only
    the fields to change, and the version you read."""
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    changes = {k: v for k, v in changes.items() if v is not None}
    with _saving(Outcome, outcome_id):
        outcome = _live(Outcome, outcome_id)
        exchanges.update_outcome(outcome, current_actor(), changes, version)
    return _json(show.outcome(outcome))


@operation(
    "/outcomes/<int:outcome_id>", "DELETE", tag="exchanges", query=schemas.DeleteQuery,
    status=204, errors=(403, 409),
)
def delete_outcome_view(outcome_id: int, query: schemas.DeleteQuery) -> ResponseReturnValue:
    """Delete an outcome with its tasks (restore brings them back together)."""
    with _saving(Outcome, outcome_id):
        outcome = _live(Outcome, outcome_id)
        exchanges.delete_outcome(outcome, current_actor(), query.version)
    return _no_content()


@operation(
    "/exchanges/<int:exchange_id>/outcomes", "GET", tag="exchanges", query=schemas.ListQuery,
    answer=schemas.OutcomePage,
)
def list_outcomes(exchange_id: int, query: schemas.ListQuery) -> ResponseReturnValue:
    """What was agreed at an exchange, in id order."""
    _live(Exchange, exchange_id)
    stmt = (
        select(Outcome)
        .where(Outcome.exchange_id == exchange_id, Outcome.is_live)
        .options(selectinload(Outcome.organisations))
    )
    items, nxt = page(stmt, Outcome, query.limit, _cursor(query))
    return _json({"items": [show.outcome(o) for o in items], "next": nxt})


@operation(
    "/exchanges/<int:exchange_id>/outcomes", "POST", tag="exchanges",
    body=schemas.OutcomeCreate, answer=schemas.OutcomeOut, status=201, errors=WRITE_ERRORS,
)
def create_outcome(exchange_id: int, body: schemas.OutcomeCreate) -> ResponseReturnValue:
    """Write down something agreed at this exchange."""
    with transaction():
        exchange = _live(Exchange, exchange_id)
        outcome = exchanges.record_outcome(
            exchange, current_actor(), body.text, body.organisation_ids
        )
    return _json(show.outcome(outcome), 201)


# ---------------------------------------------------------------- series


@operation("/series", "GET", tag="series", query=schemas.ListQuery, answer=schemas.SeriesPage)
def list_series(query: schemas.ListQuery) -> ResponseReturnValue:
    """Series nobody deleted, in id order."""
    stmt = select(Series).where(Series.is_live).options(
        selectinload(Series.organisations), selectinload(Series.participants))
    items, nxt = page(stmt, Series, query.limit, _cursor(query))
    return _json({"items": [show.series(s) for s in items], "next": nxt})


@operation(
    "/series", "POST", tag="series", body=schemas.SeriesCreate, answer=schemas.SeriesOut,
    status=201, errors=WRITE_ERRORS,
)
def create_series_view(body: schemas.SeriesCreate) -> ResponseReturnValue:
    """Start a series: with a rule its coming meetings (twelve months, at least two) are
    made at once as exchanges; without one, its first meeting."""
    with transaction():
        created = series_services.create_series(
            current_actor(), **body.model_dump(exclude_unset=True))
    return _json(show.series(created), 201, url_for("api.get_series", series_id=created.id))


@operation("/series/<int:series_id>", "GET", tag="series", answer=schemas.SeriesOut)
def get_series(series_id: int) -> ResponseReturnValue:
    """One series."""
    return _json(show.series(_live(Series, series_id)))


@operation(
    "/series/<int:series_id>", "PATCH", tag="series", body=schemas.SeriesPatch,
    answer=schemas.SeriesOut, errors=(403, 409),
)
def update_series_view(series_id: int, body: schemas.SeriesPatch) -> ResponseReturnValue:
    """Change a series; send only the fields to change, and the version you read.

    Its coming meetings nobody edited by hand follow (moved, removed or added as the rule
    now says); past meetings and those edited by hand stay as they are.
    """
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with _saving(Series, series_id):
        series = _live(Series, series_id)
        series_services.update_series(series, current_actor(), changes, version)
    return _json(show.series(series))


@operation(
    "/series/<int:series_id>", "DELETE", tag="series", query=schemas.DeleteQuery,
    status=204, errors=(403, 409),
)
def delete_series_view(series_id: int, query: schemas.DeleteQuery) -> ResponseReturnValue:
    """Delete a series with its coming meetings (its past meetings stay)."""
    with _saving(Series, series_id):
        series_services.delete_series(_live(Series, series_id), current_actor(), query.version)
    return _no_content()


@operation(
    "/series/<int:series_id>/restore", "POST", tag="series", answer=schemas.SeriesOut,
    errors=(403, 422),
)
def restore_series_view(series_id: int) -> ResponseReturnValue:
    """Restore a deleted series with the meetings deleted with it."""
    with transaction():
        series = series_services.restore_series(_any(Series, series_id), current_actor())
    return _json(show.series(series))


@operation(
    "/series/<int:series_id>/exchanges", "GET", tag="series", query=schemas.ListQuery,
    answer=schemas.ExchangePage,
)
def list_series_exchanges(series_id: int, query: schemas.ListQuery) -> ResponseReturnValue:
    """The meetings of a series (exchanges), in id order."""
    _live(Series, series_id)
    stmt = _exchanges_loaded().where(Exchange.series_id == series_id)
    items, nxt = page(stmt, Exchange, query.limit, _cursor(query))
    return _json({"items": [show.exchange(e) for e in items], "next": nxt})


# ---------------------------------------------------------------- tasks


def _task_values(changes: dict) -> dict:
    if changes.get("due_time") is not None:
        changes["due_time"] = time.fromisoformat(changes["due_time"])
    return changes


@operation("/tasks", "GET", tag="tasks", query=schemas.TaskQuery, answer=schemas.TaskPage)
def list_tasks(query: schemas.TaskQuery) -> ResponseReturnValue:
    """Tasks nobody deleted, in id order, with the filters of the task list."""
    params = {
        name: value.isoformat() if isinstance(value, date) else str(value).lower()
        if isinstance(value, bool) else str(value)
        for name in FILTER_PARAMS
        if (value := getattr(query, name)) is not None
    }
    params["q"] = _text_filter(query.q) or ""
    stmt = filter_tasks(tasks.live_tasks(), params)
    items, nxt = page(stmt, Task, query.limit, _cursor(query))
    return _json({"items": [show.task(t) for t in items], "next": nxt})


@operation(
    "/tasks", "POST", tag="tasks", body=schemas.TaskCreate, answer=schemas.TaskOut,
    status=201, errors=WRITE_ERRORS,
)
def create_task_view(body: schemas.TaskCreate) -> ResponseReturnValue:
    """Record a follow-up: what, who, by when."""
    with transaction():
        values = _task_values(body.model_dump(exclude_unset=True))
        task = tasks.create_task(current_actor(), **values)
    return _json(show.task(task), 201, url_for("api.get_task", task_id=task.id))


@operation("/tasks/<int:task_id>", "GET", tag="tasks", answer=schemas.TaskOut)
def get_task(task_id: int) -> ResponseReturnValue:
    """One task."""
    return _json(show.task(_live(Task, task_id)))


_STATUS_CHANGES = {
    "done": tasks.complete_task,
    "open": tasks.reopen_task,
    "cancelled": tasks.cancel_task,
}


@operation(
    "/tasks/<int:task_id>", "PATCH", tag="tasks", body=schemas.TaskPatch,
    answer=schemas.TaskOut, errors=(403, 409),
)
def update_task_view(task_id: int, body: schemas.TaskPatch) -> ResponseReturnValue:
    """Change a task; send only the fields to change, and the version you read.

    A `status` is applied like the complete and reopen operations (viewers may do that
    to their own tasks); `cancelled` needs an editor.
    """
    changes = _task_values(body.model_dump(exclude_unset=True))
    version = changes.pop("version")
    status = changes.pop("status", None)
    actor = current_actor()
    with _saving(Task, task_id):
        task = _live(Task, task_id)
        if changes:
            tasks.update_task(task, actor, changes, version)
            version = None
        if status is not None:
            _STATUS_CHANGES[status](task, actor, version)
        elif version is not None:
            validation.check_version(task, version)
    return _json(show.task(task))


@operation(
    "/tasks/<int:task_id>", "DELETE", tag="tasks", query=schemas.DeleteQuery, status=204,
    errors=(403, 409),
)
def delete_task_view(task_id: int, query: schemas.DeleteQuery) -> ResponseReturnValue:
    """Delete a task (it disappears from every list and can be restored)."""
    with _saving(Task, task_id):
        task = _live(Task, task_id)
        tasks.delete_task(task, current_actor(), query.version)
    return _no_content()


@operation(
    "/tasks/<int:task_id>/restore", "POST", tag="tasks", answer=schemas.TaskOut,
    errors=(403, 422),
)
def restore_task_view(task_id: int) -> ResponseReturnValue:
    """Restore a deleted task; a task that is not deleted is answered unchanged.

    422 while its exchange or outcome is deleted (restore that instead).
    """
    with transaction():
        task = tasks.restore_task(_any(Task, task_id), current_actor())
    return _json(show.task(task))


@operation(
    "/tasks/<int:task_id>/complete", "POST", tag="tasks", body=schemas.VersionBody,
    body_required=False, answer=schemas.TaskOut, errors=(403, 409),
)
def complete_task_view(task_id: int, body: schemas.VersionBody) -> ResponseReturnValue:
    """Check a task off (its owner, or an editor). Checking off a done task changes nothing."""
    with _saving(Task, task_id):
        task = _live(Task, task_id)
        tasks.complete_task(task, current_actor(), body.version)
    return _json(show.task(task))


@operation(
    "/tasks/<int:task_id>/reopen", "POST", tag="tasks", body=schemas.VersionBody,
    body_required=False, answer=schemas.TaskOut, errors=(403, 409),
)
def reopen_task_view(task_id: int, body: schemas.VersionBody) -> ResponseReturnValue:
    """Undo a check-off or a cancellation (its owner, or an editor)."""
    with _saving(Task, task_id):
        task = _live(Task, task_id)
        tasks.reopen_task(task, current_actor(), body.version)
    return _json(show.task(task))




# ---------------------------------------------------------------- search


@operation("/search", "GET", tag="search", query=schemas.SearchQuery, answer=schemas.SearchPage)
def search_view(query: schemas.SearchQuery) -> ResponseReturnValue:
    """Exchanges (title, place, minutes), outcomes, tasks (title, description, notes), people
    and organisations that contain every word, best first."""
    cursor = _cursor(query)
    offset = decode_cursor(cursor) if cursor else 0
    hits, more = search(query.q, offset=offset, limit=query.limit)
    items = [
        {"type": h.kind, "id": h.id, "title": h.plain_title, "snippet": h.plain_snippet.strip()}
        for h in hits
    ]
    return _json({"items": items, "next": encode_cursor(offset + len(hits)) if more else None})

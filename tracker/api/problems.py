"""RFC 9457 problem details: every error the API gives, as application/problem+json."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, json, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from tracker.core.database import DatabaseFault, database_fault
from tracker.core.errors import Forbidden, InvalidField, NotFound, StaleVersion
from tracker.extensions import db

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An error the API answers with a given status; extra members go into the body."""

    def __init__(
        self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class InvalidFields(Exception):
    """Several fields failed schema validation at once (pydantic reports them together)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def problem(
    status: int, detail: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    body.update({k: v for k, v in extra.items() if v is not None})
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def invalid(errors: list[dict[str, str]]) -> Response:
    first = errors[0]
    return problem(
        422,
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection itself may be gone)
        log.exception("rollback after an API error failed")


#: What a database fault is called (pages: templates/errors/503.html), and when to retry.
_DATABASE_FAULTS: dict[DatabaseFault, tuple[str, dict[str, str]]] = {
    "busy": ("the database is busy; try again", {"Retry-After": "2"}),
    "unavailable": ("the database cannot be reached; try again later", {"Retry-After": "30"}),
    "read_only": ("the database is read-only: nothing can be saved until an operator "
                  "fixes it; reading works", {}),
    "disk_full": ("the database's disk is full: nothing can be saved until an operator "
                  "makes room", {}),
}


def handle_error(exc: Exception) -> Response:
    """Turn any exception raised in an API view into problem details; never an HTML page."""
    if isinstance(exc, ApiProblem):
        return problem(exc.status, exc.detail, exc.headers, **exc.extra)
    if isinstance(exc, InvalidField):
        _rollback()
        return invalid([{"field": exc.field, "message": exc.message}])
    if isinstance(exc, InvalidFields):
        _rollback()
        return invalid(exc.errors)
    if isinstance(exc, StaleVersion):
        _rollback()
        from tracker.api.serialize import serialize

        current = serialize(exc.current) if exc.current is not None else None
        return problem(
            409,
            "the record was changed by someone else meanwhile; "
            "nothing was saved. Re-read it and send its current version.",
            current=current,
        )
    if isinstance(exc, Forbidden):
        _rollback()
        return problem(403, str(exc) or "your role does not allow this")
    if isinstance(exc, NotFound):
        _rollback()
        return problem(404, str(exc) or "there is no such record")
    if isinstance(exc, IntegrityError):
        _rollback()
        log.warning("integrity error on %s %s: %s", request.method, request.path, exc.orig)
        return problem(409, "the change conflicts with another record saved at the same time")
    fault = database_fault(exc)
    if fault is not None:
        _rollback()
        log.exception("database %s on %s %s", fault, request.method, request.path)
        return problem(503, _DATABASE_FAULTS[fault][0], headers=_DATABASE_FAULTS[fault][1])
    if isinstance(exc, HTTPException):
        return http_problem(exc)
    _rollback()
    log.exception("unexpected error on %s %s", request.method, request.path)
    return problem(500, "something went wrong on our side; it has been logged")


def http_problem(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    details = {
        404: "there is no such resource",
        405: f"{request.method} is not allowed here",
        413: "the request body is too large",
    }
    return problem(status, details.get(status) or exc.description, headers)


def routing_problem() -> Response | None:
    """404 and 405 for unknown paths under /api/v1 happen before any blueprint is chosen,
    so the app asks here first (a before_app_request hook) rather than in an error handler
    that a page's HTML handler could shadow."""
    exc = request.routing_exception
    if exc is None or not (request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")):
        return None
    if isinstance(exc, HTTPException) and exc.code in (404, 405):
        return http_problem(exc)
    return None

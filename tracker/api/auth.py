"""Bearer tokens: every API request names its user; no session cookie, no CSRF token."""

from __future__ import annotations

import logging

from flask import Response, current_app, g, request
from sqlalchemy.exc import OperationalError

from tracker.accounts.models import Person
from tracker.accounts.services import person_for_api_token
from tracker.api import bp
from tracker.api.problems import problem, routing_problem
from tracker.api.routing import PUBLIC_ENDPOINTS
from tracker.extensions import db

#: Larger bodies get 413 before they are read (a long exchange summary fits easily).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
REALM = 'Bearer realm="tracker"'
log = logging.getLogger(__name__)


def _unauthorized(detail: str, error: str | None = None) -> Response:
    challenge = REALM + (f', error="{error}"' if error else "")
    return problem(401, detail, {"WWW-Authenticate": challenge})


@bp.before_app_request
def _api_routing_errors() -> Response | None:
    """Unknown paths and methods under /api/v1 answer problem+json, not the HTML 404/405."""
    return routing_problem()


@bp.before_request
def authenticate() -> Response | None:
    """Find the token's user, record that the token was used, or answer 401."""
    request.max_content_length = current_app.config.get(
        "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES
    )
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if not header:
        return _unauthorized("send Authorization: Bearer <your personal API token>")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("the Authorization header must be: Bearer <token>", "invalid_request")
    person = person_for_api_token(token.strip())
    if person is None:
        db.session.rollback()
        return _unauthorized("the token is unknown, revoked, or its user is deactivated",
                             "invalid_token")
    person_id = person.id
    try:
        db.session.commit()  # last_used_at, shown on the account page
    except OperationalError:
        # Busy database: the request matters more than the "last used" time.
        db.session.rollback()
        log.warning("could not record the use of an API token of person %s", person_id)
    g.api_user = db.session.get(Person, person_id)
    return None


def current_actor() -> Person:
    return g.api_user

"""Helpers for the API tests: a test client that sends a user's bearer token."""

from __future__ import annotations

from tracker.accounts.services import issue_api_token
from tracker.core.database import transaction

PROBLEM = "application/problem+json"


class Api:
    """Calls /api/v1 as one user; `path` is relative to /api/v1."""

    def __init__(self, client, token: str, person):
        self.client = client
        self.token = token
        self.person = person
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


def token_for(person, name: str = "test") -> str:
    with transaction():
        _token, plain = issue_api_token(person, name)
    return plain


def api_as(make, client, role: str = "editor", **fields) -> Api:
    """A new user with this role, and an Api that acts as them."""
    person = make.user(role, **fields)
    return Api(client, token_for(person), person)


def assert_problem(response, status: int, field: str | None = None) -> dict:
    """The answer is RFC 9457 problem details with this status (and this invalid field)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"]
    if field is not None:
        assert body["field"] == field, body
        assert any(e["field"] == field for e in body["errors"])
    return body

"""Domain errors: what a page turns into a form message and the API into problem+json."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the tracker refused an operation; nothing was changed."""


class NotFound(DomainError):
    pass


class StaleVersion(DomainError):
    """The record changed since the caller read it (optimistic locking)."""

    def __init__(self, current=None):
        super().__init__("changed by someone else meanwhile")
        self.current = current


class InvalidField(DomainError):
    """A field's value breaks a rule; `field` names it, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Forbidden(DomainError):
    pass

"""Domain errors: what a page turns into a form message and the API into problem+json."""

from __future__ import annotations

from typing import Any

from tracker.core import messages


class DomainError(Exception):
    """A rule of the tracker refused an operation; nothing was changed."""


class NotFound(DomainError):
    pass


class StaleVersion(DomainError):
    """The record changed since the caller read it (optimistic locking)."""

    def __init__(self, current: Any = None) -> None:
        super().__init__("changed by someone else meanwhile")
        self.current = current


class InvalidField(DomainError):
    """A field's value breaks a rule: `field` names it, `code` and `params` say which rule.

    The words live in `tracker.core.messages`: `message` is the English reason (the API's
    and the commands'), `sentence()` the text a page shows in its language.
    """

    def __init__(self, field: str, code: str, **params: Any):
        self.field = field
        self.code = code
        self.params = params
        self.message = messages.reason(code, params)
        super().__init__(f"{field}: {self.message}")

    def sentence(self) -> str:
        """The refusal in the request's language, so a page can show it at the field."""
        return messages.sentence(self.code, self.params)


class Forbidden(DomainError):
    pass

"""Who may do what: the one home of every role rule.

Services ask here, so pages, API and commands share one rule; views guard pages with
`web.helpers.editor_required` / `admin_required`, and templates ask through the `can`
template helper, both of which call these functions.

viewer: reads, and checks off or reopens their own tasks.
editor: changes everything but people and roles.
admin:  also manages people, organisations and roles.
An actor of None is the system itself (a command run by the operator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.core.errors import Forbidden

if TYPE_CHECKING:
    from tracker.accounts.models import Person
    from tracker.tasks.models import Task

EDITING_ROLES = ("admin", "editor")


def can_edit(actor: Person | None) -> bool:
    """Editors and admins change exchanges, outcomes, tasks and organisations."""
    return actor is None or getattr(actor, "role", None) in EDITING_ROLES


def can_administer(actor: Person | None) -> bool:
    """Only admins manage people and their roles."""
    return actor is None or getattr(actor, "role", None) == "admin"


def can_check_off(actor: Person | None, task: Task) -> bool:
    """Editors check off any task; a viewer only their own."""
    if actor is None or can_edit(actor):
        return True
    return getattr(actor, "role", None) == "viewer" and task.owner_id == actor.id


_RULES = {
    "edit": lambda actor, _target: can_edit(actor),
    "administer": lambda actor, _target: can_administer(actor),
    "check_off": can_check_off,
}


def can(actor: Any, action: str, target: Any = None) -> bool:
    """One question for templates and views: may this signed-in person do `action`?

    A visitor who is not signed in may do nothing (unlike None, the system itself)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return _RULES[action](actor, target)


def require(allowed: bool) -> None:
    """Refuse an operation the rules above do not allow; nothing is changed."""
    if not allowed:
        raise Forbidden("your role does not allow this")

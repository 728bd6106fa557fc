"""Who may do what. Services ask here, so pages, API and commands share one rule.

viewer: reads, and checks off or reopens their own tasks.
editor: changes everything but people and roles.
admin:  also manages people, organisations and roles.
An actor of None is the system itself (a command run by the operator).
"""

from __future__ import annotations

from tracker.core.errors import Forbidden


def can_edit(actor) -> bool:
    return actor is None or actor.role in ("admin", "editor")


def can_administer(actor) -> bool:
    return actor is None or actor.role == "admin"


def can_check_off(actor, task) -> bool:
    return can_edit(actor) or (actor.role == "viewer" and task.owner_id == actor.id)


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden("your role does not allow this")

"""The audit trail: who did what to which record, and what changed (old → new)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.model import UTCDateTime, utcnow
from tracker.extensions import Model, db

if TYPE_CHECKING:
    from tracker.accounts.models import Person


class AuditEntry(Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),
        # What partners did through their links (the review's list): without it the
        # planner reads the whole trail by entity_type (migration 0014).
        Index("ix_audit_entries_partner_link", "partner_link_id", "entity_type", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None when a command or the system did it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int]
    #: {"field": [old, new], ...} with JSON-ready values.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Set when a partner did it through its link (actor_id is then None): the history
    #: says "through the partner link of <organisation>".
    partner_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_links.id", ondelete="SET NULL"), index=True
    )

    actor = relationship("Person")
    partner_link = relationship("PartnerLink", lazy="joined")


class Audited(Protocol):
    """A record the trail can name: its table and its id."""

    __tablename__: str

    @property
    def id(self) -> int: ...


def jsonable(value: Any) -> Any:
    """A value as the audit trail and the export keep it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


_through_link: ContextVar[int | None] = ContextVar("tracker_audit_partner_link", default=None)


@contextmanager
def through_partner_link(link_id: int) -> Iterator[None]:
    """Every entry recorded inside names the partner link it was done through (the
    services called inside need not know: completing a task records it as usual)."""
    token = _through_link.set(link_id)
    try:
        yield
    finally:
        _through_link.reset(token)


def record(
    action: str,
    entity: Audited,
    actor: Person | None = None,
    changes: dict[str, tuple] | None = None,
    *,
    partner_link_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction; it commits or rolls back with the change."""
    if entity.id is None:
        db.session.flush()
    entry = AuditEntry(
        action=action,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        actor_id=getattr(actor, "id", None),
        partner_link_id=partner_link_id or _through_link.get(),
        changes={k: [jsonable(old), jsonable(new)] for k, (old, new) in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry


def history(entity: Audited) -> list[AuditEntry]:
    """Every entry for one record, oldest first."""
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .where(
                AuditEntry.entity_type == entity.__tablename__,
                AuditEntry.entity_id == entity.id,
            )
            .order_by(AuditEntry.id)
        )
    )


def apply_changes(obj: object, values: dict[str, Any]) -> dict[str, tuple]:
    """Set attributes and return what actually changed, for the audit entry."""
    changed: dict[str, tuple] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changed[name] = (old, new)
    return changed


def mark_deleted(obj: Any, actor: Any, now: datetime) -> None:
    """Soft-delete one record, audited: every delete (alone or along with its exchange) is
    written the same way, so the trash and the history read them alike."""
    obj.deleted_at = now
    obj.updated_at = now
    db.session.flush()
    record("delete", obj, actor, {"deleted_at": (None, now)})


def mark_restored(obj: Any, actor: Any) -> None:
    """Undo `mark_deleted` on one record, audited with the time it had been deleted."""
    old = obj.deleted_at
    obj.deleted_at = None
    obj.updated_at = utcnow()
    db.session.flush()
    record("restore", obj, actor, {"deleted_at": (old, None)})

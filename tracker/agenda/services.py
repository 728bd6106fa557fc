"""Every write of the meeting cycle: the agenda's topics, sending the agenda, finishing the
minutes (the exchange held, the minutes mailed once).

As elsewhere these flush; the caller commits through `transaction()`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from tracker.accounts.models import Person
from tracker.agenda import mail
from tracker.agenda.models import AgendaTopic
from tracker.agenda.queries import Minutes
from tracker.calendar.warm import written
from tracker.core import audit, validation
from tracker.core.errors import NotFound
from tracker.core.limits import max_length
from tracker.core.model import utcnow
from tracker.core.permissions import can_edit, require
from tracker.exchanges.models import Exchange
from tracker.exchanges.services import update_exchange
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.services import queue_message


def _live(exchange: Exchange) -> None:
    if not exchange.is_live:
        raise NotFound(f"exchange {exchange.id} was deleted")


def _text(value: Any) -> str:
    return validation.text("text", value, max_length=max_length(AgendaTopic.text),
                           required=True)


def add_topic(exchange: Exchange, actor: Person | None, text: Any) -> AgendaTopic:
    """A topic at the end of the agenda."""
    require(can_edit(actor))
    _live(exchange)
    text = _text(text)
    last = db.session.scalar(
        select(func.max(AgendaTopic.position)).where(AgendaTopic.exchange_id == exchange.id)
    )
    topic = AgendaTopic(exchange_id=exchange.id, text=text, position=(last or 0) + 1)
    db.session.add(topic)
    db.session.flush()
    audit.record("create", topic, actor, {"exchange_id": (None, exchange.id),
                                          "text": (None, text)})
    return topic


def update_topic(
    topic: AgendaTopic, actor: Person | None, text: Any, expected_version: int | None = None
) -> AgendaTopic:
    """Reword a topic; a stale version changes nothing."""
    require(can_edit(actor))
    validation.check_version(topic, expected_version)
    diff = audit.apply_changes(topic, {"text": _text(text)})
    if diff:
        topic.updated_at = utcnow()
        db.session.flush()
        audit.record("update", topic, actor, diff)
    return topic


def move_topic(topic: AgendaTopic, actor: Person | None, direction: str) -> AgendaTopic:
    """Swap a topic with its neighbour above ("up") or below ("down"); at an end, nothing."""
    require(can_edit(actor))
    direction = validation.choice("direction", direction, ("up", "down"))
    topics = list(db.session.scalars(
        select(AgendaTopic).where(AgendaTopic.exchange_id == topic.exchange_id)
        .order_by(AgendaTopic.position, AgendaTopic.id)
    ))
    at = topics.index(topic)
    other_at = at - 1 if direction == "up" else at + 1
    if not 0 <= other_at < len(topics):
        return topic
    topics[at], topics[other_at] = topics[other_at], topics[at]
    now = utcnow()
    for position, each in enumerate(topics, start=1):
        if each.position != position:
            old = each.position
            each.position = position
            each.updated_at = now
            db.session.flush()
            audit.record("reorder", each, actor, {"position": (old, position)})
    return topic


def delete_topic(topic: AgendaTopic, actor: Person | None) -> None:
    """Take a topic off the agenda (audited; topics are not kept in the trash)."""
    require(can_edit(actor))
    audit.record("delete", topic, actor, {"text": (topic.text, None)})
    db.session.delete(topic)
    db.session.flush()


def readers(exchange: Exchange) -> list[Person]:
    """The participants a mail about the meeting reaches: active, with an email address
    (partners without a login too)."""
    return [p for p in exchange.participants if p.active and p.email]


def send_agenda(exchange: Exchange, actor: Person | None) -> list[OutboxMessage]:
    """Queue the agenda, with the meeting as .ics, to each reader in their language."""
    require(can_edit(actor))
    _live(exchange)
    agenda = mail.Agenda.of(exchange)
    sent = [queue_message(person, mail.agenda_mail(agenda, person), "agenda")
            for person in readers(exchange)]
    audit.record("send_agenda", exchange, actor, {"recipients": (None, len(sent))})
    return sent


def finish_minutes(exchange: Exchange, actor: Person | None) -> list[OutboxMessage]:
    """Mark the exchange held and queue its minutes to each reader, once.

    The first to set `minutes_sent_at` (a conditional UPDATE, so two clicks racing cannot
    both win) queues the mails; any later call sends nothing and returns [].
    """
    require(can_edit(actor))
    _live(exchange)
    now = utcnow()
    won = db.session.execute(
        update(Exchange)
        .where(Exchange.id == exchange.id, Exchange.minutes_sent_at.is_(None))
        .values(minutes_sent_at=now, updated_at=now, version=Exchange.version + 1)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(exchange)
        return []
    db.session.refresh(exchange)
    written(exchanges=[exchange.id])  # its feed items are built at commit
    if exchange.status != "held":
        update_exchange(exchange, actor, {"status": "held"})
    minutes = Minutes.of(exchange)
    sent = [queue_message(person, mail.minutes_mail(minutes, person), "minutes")
            for person in readers(exchange)]
    audit.record("finish_minutes", exchange, actor,
                 {"minutes_sent_at": (None, now), "recipients": (None, len(sent))})
    return sent


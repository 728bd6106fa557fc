"""Every write around partner links: make, renew, revoke and mail a link; what a partner does
through it (done, note, proposed date); the owner's decision on a proposed date.

A partner acts without an account: the services of tasks are called with actor None inside
`audit.through_partner_link`, so their audit entries name the link, and the owner is told
by mail (through the outbox, if their settings allow notes about their tasks).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.accounts.models import Person
from tracker.calendar.context import FeedContext, FeedOptions
from tracker.calendar.selection import organisation_selection
from tracker.calendar.warm import Feed, add_feed_source
from tracker.core import audit, timeutil, validation
from tracker.core.database import write_on_read
from tracker.core.errors import InvalidField, NotFound
from tracker.core.limits import is_id, max_length
from tracker.core.model import utcnow
from tracker.core.permissions import can_check_off, can_edit, require
from tracker.core.urls import base_url, external_url
from tracker.core.usage import is_due, touch
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.partners.models import DueDateProposal, PartnerLink, token_hash
from tracker.tasks import services as tasks
from tracker.tasks.models import Task

log = logging.getLogger(__name__)

#: A link lives this long, and again this long from each renewal.
LINK_DAYS = 180
#: Record a link's last use at most this often (a write per page view would be wasteful).
TOUCH_EVERY = timedelta(minutes=10)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{40,60}")


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


# --- editors: make, renew, revoke, mail -------------------------------------------------


def create_link(organisation: Organisation, actor: Person | None) -> PartnerLink:
    """A new link for `organisation`, valid for LINK_DAYS (editors)."""
    require(can_edit(actor))
    link = PartnerLink.issue(
        _secret(),
        organisation_id=organisation.id,
        expires_at=utcnow() + timedelta(days=LINK_DAYS),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(link)
    db.session.flush()
    audit.record("create", link, actor, {"organisation_id": (None, organisation.id),
                                         "expires_at": (None, link.expires_at)})
    return link


def renew_link(link: PartnerLink, actor: Person | None) -> PartnerLink:
    """Another LINK_DAYS from now; a revoked link stays revoked (make a new one)."""
    require(can_edit(actor))
    if link.revoked_at is not None:
        raise InvalidField("link", "link_revoked")
    diff = audit.apply_changes(link, {"expires_at": utcnow() + timedelta(days=LINK_DAYS)})
    db.session.flush()
    audit.record("renew", link, actor, diff)
    return link


def revoke_link(link: PartnerLink, actor: Person | None) -> PartnerLink:
    """End the link and its calendar feed: both answer 404 from now on."""
    require(can_edit(actor))
    if link.revoked_at is None:
        diff = audit.apply_changes(link, {"revoked_at": utcnow()})
        db.session.flush()
        audit.record("revoke", link, actor, diff)
    return link


def links_of(organisation_id: int) -> list[PartnerLink]:
    """An organisation's links, newest first (revoked and expired ones too, marked)."""
    return list(db.session.scalars(
        select(PartnerLink).where(PartnerLink.organisation_id == organisation_id)
        .order_by(PartnerLink.id.desc())
    ))


def link_of(organisation_id: int, link_id: Any) -> PartnerLink:
    """The link `link_id` of this organisation, or NotFound (a link of another is not found)."""
    link = db.session.get(PartnerLink, link_id) if is_id(link_id) else None
    if link is None or link.organisation_id != organisation_id:
        raise NotFound(f"there is no partner link {link_id}")
    return link


def page_url(link: PartnerLink) -> str | None:
    """The link to give the partner (None if the secret key changed since it was made)."""
    token = link.token(_secret())
    return external_url("partners.page", token=token) if token else None


def partner_page_for(person: Person) -> str | None:
    """The page a partner without a login reports through: their organisation's newest
    active link, or None (users sign in instead; no link, no page)."""
    if person.is_user or person.organisation_id is None:
        return None
    link = db.session.scalar(
        select(PartnerLink)
        .where(PartnerLink.organisation_id == person.organisation_id,
               PartnerLink.is_active(utcnow()))
        .order_by(PartnerLink.id.desc())
        .limit(1)
    )
    return page_url(link) if link is not None else None


def feed_url(link: PartnerLink) -> str | None:
    """The partner's calendar feed (None if the secret key changed)."""
    token = link.feed_token(_secret())
    return external_url("partners.feed", token=token) if token else None


def contacts(organisation_id: int) -> list[Person]:
    """The organisation's people we can write to: active, with an email address."""
    return list(db.session.scalars(
        select(Person).where(Person.organisation_id == organisation_id,
                             Person.active.is_(True), Person.email.is_not(None))
        .order_by(Person.name)
    ))


def mail_link(link: PartnerLink, actor: Person | None) -> int:
    """Queue the link to each of the organisation's contacts, in its language; how many."""
    from tracker.notify.services import queue_message
    from tracker.partners.mail import link_mail

    require(can_edit(actor))
    if not link.is_active(utcnow()):
        raise InvalidField("link", "link_revoked")
    url = page_url(link)
    if url is None:
        raise InvalidField("link", "link_revoked")
    people = contacts(link.organisation_id)
    for person in people:
        queue_message(person, link_mail(link, person, url), "partner_link")
    if people:
        audit.record("mail", link, actor, {"recipients": (None, [p.id for p in people])})
    return len(people)


# --- the partner: finding the link, its tasks --------------------------------------------


def _find(raw: str, column: Any) -> PartnerLink | None:
    if not isinstance(raw, str) or not _TOKEN_SHAPE.fullmatch(raw):
        return None
    digest = token_hash(raw)
    link = db.session.scalar(select(PartnerLink).where(column == digest))
    if link is None or not hmac.compare_digest(getattr(link, column.key), digest):
        return None
    return link if link.is_active(utcnow()) else None


def find_link(raw: str) -> PartnerLink | None:
    """The active link whose page token is `raw`, or None (unknown, revoked, expired)."""
    return _find(raw, PartnerLink.token_hash)


def find_feed_link(raw: str) -> PartnerLink | None:
    """The active link whose calendar feed token is `raw`, or None."""
    return _find(raw, PartnerLink.feed_token_hash)


def feed_context(link: PartnerLink) -> FeedContext:
    """How the link's feed presents its items: the organisation's language, no links into
    the tracker, no names (`audience="partner"`)."""
    organisation = link.organisation
    with force_locale(organisation.locale):
        name = _("Commitments: %(name)s", name=organisation.name)
        description = _("What %(name)s committed to, and its next exchanges",
                        name=organisation.name)
    return FeedContext(
        base_url=base_url(),
        tz_name=current_app.config["TRACKER_TIMEZONE"],
        locale=organisation.locale or "de",
        today=timeutil.today(),
        options=FeedOptions(),
        name=name,
        description=description,
        audience="partner",
    )


def partner_feeds() -> Iterator[Feed]:
    """Every active link's feed, so its items are built on write (tracker.calendar.warm)."""
    links = db.session.scalars(
        select(PartnerLink).where(PartnerLink.is_active(utcnow())).order_by(PartnerLink.id)
    )
    for link in links:
        ctx = feed_context(link)
        yield (f"partner:{link.organisation_id}",
               organisation_selection(link.organisation_id, ctx.options), ctx)


add_feed_source(partner_feeds)


def record_use(link: PartnerLink) -> None:
    """Note when the link was last used (editors see it), at most every TOUCH_EVERY."""
    now = utcnow()
    if not is_due(link.last_used_at, now, TOUCH_EVERY):
        return
    try:
        with write_on_read():
            touch(link, now, TOUCH_EVERY)
    except Exception:
        db.session.rollback()
        log.warning("could not record a partner link's last use", exc_info=True)


def task_of(link: PartnerLink, task_id: Any) -> Task:
    """A live task this link's organisation committed to; any other is NotFound."""
    task = db.session.get(Task, task_id) if is_id(task_id) else None
    if task is None or not task.is_live or task.organisation_id != link.organisation_id:
        raise NotFound(f"there is no task {task_id} for this link")
    return task


# --- the partner's actions -------------------------------------------------------------


def complete_through(link: PartnerLink, task: Task) -> Task:
    """The partner reports the task done: checked off at once, the owner told."""
    task = task_of(link, task.id)
    if task.status != "open":
        return task
    with audit.through_partner_link(link.id):
        tasks.complete_task(task, None)
    _tell_owner(task, link, "done")
    return task


def note_through(link: PartnerLink, task: Task, text: Any) -> Any:
    """The partner adds a progress note: saved at once, the owner told."""
    task = task_of(link, task.id)
    note = tasks.add_note(task, None, text, organisation_id=link.organisation_id,
                          partner_link_id=link.id)
    _tell_owner(task, link, "note", text=note.text)
    return note


def propose_through(link: PartnerLink, task: Task, day: Any, reason: Any) -> DueDateProposal:
    """The partner proposes a new due date with a reason; the owner accepts or declines."""
    task = task_of(link, task.id)
    if task.status != "open":
        raise InvalidField("due_date", "task_not_open")
    day = validation.a_date("due_date", day, required=True)
    reason = validation.text("reason", reason, max_length=max_length(DueDateProposal.reason))
    proposal = DueDateProposal(task_id=task.id, link_id=link.id, proposed_date=day,
                               reason=reason, state="proposed")
    db.session.add(proposal)
    db.session.flush()
    audit.record("propose", task, None, {"due_date": (task.due_date, day)},
                 partner_link_id=link.id)
    _tell_owner(task, link, "proposal", proposal=proposal)
    return proposal


# --- the owner's decision ----------------------------------------------------------------


def open_proposals(task_id: int) -> list[DueDateProposal]:
    """The proposals on a task still waiting for a decision, oldest first."""
    return list(db.session.scalars(
        select(DueDateProposal)
        .options(joinedload(DueDateProposal.link))
        .where(DueDateProposal.task_id == task_id, DueDateProposal.state == "proposed")
        .order_by(DueDateProposal.id)
    ))


def decide(proposal: DueDateProposal, actor: Person | None, accept: bool) -> DueDateProposal:
    """The owner (or an editor) accepts the date (the task moves to it) or declines it."""
    task = proposal.task
    require(actor is None or can_check_off(actor, task))
    if not task.is_live:
        raise NotFound(f"task {task.id} was deleted")
    if proposal.state != "proposed":
        raise InvalidField("proposal", "already_decided")
    if accept:
        tasks.move_due_date(task, actor, proposal.proposed_date)
    state = "accepted" if accept else "declined"
    audit.apply_changes(proposal, {"state": state, "decided_at": utcnow(),
                                   "decided_by_id": getattr(actor, "id", None)})
    proposal.updated_at = utcnow()
    db.session.flush()
    audit.record("accept" if accept else "decline", task, actor,
                 {"due_date": (None, proposal.proposed_date)})
    return proposal


# --- telling the owner -------------------------------------------------------------------


def _tell_owner(task: Task, link: PartnerLink, what: str, **details: Any) -> None:
    """Mail the owner what the partner did, if they get mail and want notes on their tasks."""
    from tracker.notify.services import queue_message, receives_mail
    from tracker.partners.mail import owner_mail

    owner = db.session.get(Person, task.owner_id)
    if owner is None or not receives_mail(owner) or not owner.assignment_notes:
        return
    queue_message(owner, owner_mail(task, link, owner, what, **details), "partner_report")


def recent_reports(limit: int = 10) -> list[tuple[audit.AuditEntry, Task]]:
    """What partners did through their links lately, newest first (for the review)."""
    return [(entry, task) for entry, task in db.session.execute(
        select(audit.AuditEntry, Task)
        .join(Task, Task.id == audit.AuditEntry.entity_id)
        # Both: IS NOT NULL has PostgreSQL's statistics find the few such entries by
        # ix_audit_entries_partner_link, IN (the links) has SQLite's planner do the same;
        # either alone, one of them reads the whole trail newest first.
        .where(audit.AuditEntry.partner_link_id.is_not(None),
               audit.AuditEntry.partner_link_id.in_(select(PartnerLink.id)),
               audit.AuditEntry.entity_type == "tasks", Task.is_live)
        .order_by(audit.AuditEntry.id.desc()).limit(limit)
    )]


def done_since() -> datetime:
    """Done tasks stay on the partner's page this long after they were checked off."""
    return utcnow() - timedelta(days=30)

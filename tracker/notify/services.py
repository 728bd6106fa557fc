"""Mail the tracker writes: queued in the outbox with the change, sent by `notify send`.

- `queue_message` adds a mail to the current transaction (the caller commits).
- `note_task_change` is called by the task services: someone else gave you a task, or
  moved its due date → one short note with the task as .ics.
- `build_digest` / `send_due_digests`: overdue, due within 7 days, next exchanges.
- `deliver_outbox` (in delivery.py) sends what is queued.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import make_msgid
from itertools import groupby
from typing import Any, cast

from babel.dates import format_date, format_time
from dateutil.rrule import rrulestr
from flask import current_app, render_template
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment
from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Person
from tracker.core.database import transaction
from tracker.core.progress import Progress
from tracker.core.timeutil import from_local, local_date, team_zone, to_local
from tracker.core.urls import external_url
from tracker.exchanges.models import Exchange, exchange_participants
from tracker.extensions import db
from tracker.notify.delivery import deliver_outbox, mail_host
from tracker.notify.ical import task_ics
from tracker.notify.models import DigestRun, OutboxMessage
from tracker.notify.texts import language, text, translator
from tracker.tasks.models import Task, TaskNote

__all__ = [
    "Mail",
    "build_digest",
    "clock_time",
    "due_phrase",
    "render_mail",
    "short_date",
    "deliver_outbox",
    "note_task_change",
    "queue_message",
    "send_due_digests",
    "settings_token",
    "settings_url",
    "person_for_settings_token",
    "purge_sent",
    "receives_mail",
]

log = logging.getLogger("tracker.notify")

SETTINGS_SALT = "notify-settings"
SOON_DAYS = 7
EXCHANGE_DAYS = 14
MAX_EXCHANGES = 5
#: The digest lists at most this many notes (the task page has them all).
MAX_NOTES = 30

_suppressed: ContextVar[bool] = ContextVar("tracker_notify_suppressed", default=False)


@dataclass
class Mail:
    subject: str
    text: str
    html: str
    ics: str | None = None
    ics_filename: str | None = None
    unsubscribe_url: str | None = None


# --- addresses and links ------------------------------------------------------------


def receives_mail(person: Person) -> bool:
    """Users of the tracker only (`Person.receives_mail`, which send_due_digests also asks
    in its query): partners recorded as task owners (no login) get no mail from it."""
    return bool(person.receives_mail)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SETTINGS_SALT)


def _address_tag(email: str | None) -> str:
    """Ties a token to the address it was mailed to, without putting the address in URLs."""
    return hashlib.sha256((email or "").encode()).hexdigest()[:16]


def settings_token(person: Person) -> str:
    """Signed (person, address): a link mailed to an old address stops working when it changes."""
    return _serializer().dumps({"p": person.id, "e": _address_tag(person.email)})


def person_for_settings_token(token: str) -> Person | None:
    """The active person the token was made for, or None for a forged or outdated token."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        return None
    person = db.session.get(Person, data["p"])
    if person is None or not person.active or not person.email:
        return None
    if not hmac.compare_digest(_address_tag(person.email), str(data.get("e"))):
        return None
    return person


def settings_url(person: Person) -> str:
    """The signed link at the end of every mail: mail settings without signing in."""
    return external_url("notify.settings", token=settings_token(person))


def task_url(task: Task) -> str:
    """A task's page, for links in mail."""
    return external_url("tasks.show", task_id=task.id)


def exchange_url(exchange: Exchange) -> str:
    """An exchange's page, for links in mail."""
    return external_url("exchanges.show", exchange_id=exchange.id)


# --- the outbox --------------------------------------------------------------------------


def queue_message(person: Person, mail: Mail, kind: str) -> OutboxMessage:
    """Add a mail to the current transaction; it is sent only if that commits."""
    msg = OutboxMessage(
        kind=kind,
        person_id=person.id,
        recipient=person.email,
        subject=" ".join(mail.subject.split())[:500],
        body_text=mail.text,
        body_html=mail.html,
        message_id=make_msgid(domain=mail_host()),
        ics=mail.ics,
        ics_filename=mail.ics_filename,
        unsubscribe_url=mail.unsubscribe_url,
    )
    db.session.add(msg)
    db.session.flush()
    return msg


@contextmanager
def mail_suppressed() -> Iterator[None]:
    """No assignment notes inside this block (loading demo data, bulk jobs)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _render(lang: str, name: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML parts of templates/notify/<name>.{txt,html}."""
    context.update(t=translator(lang), lang=lang, fmt_date=lambda d: _date(d, lang))
    with force_locale(lang):
        plain = _text_environment().get_template(f"notify/{name}.txt").render(**context)
        html = render_template(f"notify/{name}.html", **context)
    return plain.strip() + "\n", html


def _text_environment() -> Environment:
    """The app's templates, with block tags that leave no blank lines in plain text."""
    env = current_app.extensions.get("notify_text_env")
    if env is None:
        env = current_app.jinja_env.overlay(trim_blocks=True, lstrip_blocks=True)
        current_app.extensions["notify_text_env"] = env
    return env


# Dates as the web pages show them (Babel's formats for de and en); times on a 24-hour clock.
# Kept once formatted: a run of digests writes the same few hundred days thousands of times.


@functools.lru_cache(maxsize=4096)
def _date(day: date, lang: str) -> str:
    return format_date(day, format="full", locale=lang)


@functools.lru_cache(maxsize=4096)
def _short_date(day: date, lang: str) -> str:
    return format_date(day, format="medium", locale=lang)


@functools.lru_cache(maxsize=4096)
def _time(at: time, lang: str) -> str:
    return format_time(at, format="HH:mm", locale=lang)


def _due_value(task: Task, lang: str) -> str:
    """The due date (and time) alone, for a "Due:" line."""
    if task.due_date is None:
        return text(lang, "no_due_date")
    day = _short_date(task.due_date, lang)
    if task.due_time is None:
        return day
    return text(lang, "date_time", date=day, time=_time(task.due_time, lang))


def _due_phrase(task: Task, lang: str) -> str:
    if task.due_date is None:
        return text(lang, "no_due_date")
    if task.due_time is not None:
        return text(
            lang, "due_at_time", date=_short_date(task.due_date, lang),
            time=_time(task.due_time, lang),
        )
    return text(lang, "due_on", date=_short_date(task.due_date, lang))


def render_mail(lang: str, name: str, **context: Any) -> tuple[str, str]:
    """Text and HTML of templates/notify/<name>.{txt,html} in `lang` (other features' mail)."""
    return _render(lang, name, **context)


def short_date(day: date, lang: str) -> str:
    """A date as the mails write it (medium format, in `lang`)."""
    return _short_date(day, lang)


def clock_time(at: time, lang: str) -> str:
    """A time of day as the mails write it (24-hour clock)."""
    return _time(at, lang)


def due_phrase(task: Task, lang: str) -> str:
    """"due 3 Dec 2026" (or "no due date"), in `lang`."""
    return _due_phrase(task, lang)


# --- assignment note ---------------------------------------------------------------------


def note_task_change(
    task: Task, actor: Person | None, *, created: bool = False, diff: dict | None = None
) -> OutboxMessage | None:
    """Queue one note when someone else gives the owner a task or moves its due date.

    Called by create_task/update_task inside their transaction. Nothing for the owner's
    own changes, for changes made by the system (actor None: commands, imports), for
    closed tasks, or for owners who get no mail (no login, no address, deactivated) or
    have switched these notes off.
    """
    if _suppressed.get() or actor is None or task.status != "open":
        return None
    if actor.id == task.owner_id:
        return None
    diff = diff or {}
    if not created and not ({"owner_id", "due_date"} & diff.keys()):
        return None
    owner = db.session.get(Person, task.owner_id)
    if owner is None or not receives_mail(owner) or not owner.assignment_notes:
        return None
    assigned = created or "owner_id" in diff
    lang = language(owner.locale)
    if assigned:
        subject = text(lang, "assigned_subject", title=task.localized("title", lang))
        intro = text(lang, "assigned_intro", actor=actor.name or text(lang, "someone"))
    else:
        old, new = diff["due_date"]
        subject = text(lang, "rescheduled_subject", title=task.localized("title", lang))
        intro = text(
            lang,
            "rescheduled_intro",
            actor=actor.name or text(lang, "someone"),
            old=_short_date(old, lang) if old else text(lang, "no_due_date"),
            new=_short_date(new, lang) if new else text(lang, "no_due_date"),
        )
    url = task_url(task)
    description = f"{task.localized('description', lang)}\n\n{url}".strip()
    ics = task_ics(task, host=mail_host(), url=url, description=description, locale=lang)
    plain, html = _render(
        lang,
        "assignment",
        person=owner,
        task=task,
        intro=intro,
        due=_due_value(task, lang),
        task_url=url,
        ics=ics is not None,
        settings_url=settings_url(owner),
        home_url=external_url("home.index"),
    )
    mail = Mail(
        subject=subject,
        text=plain,
        html=html,
        ics=ics,
        ics_filename=f"task-{task.id}.ics" if ics else None,
        unsubscribe_url=None,
    )
    return queue_message(owner, mail, "assignment")


# --- digest ------------------------------------------------------------------------------


@dataclass
class UpcomingExchange:
    exchange: Exchange
    day: date
    at: time | None


def digest_period(frequency: str, on_date: date) -> str | None:
    """The period a digest sent on `on_date` belongs to; None when none is due that day."""
    if frequency == "daily":
        return f"daily:{on_date.isoformat()}"
    if frequency == "weekly" and on_date.weekday() == 0:
        year, week, _ = on_date.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return None


def _next_occurrence(exchange: Exchange, on_date: date) -> tuple[date, time | None] | None:
    """The first day (and local time) of the exchange on or after on_date, RRULE included."""
    if exchange.all_day:
        if exchange.start_date is None:
            return None
        start: datetime = datetime.combine(exchange.start_date, time())
        timed = False
    else:
        if exchange.starts_at is None:
            return None
        start = to_local(exchange.starts_at)
        timed = True
    found: datetime | None = start
    if exchange.rrule:
        try:
            rule = rrulestr(exchange.rrule, dtstart=start)
            after = datetime.combine(on_date, time(), tzinfo=start.tzinfo)
            found = rule.after(after, inc=True)
        except (ValueError, TypeError):
            log.warning("exchange %s has an RRULE that cannot be read", exchange.id)
            found = start if start.date() >= on_date else None
    if found is None or found.date() < on_date:
        return None
    return found.date(), (found.time() if timed else None)


def _upcoming_exchanges(person: Person, on_date: date) -> list[UpcomingExchange]:
    until = on_date + timedelta(days=EXCHANGE_DAYS)
    exchanges = db.session.scalars(
        select(Exchange)
        .join(exchange_participants, exchange_participants.c.exchange_id == Exchange.id)
        .where(
            exchange_participants.c.person_id == person.id,
            Exchange.is_live,
            Exchange.status == "planned",
        )
    )
    found = []
    for exchange in exchanges:
        nxt = _next_occurrence(exchange, on_date)
        if nxt is not None and nxt[0] < until:
            found.append(UpcomingExchange(exchange, nxt[0], nxt[1]))
    found.sort(key=lambda u: (u.day, u.at or time(), u.exchange.id))
    return found[:MAX_EXCHANGES]


def _open_tasks_due_before(person: Person, until: date) -> list[Task]:
    tasks = db.session.scalars(
        select(Task).where(
            Task.owner_id == person.id,
            Task.is_live,
            Task.status == "open",
            Task.due_date.is_not(None),
            Task.due_date < until,
        )
        .options(selectinload(Task.exchange))  # the digest names each task's exchange
    )
    return sorted(tasks, key=lambda t: (t.due_date, t.due_time or time(), t.id))


#: A first digest (no run before) lists the notes of this many days.
FIRST_NOTES_DAYS = {"daily": 1, "weekly": 7}


def _notes_since_last_digest(
    person: Person, on_date: date, frequency: str
) -> list[TaskNote]:
    """Notes others wrote on `person`'s open or done tasks since their last digest."""
    last = db.session.scalar(
        select(func.max(DigestRun.created_at)).where(DigestRun.person_id == person.id)
    )
    since = last or from_local(
        on_date - timedelta(days=FIRST_NOTES_DAYS.get(frequency, 7)), time()
    )
    return list(db.session.scalars(
        select(TaskNote)
        .join(Task, Task.id == TaskNote.task_id)
        .where(
            Task.owner_id == person.id,
            Task.is_live,
            TaskNote.created_at >= since,
            or_(TaskNote.author_id.is_(None), TaskNote.author_id != person.id),
        )
        .options(selectinload(TaskNote.task), selectinload(TaskNote.author),
                 selectinload(TaskNote.organisation))
        .order_by(TaskNote.created_at, TaskNote.id)
        .limit(MAX_NOTES)
    ))


def _note_by(note: TaskNote, lang: str) -> str:
    if note.author is not None:
        return note.author.name
    organisation = note.organisation.label if note.organisation else text(lang, "someone")
    return text(lang, "note_through_link", organisation=organisation)


def _exchange_suffix(item: UpcomingExchange, lang: str) -> str:
    details = [_time(item.at, lang)] if item.at else []
    if item.exchange.location:
        details.append(item.exchange.location)
    return f" ({', '.join(details)})" if details else ""


def build_digest(person: Person, on_date: date, frequency: str | None = None) -> Mail | None:
    """The digest for `person` on `on_date` (a day in the team's zone); None: nothing to say."""
    frequency = frequency or (person.digest if person.digest != "never" else "weekly")
    lang = language(person.locale)
    tasks = _open_tasks_due_before(person, on_date + timedelta(days=SOON_DAYS))
    overdue = [t for t in tasks if t.is_overdue(on_date)]
    soon = [t for t in tasks if not t.is_overdue(on_date)]
    exchanges = _upcoming_exchanges(person, on_date)
    notes = _notes_since_last_digest(person, on_date, frequency)
    if not (overdue or soon or exchanges or notes):
        return None

    def day_label(day: date) -> str:
        label = _date(day, lang)
        if day == on_date:
            return f"{label} ({text(lang, 'today')})"
        if day == on_date + timedelta(days=1):
            return f"{label} ({text(lang, 'tomorrow')})"
        return label

    def overdue_phrase(task: Task) -> str:
        days = (on_date - (task.due_date or on_date)).days
        if days == 1:
            return text(lang, "days_overdue_1")
        return text(lang, "days_overdue_n", days=days)

    soon_by_day = [
        (day_label(day), list(group)) for day, group in groupby(soon, lambda t: t.due_date)
    ]
    exchanges_by_day = [
        (day_label(day), list(group)) for day, group in groupby(exchanges, lambda u: u.day)
    ]
    plain, html = _render(
        lang,
        "digest",
        person=person,
        intro=text(lang, f"digest_intro_{frequency}"),
        summary=text(lang, "summary", overdue=len(overdue), soon=len(soon)),
        overdue=overdue,
        overdue_phrase=overdue_phrase,
        due_phrase=lambda t: _due_phrase(t, lang),
        soon_by_day=soon_by_day,
        exchanges_by_day=exchanges_by_day,
        notes=notes,
        note_by=lambda n: _note_by(n, lang),
        note_when=lambda n: _short_date(local_date(n.created_at), lang),
        time_suffix=lambda t: f" ({_time(t.due_time, lang)})" if t.due_time else "",
        exchange_suffix=lambda u: _exchange_suffix(u, lang),
        task_url=task_url,
        exchange_url=exchange_url,
        home_url=external_url("home.index"),
        settings_url=settings_url(person),
    )
    subject = text(lang, f"digest_subject_{frequency}", date=_short_date(on_date, lang))
    return Mail(subject=subject, text=plain, html=html, unsubscribe_url=settings_url(person))


def send_due_digests(now: datetime, progress: Progress | None = None) -> dict[str, int]:
    """Queue today's digests (daily, or weekly on Mondays); a rerun in the period queues none.

    Each person gets their own transaction: the digest-run row and the outbox row commit
    together, and the unique (person, period) key lets exactly one racing run win.
    """
    on_date = now.astimezone(team_zone()).date()
    counts = {"queued": 0, "nothing_due": 0, "already_sent": 0}
    person_ids = list(
        db.session.scalars(
            select(Person.id)
            .where(
                Person.receives_mail,
                Person.digest.in_(("daily", "weekly")),
            )
            .order_by(Person.id)
        )
    )
    db.session.commit()
    for n, person_id in enumerate(person_ids, 1):
        if progress:
            progress("digests", n, len(person_ids))
        person = db.session.get(Person, person_id)
        if person is None:
            continue
        period = digest_period(person.digest, on_date)
        if period is None:
            continue
        done = db.session.scalar(
            select(DigestRun.id).where(DigestRun.person_id == person_id, DigestRun.period == period)
        )
        if done is not None:
            counts["already_sent"] += 1
            db.session.commit()
            continue
        try:
            with transaction():
                mail = build_digest(person, on_date, person.digest)
                if mail is None:
                    counts["nothing_due"] += 1
                    continue
                msg = queue_message(person, mail, "digest")
                db.session.add(DigestRun(person_id=person_id, period=period, outbox_id=msg.id))
                db.session.flush()
        except IntegrityError:
            counts["already_sent"] += 1
            continue
        counts["queued"] += 1
    return counts


#: Sent mail is kept this long (for questions like "did the note go out?"), then deleted.
KEEP_SENT = timedelta(days=30)


def purge_sent(now: datetime, keep: timedelta = KEEP_SENT) -> int:
    """Delete mail sent before now - keep: the outbox holds personal data, not an archive.

    Digest runs of periods long past go too; only the current period's row matters.
    """
    with transaction():
        db.session.execute(
            delete(DigestRun)
            .where(DigestRun.created_at < now - keep)
            .execution_options(synchronize_session=False)
        )
        result = db.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < now - keep)
            .execution_options(synchronize_session=False)
        )
    return cast("CursorResult[Any]", result).rowcount

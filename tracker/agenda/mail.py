"""The agenda and the minutes as mail: one per reader, in the reader's language.

The reader's language is their own choice, else their organisation's (a partner from
Kiel without a login reads German, one from Tallinn English), else German.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.accounts.models import Person
from tracker.agenda.models import AgendaTopic
from tracker.agenda.queries import Minutes, topics_of
from tracker.calendar.context import feed_context
from tracker.calendar.items import single_exchange
from tracker.core.timeutil import to_local
from tracker.core.urls import external_url
from tracker.exchanges.models import Exchange
from tracker.exchanges.queries import CARRIED_ON_PAGE, Carried, carried_over
from tracker.notify.services import (
    Mail,
    clock_time,
    due_phrase,
    render_mail,
    settings_url,
    short_date,
)
from tracker.notify.texts import language, text


def reader_language(person: Person) -> str:
    """The person's language, else their organisation's, else the default."""
    if person.locale:
        return language(person.locale)
    organisation = person.organisation
    return language(organisation.locale if organisation is not None else None)


def when(exchange: Exchange, lang: str) -> str:
    """"3 Dec 2026, 09:00" or "3 Dec 2026" for the mails."""
    day = exchange.first_day
    if day is None:
        return ""
    if exchange.all_day or exchange.starts_at is None:
        return short_date(day, lang)
    return text(lang, "date_time", date=short_date(day, lang),
                time=clock_time(to_local(exchange.starts_at).time(), lang))


def because(item: Carried, lang: str) -> str:
    """Why a task is on the list, in words."""
    if item.because == "series":
        return text(lang, "carried_series")
    return text(lang, "carried_partner", partners=", ".join(o.name for o in item.partners))


def _common(exchange: Exchange, person: Person, lang: str) -> dict:
    return {
        "person": person,
        "exchange": exchange,
        "when": when(exchange, lang),
        "exchange_url": external_url("exchanges.show", exchange_id=exchange.id),
        "settings_url": settings_url(person),
        "because": lambda item: because(item, lang),
        "due": lambda task: due_phrase(task, lang),
    }


@dataclass
class Agenda:
    """What every reader's agenda mail says, read once for all of them."""

    exchange: Exchange
    topics: list[AgendaTopic]
    carried: list[Carried]

    @classmethod
    def of(cls, exchange: Exchange) -> Agenda:
        return cls(exchange, topics_of(exchange), carried_over(exchange, CARRIED_ON_PAGE))


def agenda_mail(agenda: Agenda, person: Person) -> Mail:
    """The agenda: topics and carried-over tasks, the meeting attached as .ics."""
    lang = reader_language(person)
    exchange = agenda.exchange
    plain, html = render_mail(
        lang, "agenda", topics=agenda.topics, carried=agenda.carried,
        **_common(exchange, person, lang),
    )
    ics = single_exchange(exchange, feed_context(person=person)).decode("utf-8")
    day = exchange.first_day
    return Mail(
        subject=text(lang, "agenda_subject", title=exchange.title,
                     date=short_date(day, lang) if day else ""),
        text=plain, html=html, ics=ics, ics_filename=f"exchange-{exchange.id}.ics",
    )


def minutes_mail(minutes: Minutes, person: Person) -> Mail:
    """The minutes: what was agreed with each task, what became of the carried-over, and
    the reader's own tasks first."""
    lang = reader_language(person)
    exchange = minutes.exchange
    plain, html = render_mail(
        lang, "minutes", minutes=minutes, mine=minutes.tasks_of(person.id),
        **_common(exchange, person, lang),
    )
    day = exchange.first_day
    return Mail(
        subject=text(lang, "minutes_subject", title=exchange.title,
                     date=short_date(day, lang) if day else ""),
        text=plain, html=html,
    )

"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from tracker.accounts.models import ApiToken, Person
from tracker.agenda.models import AgendaTopic
from tracker.calendar.models import CalendarState, FeedItem, FeedToken
from tracker.core.audit import AuditEntry
from tracker.exchanges.models import (
    Exchange,
    ExchangeDocument,
    Outcome,
    exchange_organisations,
    exchange_participants,
    outcome_organisations,
)
from tracker.notify.models import DigestRun, OutboxMessage
from tracker.organisations.models import Organisation
from tracker.series.models import (
    Series,
    SeriesUpkeep,
    series_organisations,
    series_participants,
)
from tracker.tasks.models import Task, TaskNote

__all__ = [
    "AgendaTopic",
    "ApiToken",
    "AuditEntry",
    "CalendarState",
    "DigestRun",
    "Exchange",
    "ExchangeDocument",
    "FeedItem",
    "FeedToken",
    "Organisation",
    "OutboxMessage",
    "Outcome",
    "Person",
    "Series",
    "SeriesUpkeep",
    "Task",
    "TaskNote",
    "exchange_organisations",
    "exchange_participants",
    "outcome_organisations",
    "series_organisations",
    "series_participants",
]

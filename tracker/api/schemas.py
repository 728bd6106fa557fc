"""The shapes of the API: every request body, query and answer, as pydantic models.

The same models validate requests, shape answers and produce the OpenAPI document, so the
description cannot drift from what the API does. Rules about meaning (an owner must exist,
an end comes after its start) stay in the services; the models check shape and type.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from tracker.accounts.models import (
    REMINDER_MINUTES_MAX,
    REMINDER_MINUTES_MIN,
    Digest,
    Person,
    Role,
)
from tracker.core import timeutil
from tracker.core.limits import (
    MAX_ID,
    MAX_IDS_IN_LIST,
    MAX_PER_PAGE,
    PER_PAGE,
    SEARCH_MAX_LENGTH,
    max_length,
)
from tracker.core.messages import MESSAGES
from tracker.exchanges.models import Exchange, ExchangeKind, ExchangeStatus, OutcomeStatus
from tracker.organisations.models import Locale, Organisation, OrganisationKind
from tracker.tasks.models import Task, TaskNote, TaskStatus

DEFAULT_LIMIT, MAX_LIMIT = PER_PAGE, MAX_PER_PAGE


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic would also read "0" or "1700000000" as a Unix time."""
    if not isinstance(value, str):
        return value  # a number or null: the date type itself refuses or allows it
    if not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a day of the calendar") from None


def _whole(value: object) -> object:
    """JSON has one kind of number: 849.0 is the integer 849, as JSON Schema reads it too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: Goes with every integer a body or query takes (the bounds stay on `int` for the schema).
WHOLE = BeforeValidator(_whole)
Id = Annotated[int, Field(ge=1, le=MAX_ID), WHOLE]
#: Every date the API reads, in a body or a query: YYYY-MM-DD and nothing else.
Day = Annotated[date, BeforeValidator(_iso_day), Field(description="YYYY-MM-DD")]
#: Text that must say something (titles, names, what was agreed): not empty, not only spaces.
NOT_BLANK = r"\S"
#: A page cursor is short and opaque; anything longer was not made by us.
CURSOR_MAX_LENGTH = 200
Cursor = Annotated[
    str | None, Field(max_length=CURSOR_MAX_LENGTH, description="The `next` of the previous page.")
]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_utc),
    Field(description="ISO 8601 date and time with an offset, e.g. 2026-12-03T09:00:00+01:00"),
]
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
LocalTime = Annotated[
    str,
    Field(
        pattern=LOCAL_TIME_PATTERN,
        description="Wall-clock time in the team's time zone, HH:MM",
        examples=["09:30"],
    ),
]
Version = Annotated[
    int,
    Field(ge=1, le=MAX_ID, description="The version you read; a stale one gets 409."),
    WHOLE,
]


class Body(BaseModel):
    """A request body: JSON only, strictly typed, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query parameters arrive as text, so they are converted (not strict); unknown ones fail."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- tasks

_TASK_TITLE = max_length(Task.title)


Translations = Annotated[
    dict[str, dict[str, str]],
    Field(
        description="The text fields in the other language (de or en), e.g. "
        '{"en": {"title": "…", "description": "…"}}; an empty object when there is none.',
        examples=[{"en": {"title": "Prepare the workshop"}}],
    ),
]
TextLanguage = Annotated[
    Locale, Field(description="The language of the record's own text fields.")
]


class TaskFields(Body):
    title: Annotated[str, Field(min_length=1, max_length=_TASK_TITLE, pattern=NOT_BLANK)] = None  # type: ignore[assignment]
    description: str = ""
    exchange_id: Id | None = None
    outcome_id: Annotated[
        Id | None, Field(description="The outcome it follows; sets exchange_id to its exchange.")
    ] = None
    owner_id: Id = None  # type: ignore[assignment]
    organisation_id: Annotated[
        Id | None, Field(description="The organisation that committed to it.")
    ] = None
    due_date: Day | None = None
    due_time: LocalTime | None = None
    due_exchange_id: Annotated[
        Id | None,
        Field(description="Due at that exchange: due_date follows it when it moves."),
    ] = None
    language: TextLanguage = "de"
    translations: Translations = {}


class TaskCreate(TaskFields):
    title: Annotated[str, Field(min_length=1, max_length=_TASK_TITLE, pattern=NOT_BLANK)]
    owner_id: Id


class TaskPatch(TaskFields):
    version: Version
    title: Annotated[str, Field(min_length=1, max_length=_TASK_TITLE, pattern=NOT_BLANK)] = None  # type: ignore[assignment]
    owner_id: Id = None  # type: ignore[assignment]
    status: Annotated[
        TaskStatus | None,
        Field(description="open reopens, done checks off, cancelled cancels the task."),
    ] = None


class VersionBody(Body):
    version: Version | None = None


class TaskOut(Answer):
    id: int
    title: str
    description: str
    exchange_id: int | None
    outcome_id: int | None
    owner_id: int
    organisation_id: int | None
    due_date: date | None
    due_time: LocalTime | None
    due_exchange_id: int | None
    status: TaskStatus
    completed_at: datetime | None
    completed_by_id: int | None
    language: TextLanguage
    translations: Translations
    created_at: datetime
    updated_at: datetime
    version: int


class TaskQuery(Query):
    status: TaskStatus | None = None
    owner_id: Id | None = None
    organisation_id: Id | None = None
    exchange_id: Id | None = None
    due_before: Annotated[Day | None, Field(description="Due on or before this day.")] = None
    due_after: Annotated[Day | None, Field(description="Due on or after this day.")] = None
    overdue: Annotated[
        bool | None,
        Field(description="true: only open tasks whose due date has passed (team time zone)."),
    ] = None
    q: Annotated[
        str | None,
        Field(max_length=SEARCH_MAX_LENGTH, description="Text in the title or description."),
    ] = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), WHOLE] = DEFAULT_LIMIT
    cursor: Cursor = None
    next: Annotated[
        str | None, Field(max_length=CURSOR_MAX_LENGTH, description="Same as cursor.")
    ] = None


class TaskPage(Answer):
    items: list[TaskOut]
    next: Annotated[str | None, Field(description="Pass as `cursor` for the next page.")]


class NoteCreate(Body):
    text: Annotated[
        str,
        Field(min_length=1, max_length=max_length(TaskNote.text), pattern=NOT_BLANK,
              description="The progress note, e.g. \"Termin steht, Entwurf folgt im Januar\"."),
    ]


class NoteOut(Answer):
    id: int
    task_id: int
    text: str
    author_id: Annotated[
        int | None, Field(description="null when written through a partner link.")
    ]
    organisation_id: int | None
    created_at: datetime


class NotePage(Answer):
    items: list[NoteOut]
    next: str | None


# ---------------------------------------------------------------- exchanges

_EXCHANGE_TITLE = max_length(Exchange.title)


def _existing_wall_time(value: datetime) -> datetime:
    """A team-zone time the clocks skip is refused (read before the offset is dropped)."""
    if timeutil.in_gap(value):
        raise ValueError(MESSAGES["local_time_gap"].reason % {
            "when": f"{value:%Y-%m-%d %H:%M}", "zone": timeutil.team_zone().key,
        })
    return value


#: A Moment that must not name a wall-clock time the team's clocks skip (exchange times).
WallMoment = Annotated[
    AwareDatetime,
    AfterValidator(_existing_wall_time),
    AfterValidator(_utc),
    Field(description="ISO 8601 date and time with an offset, e.g. 2026-12-03T09:00:00+01:00"),
]
#: How the API reads the hour clocks skip or repeat (the pages refuse or take the first).
_WALL_TIME = (
    "A team-zone time the clocks skip (02:30+01:00 on the spring night in Europe/Berlin) is "
    "refused; in the autumn hour that happens twice, the offset says which one is meant "
    "(+02:00 the first, +01:00 the second)."
)


class ExchangeFields(Body):
    title: Annotated[str, Field(min_length=1, max_length=_EXCHANGE_TITLE, pattern=NOT_BLANK)] = None  # type: ignore[assignment]
    kind: ExchangeKind = "other"
    status: ExchangeStatus = "planned"
    all_day: Annotated[
        bool, Field(description="true: start_date/end_date; false: starts_at/ends_at.")
    ] = False
    starts_at: Annotated[WallMoment | None, Field(description=_WALL_TIME)] = None
    ends_at: Annotated[
        WallMoment | None, Field(description="Default: an hour after the start. " + _WALL_TIME)
    ] = None
    start_date: Day | None = None
    end_date: Annotated[Day | None, Field(description="Inclusive last day.")] = None
    location: Annotated[str, Field(max_length=max_length(Exchange.location))] = ""
    description: Annotated[str, Field(description="Summary or minutes.")] = ""
    rrule: Annotated[
        str | None,
        Field(max_length=max_length(Exchange.rrule), examples=["FREQ=MONTHLY;BYDAY=1WE"]),
    ] = None
    follows_up_id: Annotated[Id | None, Field(description="The exchange this follows up.")] = None
    organisation_ids: Annotated[list[Id], Field(max_length=MAX_IDS_IN_LIST)] = []
    participant_ids: Annotated[list[Id], Field(max_length=MAX_IDS_IN_LIST)] = []


class ExchangeCreate(ExchangeFields):
    title: Annotated[str, Field(min_length=1, max_length=_EXCHANGE_TITLE, pattern=NOT_BLANK)]


class ExchangePatch(ExchangeFields):
    version: Version


_RECURRENCE_ID = (
    "The meeting's original start in its series, kept when the meeting is moved, in "
    "iCalendar form: 20260708T080000Z (UTC) for a timed meeting, 20260708 for an all-day "
    "one; null outside a series."
)
class DocumentOut(Answer):
    id: int
    title: str
    url: str


class ExchangeOut(Answer):
    id: int
    title: str
    kind: ExchangeKind
    status: ExchangeStatus
    all_day: bool
    starts_at: datetime | None
    ends_at: datetime | None
    start_date: date | None
    end_date: date | None
    location: str
    description: str
    rrule: str | None
    follows_up_id: int | None
    series_id: Annotated[int | None, Field(description="The series this is a meeting of.")]
    recurrence_id: Annotated[str | None, Field(description=_RECURRENCE_ID)]
    organisation_ids: list[int]
    participant_ids: list[int]
    documents: Annotated[
        list[DocumentOut], Field(description="Links to its documents (minutes, slides, ...).")
    ]
    created_at: datetime
    updated_at: datetime
    version: int


class ListQuery(Query):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT), WHOLE] = DEFAULT_LIMIT
    cursor: Cursor = None
    next: Annotated[
        str | None, Field(max_length=CURSOR_MAX_LENGTH, description="Same as cursor.")
    ] = None


class ExchangeQuery(ListQuery):
    status: ExchangeStatus | None = None
    kind: ExchangeKind | None = None
    q: Annotated[
        str | None,
        Field(max_length=SEARCH_MAX_LENGTH, description="Text in the title, place or summary."),
    ] = None


class ExchangePage(Answer):
    items: list[ExchangeOut]
    next: str | None


# ---------------------------------------------------------------- series

_SERIES_RRULE = (
    "iCalendar RRULE value (FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE); null: no rule, meetings are "
    "added as they are set. The start must be the first date the rule produces."
)


class SeriesFields(Body):
    title: Annotated[str, Field(min_length=1, max_length=_EXCHANGE_TITLE, pattern=NOT_BLANK)] = None  # type: ignore[assignment]
    kind: ExchangeKind = "other"
    rrule: Annotated[
        str | None, Field(max_length=500, description=_SERIES_RRULE,
                          examples=["FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE"]),
    ] = None
    all_day: Annotated[
        bool, Field(description="true: start_date; false: starts_at and duration_minutes.")
    ] = False
    starts_at: Annotated[
        WallMoment | None, Field(description="The first meeting's start. " + _WALL_TIME)
    ] = None
    start_date: Annotated[Day | None, Field(description="The first meeting's day.")] = None
    duration_minutes: Annotated[
        int | None, Field(ge=0, le=14 * 1440, description="A meeting's length (default 120)."),
        WHOLE,
    ] = None
    location: Annotated[str, Field(max_length=max_length(Exchange.location))] = ""
    description: str = ""
    organisation_ids: Annotated[list[Id], Field(max_length=MAX_IDS_IN_LIST)] = []
    participant_ids: Annotated[list[Id], Field(max_length=MAX_IDS_IN_LIST)] = []


class SeriesCreate(SeriesFields):
    title: Annotated[str, Field(min_length=1, max_length=_EXCHANGE_TITLE, pattern=NOT_BLANK)]


class SeriesPatch(SeriesFields):
    version: Version


class SeriesOut(Answer):
    id: int
    title: str
    kind: ExchangeKind
    rrule: str | None
    all_day: bool
    starts_at: datetime | None
    start_date: date | None
    duration_minutes: int
    location: str
    description: str
    organisation_ids: list[int]
    participant_ids: list[int]
    created_at: datetime
    updated_at: datetime
    version: int


class SeriesPage(Answer):
    items: list[SeriesOut]
    next: str | None


# ---------------------------------------------------------------- outcomes


class OutcomeCreate(Body):
    text: Annotated[str, Field(min_length=1, pattern=NOT_BLANK, description="What was agreed.")]
    organisation_ids: Annotated[list[Id], Field(max_length=MAX_IDS_IN_LIST)] = []
    language: TextLanguage = "de"
    translations: Translations = {}


class OutcomePatch(Body):
    version: Version
    text: Annotated[
        str, Field(min_length=1, pattern=NOT_BLANK, description="What was agreed.")
    ] = None  # type: ignore[assignment]
    organisation_ids: Annotated[list[Id], Field(max_length=MAX_IDS_IN_LIST)] = None  # type: ignore[assignment]
    dropped: Annotated[
        bool, Field(description="true: no longer pursued; false: taken up again.")
    ] = None  # type: ignore[assignment]
    language: TextLanguage = None  # type: ignore[assignment]
    translations: Translations = None  # type: ignore[assignment]


class OutcomeOut(Answer):
    id: int
    exchange_id: int
    text: str
    status: OutcomeStatus
    organisation_ids: list[int]
    language: TextLanguage
    translations: Translations
    created_at: datetime
    updated_at: datetime
    version: int


class OutcomePage(Answer):
    items: list[OutcomeOut]
    next: str | None


# ---------------------------------------------------------------- agenda


class CarriedTaskOut(TaskOut):
    carried_because: Annotated[
        Literal["series", "partner"],
        Field(description="series: from an earlier meeting of the same series; partner: from "
                          "an earlier exchange sharing a partner other than the home "
                          "organisation."),
    ]
    carried_partner_ids: Annotated[
        list[int], Field(description="The shared partner organisations it came through.")
    ]


class AgendaQuery(Query):
    limit: Annotated[
        int, Field(ge=1, le=MAX_LIMIT, description="How many, the most pressing first."), WHOLE
    ] = 100


class AgendaOut(Answer):
    carried_over: list[CarriedTaskOut]


# ---------------------------------------------------------------- organisations


class OrganisationCreate(Body):
    name: Annotated[
        str, Field(min_length=1, max_length=max_length(Organisation.name), pattern=NOT_BLANK)
    ]
    short_name: Annotated[
        str | None, Field(max_length=max_length(Organisation.short_name))
    ] = None
    kind: OrganisationKind = "other"
    country: Annotated[
        str | None,
        Field(max_length=max_length(Organisation.country), description="ISO 3166-1 alpha-2",
              examples=["DE"]),
    ] = None
    active: bool = True
    locale: Annotated[
        Locale, Field(description="Language of what the tracker sends or shows it.")
    ] = "de"
    home: Annotated[
        bool,
        Field(description="The team's own organisation (admins only); marking one unmarks "
                          "the one marked before."),
    ] = False


class OrganisationOut(Answer):
    id: int
    name: str
    short_name: str | None
    kind: OrganisationKind
    country: str | None
    active: bool
    locale: Locale
    home: bool
    created_at: datetime
    updated_at: datetime
    version: int


class OrganisationPage(Answer):
    items: list[OrganisationOut]
    next: str | None


# ---------------------------------------------------------------- people


class PersonCreate(Body):
    name: Annotated[
        str, Field(min_length=1, max_length=max_length(Person.name), pattern=NOT_BLANK)
    ]
    email: Annotated[str | None, Field(max_length=max_length(Person.email))] = None
    organisation_id: Id | None = None
    role: Annotated[
        Role | None, Field(description="Only admins give roles; a role alone is no login.")
    ] = None
    locale: Locale | None = None
    active: bool = True
    digest: Digest = "weekly"
    reminder_minutes: Annotated[
        Annotated[int, Field(ge=REMINDER_MINUTES_MIN, le=REMINDER_MINUTES_MAX), WHOLE] | None,
        Field(description="Default reminder, minutes before 00:00 of the due day (900: "
                          "09:00 the day before; negative: on the day, -480: 08:00)."),
    ] = 900


class PersonOut(Answer):
    id: int
    name: str
    email: str | None
    organisation_id: int | None
    role: Role | None
    locale: Locale | None
    active: bool
    digest: Digest
    reminder_minutes: int | None
    created_at: datetime
    updated_at: datetime
    version: int


class PersonPage(Answer):
    items: list[PersonOut]
    next: str | None


class MeOut(PersonOut):
    calendar_feed_url: Annotated[
        str | None, Field(description="Your personal calendar feed (secret URL).")
    ]
    team_feed_url: Annotated[str | None, Field(description="The team's calendar feed.")]


# ---------------------------------------------------------------- search

#: The most hits one search page gives (each carries a snippet the database cuts out).
SEARCH_MAX_LIMIT = 100
SearchKind = Literal["exchange", "outcome", "task", "person", "organisation"]


class SearchQuery(Query):
    q: Annotated[
        str,
        Field(
            max_length=SEARCH_MAX_LENGTH,
            description="Words to find; each must occur (as a word or the start of one).",
        ),
    ]
    limit: Annotated[int, Field(ge=1, le=SEARCH_MAX_LIMIT), WHOLE] = 20
    cursor: Cursor = None
    next: Annotated[
        str | None, Field(max_length=CURSOR_MAX_LENGTH, description="Same as cursor.")
    ] = None


class SearchHit(Answer):
    type: SearchKind
    id: int
    title: str
    snippet: Annotated[str, Field(description="Where the words occur, as plain text.")]


class SearchPage(Answer):
    items: list[SearchHit]
    next: str | None


# ---------------------------------------------------------------- errors


class FieldError(Answer):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    field: Annotated[str | None, Field(description="422: the first invalid field.")] = None
    errors: Annotated[
        list[FieldError] | None, Field(description="422: every invalid field and why.")
    ] = None
    current: Annotated[
        dict[str, Any] | None, Field(description="409: the record as it is now.")
    ] = None


class DeleteQuery(Query):
    version: Annotated[
        Id | None, Field(description="If given, must be the current version.")
    ] = None

"""Every write to an exchange or an outcome, including moving an exchange and the tasks due at it.

As with tasks: these flush, the caller commits through `transaction()`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from dateutil.rrule import DAILY, rrulestr
from sqlalchemy import Select, select

from tracker.accounts.models import Person
from tracker.core import audit, validation
from tracker.core.errors import InvalidField, NotFound
from tracker.core.limits import max_length
from tracker.core.model import Record, utcnow
from tracker.core.permissions import can_edit, require
from tracker.core.timeutil import to_local, today
from tracker.core.translations import validated_language, validated_translations
from tracker.core.validation import check_version
from tracker.exchanges.models import (
    EXCHANGE_KINDS,
    EXCHANGE_STATUSES,
    Exchange,
    ExchangeDocument,
    Outcome,
)
from tracker.extensions import db
from tracker.organisations.models import Organisation
from tracker.tasks.models import Task
from tracker.tasks.services import (
    create_task,
    delete_tasks_along,
    refresh_outcome_status,
    restore_tasks_along,
)

SCALAR_FIELDS = (
    "title",
    "kind",
    "status",
    "all_day",
    "starts_at",
    "ends_at",
    "start_date",
    "end_date",
    "location",
    "description",
    "rrule",
    "follows_up_id",
    "import_uid",
    "exdates",
    "import_sequence",
)
LIST_FIELDS = ("organisation_ids", "participant_ids")
WHEN_FIELDS = ("all_day", "starts_at", "ends_at", "start_date", "end_date")


def validate_rrule(value: str | None, start: date | datetime | None) -> str | None:
    """An RRULE value ("FREQ=MONTHLY;BYDAY=1WE") that dateutil and calendar clients accept."""
    if value is None:
        return None
    value = validation.text("rrule", value, max_length=max_length(Exchange.rrule), single_line=True)
    if not value:
        return None
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    if "FREQ=" not in value.upper():
        raise InvalidField("rrule", "rrule_without_freq")
    dtstart = start if isinstance(start, datetime) else datetime(2000, 1, 1)
    if isinstance(start, date) and not isinstance(start, datetime):
        dtstart = datetime(start.year, start.month, start.day)
    if isinstance(dtstart, datetime) and dtstart.tzinfo is not None:
        dtstart = to_local(dtstart).replace(tzinfo=None)  # the rule repeats the local time
    if "UNTIL=" in value.upper() and "COUNT=" in value.upper():
        raise InvalidField("rrule", "rrule_until_and_count")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # dateutil warns where RFC 5545 forbids
            # Any: frequency, interval and count are private to dateutil (no public reader).
            rule: Any = rrulestr(f"RRULE:{value}", dtstart=dtstart, ignoretz=True)
    except Exception as exc:  # noqa: BLE001  (dateutil raises many kinds on odd input)
        raise InvalidField("rrule", "rrule_invalid", why=str(exc)) from exc
    if rule._freq > DAILY:  # dateutil numbers HOURLY, MINUTELY, SECONDLY above DAILY
        raise InvalidField("rrule", "rrule_too_frequent")
    if rule._interval < 1:
        raise InvalidField("rrule", "rrule_below_one", part="INTERVAL")
    if rule._count is not None and rule._count < 1:
        raise InvalidField("rrule", "rrule_below_one", part="COUNT")
    _check_rrule_ranges(value.upper())
    if start is not None:
        _check_start_occurs(rule, dtstart)
    return value.upper()


def _check_start_occurs(rule: Any, dtstart: datetime) -> None:
    """The start must be the rule's first occurrence, or clients disagree on the first date.

    RFC 5545 counts DTSTART as an occurrence even when the rule does not produce it; some
    clients show it, others do not.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = rule.after(dtstart, inc=True)
    if first != dtstart:
        raise InvalidField(
            "rrule", "rrule_start_not_occurrence", start=dtstart.date().isoformat(),
            first=first.date().isoformat() if first else "none",
        )


#: RFC 5545 ranges dateutil does not enforce; out of them a rule never occurs, and
#: calendar clients (and dateutil) search up to the year 9999 for its first occurrence.
_RRULE_RANGES = {"BYMONTHDAY": 31, "BYYEARDAY": 366, "BYWEEKNO": 53, "BYMONTH": 12}


def _check_rrule_ranges(value: str) -> None:
    for part in value.split(";"):
        name, _, numbers = part.partition("=")
        limit = _RRULE_RANGES.get(name)
        if limit is None:
            continue
        for number in numbers.split(","):
            n = int(number)  # dateutil has parsed it already
            if n == 0 or abs(n) > limit or (name == "BYMONTH" and n < 0):
                raise InvalidField("rrule", "rrule_out_of_range", part=name, value=number)


def validate_exdates(value: str | None, all_day: bool) -> str | None:
    """EXDATEs as stored: "20260708T080000Z,…" (UTC) timed, "20260708,…" all day; sorted."""
    if not value:
        return None
    value = validation.text(
        "exdates", value, max_length=max_length(Exchange.exdates), single_line=True
    )
    shape = "%Y%m%d" if all_day else "%Y%m%dT%H%M%SZ"
    days = set()
    for part in value.replace(" ", "").split(","):
        try:
            day = datetime.strptime(part, shape)
        except ValueError as exc:
            raise InvalidField("exdates", "exdates_invalid", value=part[:40]) from exc
        if len(part) != len(day.strftime(shape)):  # strptime takes "2026078" too
            raise InvalidField("exdates", "exdates_invalid", value=part[:40])
        validation.a_date("exdates", day.date())  # the years the tracker takes
        days.add(part)
    return ",".join(sorted(days)) or None


def _validated(values: dict[str, Any], exchange_id: int | None) -> dict[str, Any]:
    unknown = set(values) - set(SCALAR_FIELDS) - set(LIST_FIELDS)
    if unknown:
        raise InvalidField(sorted(unknown)[0], "unknown_field", what="an exchange")
    v = dict(values)
    v["title"] = validation.text(
        "title", v.get("title"), max_length=max_length(Exchange.title), required=True,
        single_line=True,
    )
    v["kind"] = validation.choice("kind", v.get("kind") or "other", EXCHANGE_KINDS)
    v["location"] = validation.text(
        "location", v.get("location"), max_length=max_length(Exchange.location), single_line=True
    )
    v["description"] = validation.text(
        "description", v.get("description"), max_length=max_length(Exchange.description)
    )
    if not isinstance(v.get("all_day", False), bool):
        raise InvalidField("all_day", "not_a_boolean")
    v["all_day"] = bool(v.get("all_day", False))
    if v["all_day"]:
        start = cast(date, validation.a_date("start_date", v.get("start_date"), required=True))
        end = validation.a_date("end_date", v.get("end_date")) or start
        if end < start:
            raise InvalidField("end_date", "end_before_start_date")
        v.update(start_date=start, end_date=end, starts_at=None, ends_at=None)
    else:
        start = cast(datetime, validation.aware("starts_at", v.get("starts_at"), required=True))
        end = validation.aware("ends_at", v.get("ends_at")) or start + timedelta(hours=1)
        if end < start:
            raise InvalidField("ends_at", "end_before_start")
        v.update(starts_at=start, ends_at=end, start_date=None, end_date=None)
    v["rrule"] = validate_rrule(v.get("rrule"), start)
    # No status chosen: an exchange in the past was held, one ahead is planned; one that
    # recurs by its own rule (an imported invitation) goes on, so it stays planned.
    v["status"] = validation.choice(
        "status", v.get("status") or ("planned" if v["rrule"] else _status_by_date(start)),
        EXCHANGE_STATUSES,
    )
    follows = validation.existing("follows_up_id", Exchange, v.get("follows_up_id"))
    if follows is not None and follows.id == exchange_id:
        raise InvalidField("follows_up_id", "follows_itself")
    v["exdates"] = validate_exdates(v.get("exdates"), v["all_day"])
    sequence = v.get("import_sequence")
    if sequence is not None and (
        isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence < 2**31
    ):
        raise InvalidField("import_sequence", "not_a_sequence")
    uid = v.get("import_uid")
    v["import_uid"] = (
        validation.text("import_uid", uid, max_length=max_length(Exchange.import_uid)) or None
    )
    if "organisation_ids" in v:
        v["organisations"] = validation.existing_all(
            "organisation_ids", Organisation, v.pop("organisation_ids")
        )
    if "participant_ids" in v:
        v["participants"] = validation.existing_all(
            "participant_ids", Person, v.pop("participant_ids")
        )
    return v


def _status_by_date(start: date | datetime) -> str:
    if isinstance(start, datetime):
        return "held" if start < utcnow() else "planned"
    return "held" if start < today() else "planned"


def _ids(records: Iterable[Record]) -> list[int]:
    return sorted(r.id for r in records)


def create_exchange(actor: Person | None, **fields: Any) -> Exchange:
    """Pages, API, imports and the demo create exchanges here: checked and audited alike."""
    require(can_edit(actor))
    values = _validated(fields, None)
    exchange = Exchange(**values)
    db.session.add(exchange)
    db.session.flush()
    changes = {k: (None, v) for k, v in values.items() if k in SCALAR_FIELDS and v}
    for name in ("organisations", "participants"):
        if values.get(name):
            changes[name] = (None, _ids(values[name]))
    audit.record("create", exchange, actor, changes)
    return exchange


#: Changes that make a meeting of a series its own: its series' later changes leave it.
HAND_EDIT_FIELDS = frozenset({"title", "kind", "status", "location", *WHEN_FIELDS})


def update_exchange(
    exchange: Exchange,
    actor: Person | None,
    changes: dict[str, Any],
    expected_version: int | None = None,
    by_hand: bool = True,
) -> Exchange:
    """Change an exchange; if it moves, the tasks due at it move with it.

    A meeting of a series changed by hand (moved, renamed, cancelled) is marked so, and
    its series' later changes leave it; the series itself changes its meetings with
    `by_hand=False`.
    """
    require(can_edit(actor))
    if not exchange.is_live:
        raise NotFound(f"exchange {exchange.id} was deleted")
    check_version(exchange, expected_version)
    current = {name: getattr(exchange, name) for name in SCALAR_FIELDS}
    values = _validated({**current, **changes}, exchange.id)
    lists = {name: values.pop(name) for name in ("organisations", "participants") if name in values}
    old_day = exchange.first_day
    diff = audit.apply_changes(exchange, values)
    for name, records in lists.items():
        old_ids, new_ids = _ids(getattr(exchange, name)), _ids(records)
        if old_ids != new_ids:
            setattr(exchange, name, records)
            diff[name] = (old_ids, new_ids)
    if diff and by_hand and exchange.series_id and not exchange.hand_edited \
            and HAND_EDIT_FIELDS & set(diff):
        exchange.hand_edited = True
        diff["hand_edited"] = (False, True)
    if diff:
        exchange.updated_at = utcnow()
        db.session.flush()
        audit.record("update", exchange, actor, diff)
        if exchange.first_day != old_day:
            _move_tasks_due_at(exchange, actor)
    return exchange


def move_exchange(
    exchange: Exchange, actor: Person | None, expected_version: int | None = None, **when: Any
) -> Exchange:
    """Reschedule an exchange (timed or all-day fields); tasks due at it follow."""
    if set(when) - set(WHEN_FIELDS):
        raise InvalidField(sorted(set(when) - set(WHEN_FIELDS))[0], "unknown_field", what="a date")
    return update_exchange(exchange, actor, when, expected_version)


def _move_tasks_due_at(exchange: Exchange, actor: Person | None) -> None:
    day = exchange.first_day
    tasks = db.session.scalars(
        select(Task).where(Task.due_exchange_id == exchange.id, Task.is_live)
    )
    for task in tasks:
        if task.due_date != day:
            old = task.due_date
            task.due_date = day
            task.updated_at = utcnow()
            db.session.flush()
            audit.record("move", task, actor, {"due_date": (old, day)})


def delete_exchange(
    exchange: Exchange,
    actor: Person | None,
    expected_version: int | None = None,
    by_hand: bool = True,
) -> Exchange:
    """Soft delete, together with its live outcomes and tasks, so none is left without it.

    All of them get the same `deleted_at` (one timestamp, one transaction, each audited):
    that shared time is the rule by which `restore_exchange` knows what went with it.
    A meeting deleted by hand is not made again by its series' rule.
    """
    require(can_edit(actor))
    if not exchange.is_live:
        return exchange
    check_version(exchange, expected_version)
    now = utcnow()
    if by_hand and exchange.series_id:
        exchange.hand_edited = True
    audit.mark_deleted(exchange, actor, now)
    outcomes = db.session.scalars(
        select(Outcome).where(Outcome.exchange_id == exchange.id, Outcome.is_live)
        .order_by(Outcome.id)
    )
    for outcome in outcomes:
        audit.mark_deleted(outcome, actor, now)
    delete_tasks_along(Task.exchange_id == exchange.id, actor, now)
    return exchange


def restore_exchange(exchange: Exchange, actor: Person | None) -> Exchange:
    """A delete is never final: the exchange comes back with what was deleted with it.

    "With it" means: its outcomes and tasks whose `deleted_at` equals the exchange's (set by
    `delete_exchange` in the same moment). Those deleted on their own before stay deleted.
    """
    require(can_edit(actor))
    if exchange.is_live:
        return exchange
    old = exchange.deleted_at
    assert old is not None
    audit.mark_restored(exchange, actor)
    outcomes = list(db.session.scalars(
        select(Outcome).where(Outcome.exchange_id == exchange.id, Outcome.deleted_at == old)
        .order_by(Outcome.id)
    ))
    for outcome in outcomes:
        audit.mark_restored(outcome, actor)
    restore_tasks_along(Task.exchange_id == exchange.id, old, actor)
    for outcome in outcomes:
        refresh_outcome_status(outcome)
    return exchange


#: What a task written together with its outcome may say; the rest comes from the outcome.
TASK_ROW_FIELDS = ("title", "owner_id", "organisation_id", "due_date", "due_exchange_id")


class InvalidRows(InvalidField):
    """An outcome and its tasks were refused: every mistake found, by row; nothing saved.

    Itself the first mistake (an `InvalidField`), so a caller that knows only those still
    says something true.
    """

    def __init__(self, outcome: list[InvalidField], rows: dict[int, InvalidField]) -> None:
        first = outcome[0] if outcome else rows[min(rows)]
        field = first.field if outcome else f"tasks[{min(rows)}].{first.field}"
        super().__init__(field, first.code, **first.params)
        self.outcome = outcome
        self.rows = rows


def record_outcome(
    exchange: Exchange,
    actor: Person | None,
    text: str,
    organisation_ids: list[int] | None = None,
    language: str | None = None,
    translations: dict[str, Any] | None = None,
    *,
    tasks: list[dict[str, Any]] | None = None,
) -> Outcome:
    """Write down something agreed at an exchange (in `language`, perhaps also the other),
    and the tasks it gave (all or nothing).

    Each task is created by `tasks.services.create_task`, so the rules are the same as
    anywhere. With `tasks`, every row is checked even after a mistake and `InvalidRows` says
    which rows failed; the caller's `transaction()` then keeps nothing of it.
    """
    require(can_edit(actor))
    if not exchange.is_live:
        raise NotFound(f"exchange {exchange.id} was deleted")
    if tasks is None:
        return _new_outcome(exchange, actor, text, organisation_ids, language, translations)
    if not isinstance(tasks, list) or not all(isinstance(row, dict) for row in tasks):
        raise InvalidField("tasks", "not_a_list_of_tasks")
    problems: list[InvalidField] = []
    outcome = None
    try:
        outcome = _new_outcome(exchange, actor, text, organisation_ids, language, translations)
    except InvalidField as exc:
        problems.append(exc)
    row_problems: dict[int, InvalidField] = {}
    for number, row in enumerate(tasks):
        unknown = sorted(set(row) - set(TASK_ROW_FIELDS))
        try:
            if unknown:
                raise InvalidField(unknown[0], "unknown_field", what="a task")
            create_task(actor, exchange_id=exchange.id,
                        outcome_id=outcome.id if outcome else None, **row)
        except InvalidField as exc:
            row_problems[number] = exc
    if problems or row_problems:
        raise InvalidRows(problems, row_problems)
    assert outcome is not None
    return outcome


def _new_outcome(
    exchange: Exchange, actor: Person | None, text: str, organisation_ids: list[int] | None,
    language: str | None, translations: dict[str, Any] | None,
) -> Outcome:
    text = validation.text("text", text, max_length=max_length(Outcome.text), required=True)
    language = validated_language(language)
    translations = _outcome_translations(translations, language)
    organisations = validation.existing_all("organisation_ids", Organisation, organisation_ids)
    outcome = Outcome(exchange_id=exchange.id, text=text, organisations=organisations,
                      language=language, translations=translations)
    db.session.add(outcome)
    db.session.flush()
    changes: dict[str, tuple] = {"text": (None, text), "exchange_id": (None, exchange.id)}
    if language != "de":
        changes["language"] = (None, language)
    if translations:
        changes["translations"] = (None, translations)
    if organisations:
        changes["organisations"] = (None, _ids(organisations))
    audit.record("create", outcome, actor, changes)
    return outcome


def _outcome_translations(value: Any, language: str) -> dict[str, dict[str, str]]:
    return validated_translations(
        value, language, Outcome.TRANSLATED, {"text": max_length(Outcome.text)}
    )


def update_outcome(
    outcome: Outcome,
    actor: Person | None,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Outcome:
    """Reword an outcome, change its parties, drop it or take it up again."""
    require(can_edit(actor))
    if not outcome.is_live:
        raise NotFound(f"outcome {outcome.id} was deleted")
    check_version(outcome, expected_version)
    unknown = set(changes) - {"text", "organisation_ids", "dropped", "language", "translations"}
    if unknown:
        raise InvalidField(sorted(unknown)[0], "unknown_field", what="an outcome")
    diff: dict[str, tuple] = {}
    if "text" in changes:
        new_text = validation.text(
            "text", changes["text"], max_length=max_length(Outcome.text), required=True
        )
        diff |= audit.apply_changes(outcome, {"text": new_text})
    if "language" in changes or "translations" in changes:
        language = validated_language(changes.get("language", outcome.language))
        translations = _outcome_translations(
            changes.get("translations", outcome.translations), language
        )
        diff |= audit.apply_changes(
            outcome, {"language": language, "translations": translations}
        )
    if "organisation_ids" in changes:
        orgs = validation.existing_all(
            "organisation_ids", Organisation, changes["organisation_ids"]
        )
        if _ids(orgs) != _ids(outcome.organisations):
            diff["organisations"] = (_ids(outcome.organisations), _ids(orgs))
            outcome.organisations = orgs
    if "dropped" in changes:
        if not isinstance(changes["dropped"], bool):
            raise InvalidField("dropped", "not_a_boolean")
        if changes["dropped"] and outcome.status != "dropped":
            diff["status"] = (outcome.status, "dropped")
            outcome.status = "dropped"
        elif not changes["dropped"] and outcome.status == "dropped":
            outcome.status = "agreed"
            refresh_outcome_status(outcome)
            diff["status"] = ("dropped", outcome.status)
    if diff:
        outcome.updated_at = utcnow()
        db.session.flush()
        audit.record("update", outcome, actor, diff)
    return outcome


def delete_outcome(
    outcome: Outcome, actor: Person | None, expected_version: int | None = None
) -> Outcome:
    """An outcome recorded by mistake leaves the page with its tasks, yet stays on record.

    Its live tasks get the outcome's `deleted_at`; `restore_outcome` brings back those.
    """
    require(can_edit(actor))
    if outcome.is_live:
        check_version(outcome, expected_version)
        now = utcnow()
        audit.mark_deleted(outcome, actor, now)
        delete_tasks_along(Task.outcome_id == outcome.id, actor, now)
    return outcome


def restore_outcome(outcome: Outcome, actor: Person | None) -> Outcome:
    """A delete is never final: the outcome comes back with the tasks deleted with it.

    Refused while its exchange is deleted: restoring the exchange brings it back.
    """
    require(can_edit(actor))
    if outcome.is_live:
        return outcome
    if not outcome.exchange.is_live:
        raise InvalidField("exchange_id", "exchange_still_deleted")
    old = outcome.deleted_at
    assert old is not None
    audit.mark_restored(outcome, actor)
    restore_tasks_along(Task.outcome_id == outcome.id, old, actor)
    refresh_outcome_status(outcome)
    return outcome


def web_link(field: str, value: Any, max_len: int) -> str:
    """A link the pages may show: http or https with a host, on one line."""
    value = validation.text(field, value, max_length=max_len, required=True, single_line=True)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
        raise InvalidField(field, "not_a_web_link")
    return value


def add_document(
    exchange: Exchange, actor: Person | None, title: Any, url: Any
) -> ExchangeDocument:
    """Keep a link to one of the exchange's documents (minutes, slides, the agreement)."""
    require(can_edit(actor))
    if not exchange.is_live:
        raise NotFound(f"exchange {exchange.id} was deleted")
    title = validation.text("title", title, max_length=max_length(ExchangeDocument.title),
                            required=True, single_line=True)
    url = web_link("url", url, max_length(ExchangeDocument.url))
    document = ExchangeDocument(exchange_id=exchange.id, title=title, url=url)
    db.session.add(document)
    db.session.flush()
    audit.record("create", document, actor, {"exchange_id": (None, exchange.id),
                                             "title": (None, title), "url": (None, url)})
    return document


def remove_document(document: ExchangeDocument, actor: Person | None) -> None:
    """Forget a document link (the document itself lives elsewhere); audited."""
    require(can_edit(actor))
    audit.record("delete", document, actor, {"title": (document.title, None),
                                             "url": (document.url, None)})
    db.session.delete(document)
    db.session.flush()


def plan_exchange_from_task(task: Task, actor: Person | None, **fields: Any) -> Exchange:
    """Turn "hold the governance workshop" into that workshop, planned and linked to the task."""
    require(can_edit(actor))
    if not task.is_live:
        raise NotFound(f"task {task.id} was deleted")
    if task.plans_exchange_id is not None:
        raise InvalidField("plans_exchange_id", "already_plans")
    fields.setdefault("title", task.title)
    fields.setdefault("status", "planned")
    fields.setdefault("follows_up_id", task.exchange_id)
    if task.organisation_id and "organisation_ids" not in fields:
        fields["organisation_ids"] = [task.organisation_id]
    exchange = create_exchange(actor, **fields)
    task.plans_exchange_id = exchange.id
    task.updated_at = utcnow()
    db.session.flush()
    audit.record("update", task, actor, {"plans_exchange_id": (None, exchange.id)})
    return exchange


def live_exchanges() -> Select:
    """Every list of exchanges starts here, so none shows a deleted one."""
    return select(Exchange).where(Exchange.is_live)

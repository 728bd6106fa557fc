"""The network-sized data sets of the benchmarks (issue 17), at two sizes:

- "10k": 1,000 exchanges, all meetings of 100 series, 10,000 tasks, 200 people (10 users),
  100 organisations;
- "50k": 5,000 exchanges of which 2,000 are meetings of 500 series, 50,000 tasks, 300
  people (50 users), 200 organisations.

Both with a year of history in the audit trail and one active partner link.

Written with bulk inserts (not the services) so that setting up takes seconds; the rows
are what the services would write: every exchange with organisations and participants,
outcomes, tasks spread over owners, partners, due dates and statuses, and for each record
the audit entries its creation, check-off, cancellation or move would have left (the
"changes" as `audit.record` shapes them). Organisation 1 is the home organisation and
takes part in every exchange (as Rostock does); each exchange has two agenda topics. The
partner link is made through the service (`partners.services.create_link`).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from tracker.accounts.services import hash_password
from tracker.core.audit import AuditEntry, jsonable
from tracker.extensions import db
from tracker.models import (
    AgendaTopic,
    Exchange,
    Organisation,
    Outcome,
    Person,
    Series,
    Task,
    exchange_organisations,
    exchange_participants,
)

PASSWORD = "bench-password"
#: Words the minutes and task descriptions are made of, so a search has text to rank: some
#: words are in a quarter of all records, LoRaWAN in few.
WORDS = (
    "Datenplattform Mobilität Beteiligung Workshop Stadtentwicklung Förderung Sensoren "
    "Verkehr Energie Quartier Strategie Kommunikation Bürgerinnen Verwaltung Wärmeplanung "
    "Digitalisierung Netzwerk Hafen Radverkehr Open-Data Governance Klimaschutz Bildung "
    "Tourismus Parken Beleuchtung Breitband Schulen Wasser Abfall"
).split()

#: The counts of each named size (bench.run --size).
SIZES: dict[str, dict[str, int]] = {
    "10k": {"n_exchanges": 1000, "n_tasks": 10_000, "n_meetings": 1000, "n_series": 100,
            "n_people": 200, "n_organisations": 100, "n_users": 10},
    "50k": {"n_exchanges": 5000, "n_tasks": 50_000, "n_meetings": 2000, "n_series": 500,
            "n_people": 300, "n_organisations": 200, "n_users": 50},
}
#: How far back the history goes: tasks were made and checked off over a year.
HISTORY_DAYS = 365
_BATCH = 5000


def _text(rnd: random.Random, words: int) -> str:
    chosen = [rnd.choice(WORDS) for _ in range(words)]
    if rnd.random() < 0.03:
        chosen.insert(rnd.randint(0, len(chosen)), "LoRaWAN")
    return " ".join(chosen)


def _insert(conn: Any, table: Any, rows: list[dict]) -> None:
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(table), rows[start : start + _BATCH])


def _entry(at: datetime, actor: int | None, action: str, entity: str, entity_id: int,
           changes: dict[str, tuple]) -> dict:
    """An audit row as `audit.record` writes it."""
    return {"at": at, "actor_id": actor, "action": action, "entity_type": entity,
            "entity_id": entity_id, "partner_link_id": None,
            "changes": {k: [jsonable(old), jsonable(new)] for k, (old, new) in changes.items()}}


def seed_size(size: str = "10k", seed: int = 7) -> dict:
    """Fill an empty, migrated database with one of SIZES."""
    return seed_large(**SIZES[size], seed=seed)


def seed_large(n_exchanges: int = 1000, n_tasks: int = 10_000, seed: int = 7, *,
               n_meetings: int | None = None, n_series: int | None = None,
               n_people: int | None = None, n_organisations: int | None = None,
               n_users: int | None = None) -> dict:
    """Fill an empty, migrated database; returns the ids a benchmark needs.

    Counts not given are those of the named size with these exchanges and tasks (so
    `seed_large(5000, 50_000)` is the "50k" set), else the "10k" set's people and
    organisations with every exchange a meeting of a series of ten.
    """
    named = next((s for s in SIZES.values()
                  if (s["n_exchanges"], s["n_tasks"]) == (n_exchanges, n_tasks)), None)
    n_meetings = n_meetings if n_meetings is not None else (
        named["n_meetings"] if named else n_exchanges)
    n_series = n_series or (named["n_series"] if named else max(1, n_meetings // 10))
    n_people = n_people or (named["n_people"] if named else 200)
    n_organisations = n_organisations or (named["n_organisations"] if named else 100)
    n_users = n_users or (named["n_users"] if named else 10)
    rnd = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = date.today()
    year_ago = now - timedelta(days=HISTORY_DAYS)
    stamp = {"created_at": year_ago, "updated_at": year_ago, "version": 1}
    conn = db.session.connection()
    audit: list[dict] = []

    conn.execute(insert(Organisation), [
        {"id": i, "name": f"Stadt {i}", "kind": "city", "country": "DE", "active": True,
         "home": i == 1, **stamp}
        for i in range(1, n_organisations + 1)
    ])
    password = hash_password(PASSWORD)
    people = [
        {"id": i, "name": f"Person {i}", "email": f"person{i}@bench.example",
         "organisation_id": rnd.randint(1, n_organisations),
         "role": ("admin" if i == 1 else "editor" if i <= n_users * 2 // 3 else "viewer")
         if i <= n_users else None,
         "password_hash": password if i <= n_users else None, "active": True,
         "session_epoch": 0, "digest": "weekly", "reminder_minutes": 900, **stamp}
        for i in range(1, n_people + 1)
    ]
    conn.execute(insert(Person), people)
    editors = [p["id"] for p in people if p["role"] in ("admin", "editor")]

    conn.execute(insert(Series), [
        {"id": i, "title": f"Reihe {i}", "kind": "werkstatt", "all_day": True,
         "start_date": today - timedelta(days=700), "duration_minutes": 0, "location": "",
         "description": "", **stamp}
        for i in range(1, n_series + 1)
    ])
    taken: set[tuple[int, str]] = set()
    exchanges = []
    for i in range(1, n_exchanges + 1):
        day = today + timedelta(days=rnd.randint(-700, 300))
        row = {"id": i, "title": f"Austausch {i}", "kind": "workshop",
               "status": "held" if day < today else "planned", "location": "Rostock",
               "description": "Protokoll: " + _text(rnd, 60), "all_day": i % 3 == 0,
               "start_date": None, "end_date": None, "starts_at": None, "ends_at": None,
               "series_id": None, "recurrence_id": None, **stamp}
        if row["all_day"]:
            row.update(start_date=day, end_date=day + timedelta(days=1))
        else:
            start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            row.update(starts_at=start, ends_at=start + timedelta(hours=3))
        if i <= n_meetings:
            series_id = (i - 1) % n_series + 1
            recurrence = f"{day:%Y%m%d}" if row["all_day"] else f"{day:%Y%m%d}T090000Z"
            row["series_id"] = series_id
            row["recurrence_id"] = None if (series_id, recurrence) in taken else recurrence
            taken.add((series_id, recurrence))
        exchanges.append(row)
        audit.append(_entry(year_ago, 1, "create", "exchanges", i, {
            k: (None, row[k]) for k in ("title", "kind", "status", "location", "description",
                                        "all_day", "start_date", "end_date", "starts_at",
                                        "ends_at") if row[k]}))
    _insert(conn, Exchange, exchanges)
    _insert(conn, exchange_organisations, [
        {"exchange_id": e, "organisation_id": o}
        for e in range(1, n_exchanges + 1)
        for o in {1, *rnd.sample(range(2, n_organisations + 1), 3)}
    ])
    _insert(conn, AgendaTopic, [
        {"exchange_id": e, "position": n, "text": f"Thema {n}", **stamp}
        for e in range(1, n_exchanges + 1) for n in (1, 2)
    ])
    _insert(conn, exchange_participants, [
        {"exchange_id": e, "person_id": p}
        for e in range(1, n_exchanges + 1) for p in {1, *rnd.sample(range(2, n_people + 1), 3)}
    ])
    outcomes = [
        {"id": i, "exchange_id": (i - 1) // 2 + 1, "text": f"Vereinbarung {i}",
         "status": "agreed", **stamp}
        for i in range(1, 2 * n_exchanges + 1)
    ]
    _insert(conn, Outcome, outcomes)
    audit += [_entry(year_ago, 1, "create", "outcomes", o["id"],
                     {"text": (None, o["text"]), "exchange_id": (None, o["exchange_id"])})
              for o in outcomes]

    tasks = []
    for i in range(1, n_tasks + 1):
        outcome = rnd.randint(1, 2 * n_exchanges)
        status = rnd.choice(["open", "open", "open", "done", "cancelled"])
        created = year_ago + timedelta(seconds=rnd.randint(0, HISTORY_DAYS * 86_400))
        changed = created + (now - created) * rnd.random()
        actor = rnd.choice(editors)
        task = {
            "id": i, "title": f"Folgeaufgabe {i}", "description": _text(rnd, 8),
            "outcome_id": outcome, "exchange_id": (outcome - 1) // 2 + 1,
            "owner_id": 1 if i % 20 == 0 else rnd.randint(1, n_people),
            "organisation_id": rnd.randint(1, n_organisations),
            "due_date": today + timedelta(days=rnd.randint(-200, 200)), "status": status,
            "completed_at": changed if status == "done" else None,
            "completed_by_id": actor if status == "done" else None,
            "created_by_id": actor, "created_at": created,
            "updated_at": created if status == "open" else changed, "version": 1,
        }
        tasks.append(task)
        audit.append(_entry(created, actor, "create", "tasks", i, {
            k: (None, task[k]) for k in ("title", "description", "exchange_id", "outcome_id",
                                         "owner_id", "organisation_id", "due_date")}))
        if status == "done":
            audit.append(_entry(changed, actor, "complete", "tasks", i, {
                "status": ("open", "done"), "completed_at": (None, changed),
                "completed_by_id": (None, actor)}))
        elif status == "cancelled":
            audit.append(_entry(changed, actor, "cancel", "tasks", i,
                                {"status": ("open", "cancelled")}))
    _insert(conn, Task, tasks)
    # The trail in the order it was written, as its ids would have it.
    audit.sort(key=lambda entry: entry["at"])
    _insert(conn, AuditEntry, audit)
    if conn.dialect.name == "postgresql":
        from tracker.transfer.dump import _reset_sequences

        _reset_sequences(conn)

    from tracker.partners.services import create_link, page_url

    partner = 2
    admin = db.session.scalar(select(Person).where(Person.id == 1))
    link = create_link(db.session.get(Organisation, partner), admin)
    partner_url = page_url(link) or ""
    db.session.commit()
    return {"admin_email": "person1@bench.example", "password": PASSWORD,
            "exchanges": n_exchanges, "tasks": n_tasks, "series": n_series,
            "meetings": n_meetings, "people": n_people, "organisations": n_organisations,
            "users": n_users, "audit_entries": len(audit) + 1,
            "partner_organisation": partner,
            "partner_path": "/partner/" + partner_url.rsplit("/partner/", 1)[-1]}

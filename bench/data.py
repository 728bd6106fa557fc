"""A network-sized data set for the benchmarks: 1,000 exchanges in 100 series, 10,000 tasks.

Written with bulk inserts (not the services) so that setting up takes seconds; the rows
are what the services would write: every exchange with organisations and participants,
outcomes, tasks spread over owners, partners, due dates and statuses. Organisation 1 is
the home organisation and takes part in every exchange (as Rostock does); each exchange is
a meeting of one of the series, with two agenda topics.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from tracker.accounts.services import hash_password
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


def _text(rnd: random.Random, words: int) -> str:
    chosen = [rnd.choice(WORDS) for _ in range(words)]
    if rnd.random() < 0.03:
        chosen.insert(rnd.randint(0, len(chosen)), "LoRaWAN")
    return " ".join(chosen)


def seed_large(n_exchanges: int = 1000, n_tasks: int = 10_000, seed: int = 7) -> dict:
    """Fill an empty, migrated database; returns the ids a benchmark needs."""
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    today = date.today()
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    conn = db.session.connection()

    conn.execute(insert(Organisation), [
        {"id": i, "name": f"Stadt {i}", "kind": "city", "country": "DE", "active": True,
         "home": i == 1, **stamp}
        for i in range(1, 101)
    ])
    password = hash_password(PASSWORD)
    people = [
        {"id": i, "name": f"Person {i}", "email": f"person{i}@bench.example",
         "organisation_id": rnd.randint(1, 100), "role": "editor" if i <= 5 else None,
         "password_hash": password if i <= 5 else None, "active": True, "session_epoch": 0,
         "digest": "weekly", "reminder_minutes": 900, **stamp}
        for i in range(1, 201)
    ]
    people[0]["role"] = "admin"
    conn.execute(insert(Person), people)

    n_series = max(1, n_exchanges // 10)
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
               "start_date": None, "end_date": None, "starts_at": None, "ends_at": None, **stamp}
        if row["all_day"]:
            row.update(start_date=day, end_date=day + timedelta(days=1))
        else:
            start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            row.update(starts_at=start, ends_at=start + timedelta(hours=3))
        series_id = (i - 1) % n_series + 1
        recurrence = f"{day:%Y%m%d}" if row["all_day"] else f"{day:%Y%m%d}T090000Z"
        row["series_id"] = series_id
        row["recurrence_id"] = None if (series_id, recurrence) in taken else recurrence
        taken.add((series_id, recurrence))
        exchanges.append(row)
    conn.execute(insert(Exchange), exchanges)
    conn.execute(insert(exchange_organisations), [
        {"exchange_id": e, "organisation_id": o}
        for e in range(1, n_exchanges + 1) for o in {1, *rnd.sample(range(2, 101), 3)}
    ])
    conn.execute(insert(AgendaTopic), [
        {"exchange_id": e, "position": n, "text": f"Thema {n}", **stamp}
        for e in range(1, n_exchanges + 1) for n in (1, 2)
    ])
    conn.execute(insert(exchange_participants), [
        {"exchange_id": e, "person_id": p}
        for e in range(1, n_exchanges + 1) for p in {1, *rnd.sample(range(2, 201), 3)}
    ])
    conn.execute(insert(Outcome), [
        {"id": i, "exchange_id": (i - 1) // 2 + 1, "text": f"Vereinbarung {i}",
         "status": "agreed", **stamp}
        for i in range(1, 2 * n_exchanges + 1)
    ])
    tasks = []
    for i in range(1, n_tasks + 1):
        outcome = rnd.randint(1, 2 * n_exchanges)
        status = rnd.choice(["open", "open", "open", "done", "cancelled"])
        tasks.append({
            "id": i, "title": f"Folgeaufgabe {i}", "description": _text(rnd, 8),
            "outcome_id": outcome,
            "exchange_id": (outcome - 1) // 2 + 1, "owner_id": 1 if i % 20 == 0 else
            rnd.randint(1, 200), "organisation_id": rnd.randint(1, 100),
            "due_date": today + timedelta(days=rnd.randint(-200, 200)), "status": status,
            "completed_at": now if status == "done" else None, **stamp,
        })
    for start in range(0, len(tasks), 2000):
        conn.execute(insert(Task), tasks[start : start + 2000])
    if conn.dialect.name == "postgresql":
        from tracker.transfer.dump import _reset_sequences

        _reset_sequences(conn)
    db.session.commit()
    return {"admin_email": "person1@bench.example", "password": PASSWORD,
            "exchanges": n_exchanges, "tasks": n_tasks, "series": n_series}

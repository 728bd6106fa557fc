"""How fast a calendar feed is served, beside icalendar's own build-and-serialise time.

    python bench/feed_bench.py [--tasks 1000,10000] [--exchanges 1000] [--runs 5]

For each size it fills a fresh SQLite database (tasks: 90 % all-day, 10 % timed; each
exchange timed, with one outcome), then measures, through the Flask test client and the
real feed URL of a team feed (all exchanges and open tasks):

- baseline: icalendar builds and serialises the same items from scratch (no kept items);
- cold: the very first fetch (builds every item once and keeps it);
- restart: a new app (empty process caches) fetching with the kept items in the database;
- unchanged: a fetch without validators (200, assembled from kept items);
- 304: a conditional GET whose If-None-Match matches;
- one changed: the fetch after one task changed (only that item is built again);
- memory: tracemalloc peak of an unchanged fetch and of one after a change, against the
  feed's size.

Medians of --runs runs; ratios are to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_babel import force_locale  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402
from sqlalchemy.orm import joinedload, selectinload  # noqa: E402

import tracker  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.calendar import items  # noqa: E402
from tracker.calendar.context import FeedContext, feed_context  # noqa: E402
from tracker.calendar.models import FeedToken  # noqa: E402
from tracker.calendar.selection import Selection, selection_for  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Exchange, Outcome, Person, Task  # noqa: E402


def make_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TRACKER_BASE_URL": "https://tracker.bench",
        }
    )


def fill(n_tasks: int, n_exchanges: int) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    people = [
        {"id": i, "name": f"Person {i}", "email": f"p{i}@bench.example", "role": "editor",
         "password_hash": "x", "active": True, "session_epoch": 0, "digest": "weekly",
         "reminder_minutes": 900, **stamp}
        for i in range(1, 21)
    ]
    db.session.execute(insert(Person), people)
    exchanges, outcomes = [], []
    for i in range(1, n_exchanges + 1):
        start = datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=i % 365, hours=i % 5)
        exchanges.append(
            {"id": i, "title": f"Austausch {i}: Rostock, Kiel; Lübeck", "kind": "workshop",
             "status": "planned", "all_day": False, "starts_at": start,
             "ends_at": start + timedelta(hours=2), "location": "Rathaus, Raum 1",
             "description": "Protokoll folgt.\nZweite Zeile.", **stamp}
        )
        outcomes.append({"exchange_id": i, "text": f"Ergebnis {i}", "status": "agreed", **stamp})
    db.session.execute(insert(Exchange), exchanges)
    db.session.execute(insert(Outcome), outcomes)
    tasks = []
    for i in range(1, n_tasks + 1):
        due = date(2026, 1, 1) + timedelta(days=i % 400)
        timed = i % 10 == 0
        tasks.append(
            {"id": i, "title": f"Folgeaufgabe {i}: Bericht senden, prüfen; ablegen",
             "description": "Details zur Aufgabe.\nMit Umlauten: äöü.", "owner_id": 1 + i % 20,
             "exchange_id": 1 + i % n_exchanges, "due_date": due,
             "due_time": datetime(2026, 1, 1, 14, 30).time() if timed else None,
             "status": "open", **stamp}
        )
    db.session.execute(insert(Task), tasks)
    db.session.commit()


def build_without_cache(selection: Selection, ctx: FeedContext) -> bytes:
    """The whole feed as one icalendar Calendar, built from scratch (the baseline)."""
    with force_locale(ctx.locale):
        components = []
        if selection.exchanges is not None:
            exchanges = list(
                db.session.scalars(
                    select(Exchange)
                    .options(selectinload(Exchange.outcomes))
                    .where(*selection.exchanges)
                )
            )
            stamps = items.outcome_stamps([e.id for e in exchanges])
            components += [
                items.exchange_component(e, ctx, stamps.get(e.id, (0, None))) for e in exchanges
            ]
        if selection.tasks is not None:
            tasks = db.session.scalars(
                select(Task).options(joinedload(Task.owner)).where(*selection.tasks)
            )
            components += [items.task_component(t, t.owner, ctx) for t in tasks]
        return items.calendar(ctx, components).to_ical()


def timed(fn, runs: int, collect: bool = True) -> tuple[float, object]:
    results, value = [], None
    for _ in range(runs):
        if collect:
            gc.collect()
        start = time.perf_counter()
        value = fn()
        results.append(time.perf_counter() - start)
    return statistics.median(results), value


def bench(n_tasks: int, n_exchanges: int, runs: int) -> dict:
    workdir = tempfile.mkdtemp(prefix="feedbench-")
    url = f"sqlite:///{os.path.join(workdir, 'bench.sqlite3')}"
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(Path(tracker.__file__).parent / "migrations"))
        fill(n_tasks, n_exchanges)
        token = FeedToken.issue("bench", person_id=1, kind="team")
        db.session.add(token)
        db.session.commit()
        raw = token.token("bench")
    path = f"/calendar/{raw}.ics"
    out: dict = {"tasks": n_tasks, "exchanges": n_exchanges}

    # Baseline: icalendar's own build and serialise of the same items, nothing kept.
    with app.test_request_context("/"):
        tok = db.session.scalar(select(FeedToken))
        ctx = feed_context(tok)
        selection = selection_for(tok, ctx)
        out["baseline"], body = timed(
            lambda: build_without_cache(selection, ctx), max(1, runs // 2)
        )
        out["items"] = body.count(b"\r\nBEGIN:VEVENT\r\n")
        db.session.remove()

    client = app.test_client()
    start = time.perf_counter()
    first = client.get(path)
    out["cold"] = time.perf_counter() - start
    assert first.status_code == 200, first.status_code
    out["size"] = len(first.data)
    etag = first.headers["ETag"]

    # A restart: a new app and process caches emptied; the kept items are in the database.
    def restarted():
        items._vtimezone.cache_clear()
        fresh = make_app(url)
        response = fresh.test_client().get(path)
        assert response.status_code == 200
        return response

    restart_times = []
    for _ in range(max(1, runs // 2)):
        items._vtimezone.cache_clear()
        fresh = make_app(url)
        fresh_client = fresh.test_client()
        gc.collect()
        start = time.perf_counter()
        assert fresh_client.get(path).status_code == 200
        restart_times.append(time.perf_counter() - start)
    out["restart"] = statistics.median(restart_times)

    out["unchanged"], response = timed(lambda: client.get(path), runs)
    assert response.status_code == 200 and response.data == first.data

    out["304"], response = timed(
        lambda: client.get(path, headers={"If-None-Match": etag}), runs * 10, collect=False
    )
    assert response.status_code == 304

    changed_times = []
    for i in range(runs):
        with app.app_context():
            db.session.execute(
                update(Task).where(Task.id == 1 + i).values(
                    title=f"Geändert {i}", version=Task.version + 1,
                    updated_at=datetime.now(UTC))
            )
            db.session.commit()
        gc.collect()
        start = time.perf_counter()
        response = client.get(path, headers={"If-None-Match": etag})
        changed_times.append(time.perf_counter() - start)
        assert response.status_code == 200
        assert f"Geändert {i}".encode() in response.data
        etag = response.headers["ETag"]
    out["one_changed"] = statistics.median(changed_times)

    gc.collect()
    tracemalloc.start()
    response = client.get(path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["peak_memory"] = peak

    with app.app_context():
        db.session.execute(
            update(Task).where(Task.id == n_tasks).values(
                title="Noch einmal geändert", version=Task.version + 1,
                updated_at=datetime.now(UTC))
        )
        db.session.commit()
    gc.collect()
    tracemalloc.start()
    response = client.get(path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 200
    out["peak_memory_changed"] = peak
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="1000,10000")
    parser.add_argument("--exchanges", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = [bench(int(n), args.exchanges, args.runs) for n in args.tasks.split(",")]
    print()
    print("| tasks | exchanges | items | feed size | icalendar build | cold (first ever) "
          "| after restart | unchanged 200 | 304 | one task changed | peak memory unchanged "
          "| peak memory one changed |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        base = r["baseline"]

        def cell(key, r=r, base=base):
            return f"{r[key] * 1000:.1f} ms ({r[key] / base:.1%})"

        print(
            f"| {r['tasks']:,} | {r['exchanges']:,} | {r['items']:,} "
            f"| {r['size'] / 2**20:.2f} MiB | {base * 1000:.0f} ms | {cell('cold')} "
            f"| {cell('restart')} | {cell('unchanged')} | {cell('304')} | {cell('one_changed')} "
            f"| {r['peak_memory'] / 2**20:.1f} MiB ({r['peak_memory'] / r['size']:.1f}× feed) "
            f"| {r['peak_memory_changed'] / 2**20:.1f} MiB "
            f"({r['peak_memory_changed'] / r['size']:.1f}× feed) |"
        )


if __name__ == "__main__":
    main()

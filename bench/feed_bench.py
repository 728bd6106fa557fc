"""How fast a calendar feed is served, beside icalendar's own build-and-serialise time.

    python bench/feed_bench.py [--tasks 10000,50000] [--exchanges 1000] [--runs 5]
                               [--database-url postgresql+psycopg://…]

For each size it fills a fresh database with bulk inserts (tasks: 90 % all-day, 10 % timed;
each exchange timed, with one outcome; SQLite in a temporary file unless --database-url
names a PostgreSQL database, whose public schema is dropped), then measures, through the
Flask test client and the real feed URL of a team feed (all exchanges and open tasks):

- baseline: icalendar builds and serialises the same items from scratch (no kept items);
- warm: `flask calendar warm` after the bulk load (tracker.calendar.warm.warm_all), and
  the first fetch after it, by a new app (empty process caches);
- after import: `flask export`, a fresh database, `flask import` (which ends by warming),
  then the first fetch by a new app; the import and its warm are timed apart;
- after restore: a copy of the database (SQLite's backup API, or pg_dump and pg_restore),
  `flask calendar warm` as the README's restore steps say, then the first fetch;
- unchanged: a fetch without validators (200, the kept feed);
- 304: a conditional GET whose If-None-Match matches;
- one changed: a task changed through the service (which builds its item on write, timed
  apart), then the fetch with the old ETag (assembled from kept items, nothing built);
- memory: tracemalloc peak of an unchanged fetch and of one after a change, against the
  feed's size.

Medians of --runs runs where a figure can be repeated (unchanged, 304, one changed); the
first fetches happen once per size. Ratios are to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_babel import force_locale  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.orm import joinedload, selectinload  # noqa: E402

from bench.run import fresh_database  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.calendar import items  # noqa: E402
from tracker.calendar.context import FeedContext, feed_context  # noqa: E402
from tracker.calendar.models import FeedToken  # noqa: E402
from tracker.calendar.selection import Selection, selection_for  # noqa: E402
from tracker.calendar.warm import warm_all  # noqa: E402
from tracker.core.database import transaction  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Exchange, Outcome, Person, Task  # noqa: E402
from tracker.tasks.services import update_task  # noqa: E402
from tracker.transfer.dump import _reset_sequences, export_database, import_database  # noqa: E402


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


def once(fn) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


class Database:
    """The bench's database: a temporary SQLite file, or a PostgreSQL database emptied."""

    def __init__(self, url: str | None, workdir: str) -> None:
        self.workdir = workdir
        self.url = url or f"sqlite:///{os.path.join(workdir, 'bench.sqlite3')}"
        self.postgres = self.url.startswith("postgresql")

    def fresh(self) -> None:
        """An empty, migrated database at `self.url`."""
        fresh_database(self.url)

    def analyze(self) -> None:
        """Fresh statistics after a bulk load, as autovacuum gathers them soon after."""
        if self.postgres:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))

    def backup(self) -> Path:
        """A copy of the whole database (feed items and all), as the README's backups."""
        target = Path(self.workdir) / "backup"
        if self.postgres:
            libpq = self.url.replace("+psycopg", "")
            subprocess.run(["pg_dump", "-Fc", "-f", str(target), libpq], check=True)
        else:
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as source, \
                    sqlite3.connect(target) as copy:
                source.backup(copy)
        return target

    def restore(self, backup: Path) -> None:
        if self.postgres:
            app = make_app(self.url)
            with app.app_context():
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                db.engine.dispose()
            libpq = self.url.replace("+psycopg", "")
            subprocess.run(["pg_restore", "--no-owner", "-d", libpq, str(backup)], check=True)
        else:
            path = Path(self.url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copy(backup, path)


def first_fetch(url: str, path: str) -> tuple[float, bytes]:
    """The first fetch by a new app (process caches emptied), as after a restart."""
    items._vtimezone.cache_clear()
    client = make_app(url).test_client()
    seconds, response = once(lambda: client.get(path))
    assert response.status_code == 200, response.status_code
    return seconds, response.data


def peak_memory(fetch) -> int:
    gc.collect()
    tracemalloc.start()
    response = fetch()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 200
    return peak


def bench(n_tasks: int, n_exchanges: int, runs: int, database_url: str | None = None) -> dict:
    workdir = tempfile.mkdtemp(prefix="feedbench-")
    database = Database(database_url, workdir)
    database.fresh()
    url = database.url
    app = make_app(url)
    out: dict = {"tasks": n_tasks, "exchanges": n_exchanges}
    with app.app_context():
        token = FeedToken.issue("bench", person_id=1, kind="team")
        out["bulk_load"], _ = once(lambda: fill(n_tasks, n_exchanges))
        if database.postgres:
            _reset_sequences(db.session.connection())
        db.session.add(token)
        db.session.commit()
        database.analyze()
        raw = token.token("bench")
    path = f"/calendar/{raw}.ics"

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

    # After the bulk load: `flask calendar warm`, then the first fetch.
    with app.app_context():
        out["warm"], (_feeds, out["warm_built"]) = once(warm_all)
    out["after_warm"], first = first_fetch(url, path)
    out["size"] = len(first)

    client = app.test_client()
    etag = client.get(path).headers["ETag"]
    out["unchanged"], response = timed(lambda: client.get(path), runs)
    assert response.status_code == 200 and response.data == first

    out["304"], response = timed(
        lambda: client.get(path, headers={"If-None-Match": etag}), runs * 10, collect=False
    )
    assert response.status_code == 304

    changed_times, write_times = [], []
    for i in range(runs):
        with app.app_context():
            task = db.session.get(Task, 1 + i)
            gc.collect()
            start = time.perf_counter()
            with transaction():  # the service, as a page or the API writes: builds on write
                update_task(task, None, {"title": f"Geändert {i}"}, task.version)
            write_times.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        response = client.get(path, headers={"If-None-Match": etag})
        changed_times.append(time.perf_counter() - start)
        assert response.status_code == 200
        assert f"Geändert {i}".encode() in response.data
        etag = response.headers["ETag"]
    out["one_changed"] = statistics.median(changed_times)
    out["one_write"] = statistics.median(write_times)

    out["peak_memory"] = peak_memory(lambda: client.get(path))
    with app.app_context():
        task = db.session.get(Task, n_tasks)
        with transaction():
            update_task(task, None, {"title": "Noch einmal geändert"}, task.version)
    out["peak_memory_changed"] = peak_memory(lambda: client.get(path))
    with app.app_context():
        db.engine.dispose()

    # An export, a fresh database and `flask import` (which ends by warming).
    export_file = Path(workdir) / "export.json"
    backup = database.backup()
    with app.app_context():
        out["export"], _ = once(lambda: export_database(export_file))
        db.engine.dispose()
    database.fresh()
    app = make_app(url)
    with app.app_context():
        out["import"], _ = once(lambda: import_database(export_file))
        database.analyze()
        out["import_warm"], (_feeds, out["import_built"]) = once(warm_all)
        db.engine.dispose()
    out["after_import"], imported = first_fetch(url, path)
    assert imported.count(b"BEGIN:VEVENT") == out["items"]

    # A restore of the database copy, then `flask calendar warm` as the README says.
    out["restore"], _ = once(lambda: database.restore(backup))
    app = make_app(url)
    with app.app_context():
        out["restore_warm"], (_feeds, out["restore_built"]) = once(warm_all)
        db.engine.dispose()
    out["after_restore"], restored = first_fetch(url, path)
    assert restored.count(b"BEGIN:VEVENT") == out["items"]
    shutil.rmtree(workdir, ignore_errors=True)
    return out


def table(rows: list[dict]) -> str:
    """The figures as two Markdown tables: fetches (ratios to icalendar), then commands."""
    lines = [
        "| tasks | items | feed size | icalendar build | first fetch after bulk load + warm "
        "| after import | after restore + warm | unchanged 200 | 304 | one task changed "
        "| peak memory unchanged | peak memory one changed |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = r["baseline"]

        def cell(key, r=r, base=base):
            return f"{r[key] * 1000:.1f} ms ({r[key] / base:.2%})"

        def memory(key, r=r):
            return f"{r[key] / 2**20:.1f} MiB ({r[key] / r['size']:.1f}× feed)"

        lines.append(
            f"| {r['tasks']:,} | {r['items']:,} | {r['size'] / 2**20:.2f} MiB "
            f"| {base * 1000:,.0f} ms | {cell('after_warm')} | {cell('after_import')} "
            f"| {cell('after_restore')} | {cell('unchanged')} | {cell('304')} "
            f"| {cell('one_changed')} | {memory('peak_memory')} "
            f"| {memory('peak_memory_changed')} |"
        )
    lines += [
        "",
        "| tasks | bulk load | `calendar warm` (items built) | export | import "
        "| import's warm (items built) | restore | `calendar warm` after restore (items built) "
        "| one task written (its items built) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['tasks']:,} | {r['bulk_load']:.1f} s | {r['warm']:.1f} s ({r['warm_built']:,}) "
            f"| {r['export']:.1f} s | {r['import']:.1f} s "
            f"| {r['import_warm']:.1f} s ({r['import_built']:,}) | {r['restore']:.1f} s "
            f"| {r['restore_warm']:.2f} s ({r['restore_built']:,}) "
            f"| {r['one_write'] * 1000:.1f} ms |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="10000,50000")
    parser.add_argument("--exchanges", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database to use (its public schema is dropped)")
    args = parser.parse_args()
    rows = []
    for n in args.tasks.split(","):
        rows.append(bench(int(n), args.exchanges, args.runs, args.database_url))
        print(f"{int(n):,} tasks done", file=sys.stderr)
    print()
    print(table(rows))


if __name__ == "__main__":
    main()

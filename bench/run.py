"""Benchmark the tracker's pages at the size of a large network (bench/data.py's sets).

    .venv/bin/python -m bench.run                       # 10,000 tasks, SQLite in a temp folder
    .venv/bin/python -m bench.run --size 50k --runs 5   # 50,000 tasks
    .venv/bin/python -m bench.run --size 50k --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Each figure is the median of --runs requests (after one warm-up) through the WSGI app in
process, so it measures the app and the database, not a network. SQL statements per
request are counted too: they must not grow with the data. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import event, select, text

from bench.data import SIZES, seed_size
from tracker import create_app
from tracker.extensions import db

#: The signing key of every benchmark app (feed tokens are derived from it).
SECRET_KEY = "bench"


def bench_app(url: str):
    """The app as every benchmark runs it: signing key 'bench', no CSRF, no throttling."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET_KEY,
        "WTF_CSRF_ENABLED": False,
        "TRACKER_BASE_URL": "https://tracker.bench",
        "RATELIMIT_ENABLED": False,
    })


def fresh_database(url: str) -> None:
    """An empty, migrated database at `url` (SQLite: the file goes first; PostgreSQL: its
    public schema is dropped and made again)."""
    from flask_migrate import upgrade

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = bench_app(url)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


def prepare(url: str, size: str = "10k") -> dict:
    """A fresh database (`fresh_database`) seeded with the data set of `size`."""
    fresh_database(url)
    app = bench_app(url)
    with app.app_context():
        info = seed_size(size)
        if url.startswith("postgresql"):
            # Fresh statistics and visibility map, as autovacuum makes them soon after a
            # bulk load (index-only scans need the latter).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    return info


class Counter:
    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.n += 1


#: A request to time, or (a step not timed, the request): a write the request must see.
Call = Callable[[], object] | tuple[Callable[[], object], Callable[[], object]]


def measure(name: str, call: Call, counter: Counter, runs: int) -> dict:
    """Median time, CPU time and SQL statements of a scenario's request."""
    before, call = call if isinstance(call, tuple) else (None, call)
    if before:
        before()
    response = call()
    status = getattr(response, "status_code", None)
    times, cpu, queries = [], [], []
    for _ in range(runs):
        if before:
            before()
        counter.n = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        queries.append(counter.n)
    return {"name": name, "status": status, "median_ms": statistics.median(times),
            "cpu_ms": statistics.median(cpu), "queries": statistics.median(queries)}


def scenarios(app, client, info: dict) -> list[tuple[str, Call]]:
    from tracker.accounts.services import issue_api_token
    from tracker.models import Task

    with app.app_context():
        admin = bench_admin(info)
        _, api_token = issue_api_token(admin, "bench")
        task_id = db.session.scalar(
            select(Task.id).where(Task.owner_id == admin.id, Task.status == "open")
        )
        feed_url = feed_path(admin)
        meeting = next_meeting()
        db.session.commit()
    client.post("/login", data={"email": info["admin_email"], "password": info["password"]})
    bearer = {"Authorization": f"Bearer {api_token}"}
    partner = app.test_client()  # the partner is not signed in: the link is its key

    def check_off_and_back():
        client.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer)
        return client.post(f"/api/v1/tasks/{task_id}/reopen", headers=bearer)

    found = [
        ("home /", lambda: client.get("/")),
        # Home keeps what it showed until something changes: the view after a write.
        ("home / after a change", (check_off_and_back, lambda: client.get("/"))),
        ("task list /tasks", lambda: client.get("/tasks")),
        ("task list, filtered", lambda: client.get("/tasks?status=open&overdue=true")),
        ("task list, searched", lambda: client.get("/tasks?q=LoRaWAN")),
        ("task list, searched (common word)", lambda: client.get("/tasks?q=Energie")),
        ("review /review", lambda: client.get("/review")),
        ("review by owner", lambda: client.get("/review?by=owner")),
        ("review by partner", lambda: client.get("/review?by=organisation")),
        ("review by name", lambda: client.get("/review?order=name")),
        ("exchange page", lambda: client.get(f"/exchanges/{info['exchanges'] // 2}")),
        ("exchanges list", lambda: client.get("/exchanges")),
        ("next meeting's page (carried over)", lambda: client.get(f"/exchanges/{meeting}")),
        ("agenda page", lambda: client.get(f"/exchanges/{meeting}/agenda")),
        ("organisation's page",
         lambda: client.get(f"/organisations/{info['partner_organisation']}")),
        ("partner-link page", lambda: partner.get(info["partner_path"])),
        ("API agenda", lambda: client.get(f"/api/v1/exchanges/{meeting}/agenda",
                                          headers=bearer)),
        ("API task list", lambda: client.get("/api/v1/tasks?limit=50", headers=bearer)),
        ("search, a rare word", lambda: client.get("/search?q=LoRaWAN")),
        ("search, a common word", lambda: client.get("/search?q=Datenplattform")),
        ("search, two words", lambda: client.get("/search?q=hafen+energie")),
        ("API search", lambda: client.get("/api/v1/search?q=Strategie", headers=bearer)),
        ("API check-off + reopen", check_off_and_back),
    ]
    if feed_url:
        client.get(feed_url)  # the first fetch builds and keeps the feed
        etag = client.get(feed_url).headers.get("ETag")
        # Measured first: the check-off below changes the feed (and its ETag).
        found[:0] = [
            ("personal feed (304)",
             lambda: client.get(feed_url, headers={"If-None-Match": etag})),
            ("personal feed (200)", lambda: client.get(feed_url)),
        ]
    return found


def next_meeting() -> int:
    """The next upcoming meeting of a series (in an app context): what an agenda is for."""
    from datetime import date

    from tracker.models import Exchange

    return db.session.scalar(
        select(Exchange.id).where(Exchange.series_id.is_not(None),
                                  Exchange.start_date >= date.today())
        .order_by(Exchange.start_date, Exchange.id).limit(1)
    ) or 1


def bench_admin(info: dict):
    """The seeded admin (in an app context)."""
    from tracker.accounts.models import Person

    return db.session.scalar(select(Person).where(Person.email == info["admin_email"]))


def feed_path(person) -> str:
    """The path of the person's standing personal feed (made if missing; caller commits)."""
    from tracker.calendar.services import feed_url, standing_feed

    url = feed_url(standing_feed(person, "personal"))
    return urlsplit(url).path if url else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", choices=sorted(SIZES), default="10k")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        start = time.perf_counter()
        info = prepare(url, args.size)
        seeded = time.perf_counter() - start
        app = bench_app(url)
        with app.app_context():
            counter = Counter(db.engine)
        client = app.test_client()
        rows = [measure(name, call, counter, args.runs)
                for name, call in scenarios(app, client, info)]
    print(f"\n{info['tasks']:,} tasks, {info['exchanges']:,} exchanges ({info['meetings']:,} "
          f"meetings of {info['series']} series), {info['people']} people ({info['users']} "
          f"users), {info['organisations']} organisations, {info['audit_entries']:,} audit "
          f"entries; {url.split(':')[0]}; seeded in {seeded:.0f} s; median of {args.runs} "
          "runs\n")
    # CPU ms: this process's own time (the app, and SQLite, which runs in it; not
    # PostgreSQL's server): a figure that other load on the machine disturbs less.
    print("| request | status | median ms | CPU ms | SQL queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['name']} | {r['status']} | {r['median_ms']:.1f} | {r['cpu_ms']:.1f} "
              f"| {r['queries']:.0f} |")


if __name__ == "__main__":
    main()

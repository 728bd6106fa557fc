"""How long keeping the meetings of 100 series ahead of time takes.

    python bench/series_bench.py [--series 100] [--runs 5]

A fresh SQLite database with `--series` series with a rule (quarterly, monthly and weekly
ones, each with three partners and three participants) and no meetings yet; then:

- first: `keep_all_ahead` makes every coming meeting (twelve months, at least two);
- daily: the next day's check, with every meeting there (what a day's first request does);
- later: a check 100 days on, when each series has new meetings to make.

Seconds, median of --runs runs (each on a fresh database); the issue asks under one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.core.database import transaction  # noqa: E402
from tracker.core.timeutil import from_local  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import (  # noqa: E402
    Organisation,
    Person,
    Series,
    series_organisations,
    series_participants,
)
from tracker.series.services import keep_all_ahead  # noqa: E402

RULES = ("FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE", "FREQ=MONTHLY;BYDAY=2TU", "FREQ=WEEKLY;BYDAY=TH")


def _first(rule: str, today: date) -> date:
    """A start the rule produces, a little before today."""
    day = date(today.year - 1, today.month, 1)
    weekday = {"WE": 2, "TU": 1, "TH": 3}[rule[-2:]]
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return day + timedelta(days=7) if "2TU" in rule else day


def seed(n_series: int, today: date) -> None:
    now = datetime.now(UTC)
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    db.session.execute(insert(Organisation), [
        {"name": f"Stadt {i}", "short_name": "", "kind": "city", "country": "DE", **stamp}
        for i in range(1, 11)])
    db.session.execute(insert(Person), [
        {"name": f"Person {i}", "email": f"p{i}@bench.example", **stamp} for i in range(1, 11)])
    rows = []
    for i in range(1, n_series + 1):
        rule = RULES[i % len(RULES)]
        rows.append({"id": i, "title": f"Reihe {i}", "kind": "werkstatt", "rrule": rule,
                     "all_day": False, "starts_at": from_local(_first(rule, today), wall(14)),
                     "duration_minutes": 120, "location": "Rathaus", "description": "",
                     **stamp})
    db.session.execute(insert(Series), rows)
    db.session.execute(insert(series_organisations), [
        {"series_id": i, "organisation_id": (i + k) % 10 + 1}
        for i in range(1, n_series + 1) for k in range(3)])
    db.session.execute(insert(series_participants), [
        {"series_id": i, "person_id": (i + k) % 10 + 1}
        for i in range(1, n_series + 1) for k in range(3)])
    db.session.commit()


def _timed(call) -> tuple[float, int]:
    started = time.perf_counter()
    with transaction():
        made = call()
    return time.perf_counter() - started, made


def bench(n_series: int = 100, runs: int = 3) -> dict:
    figures: dict[str, list[float]] = {"first": [], "daily": [], "later": []}
    made: dict[str, int] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                              "SECRET_KEY": "bench"})
            with app.app_context():
                upgrade()
                today = date.today()
                seed(n_series, today)
                for name, day in (("first", today), ("daily", today + timedelta(days=1)),
                                  ("later", today + timedelta(days=100))):
                    seconds, made[name] = _timed(lambda d=day: keep_all_ahead(d))
                    figures[name].append(seconds)
                db.session.remove()
                db.engine.dispose()
    return {**{k: statistics.median(v) for k, v in figures.items()},
            **{f"made_{k}": v for k, v in made.items()}, "series": n_series}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = bench(args.series, args.runs)
    print(f"{result['series']} series with a rule (SQLite), median of {args.runs} runs:")
    for name in ("first", "daily", "later"):
        print(f"  {name:6} {result[name]:.3f} s  ({result['made_' + name]} meetings made)")


if __name__ == "__main__":
    main()

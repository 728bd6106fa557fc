"""bench/run.py keeps measuring what it says (here at 20 exchanges and 200 tasks)."""

from __future__ import annotations

from bench.data import seed_large
from bench.run import Counter, bench_app, measure, scenarios
from tracker.extensions import db


def test_every_bench_request_answers_as_it_should(app, database_url):
    bench = bench_app(database_url)
    with bench.app_context():
        info = seed_large(n_exchanges=20, n_tasks=200)
        counter = Counter(db.engine)
    rows = [measure(name, call, counter, runs=1)
            for name, call in scenarios(bench, bench.test_client(), info)]
    with bench.app_context():
        db.engine.dispose()
    statuses = {row["name"]: row["status"] for row in rows}
    assert statuses.pop("personal feed (304)") == 304
    assert set(statuses.values()) == {200}, statuses
    assert len(statuses) == 24 and all(row["queries"] > 0 for row in rows)
    # The view right after a write counts and renders afresh; the kept one does not.
    queries = {row["name"]: row["queries"] for row in rows}
    assert queries["home / after a change"] > queries["home /"]

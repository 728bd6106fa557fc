"""bench/throughput.py: wrk's output is read right, and a short run against gunicorn works."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.data import seed_large
from bench.run import bench_admin, feed_path
from bench.server import Server
from bench.throughput import (
    WRK,
    CpuMeter,
    _ms,
    cpu_seconds,
    database_pids,
    measure,
    parse_wrk,
    scenarios,
    table,
)
from tracker.extensions import db

SAMPLES = Path(__file__).parent / "fixtures" / "wrk"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_wrk_output_with_the_status_script():
    result = parse_wrk(sample("feed_304.txt"))
    assert (result.requests, result.requests_per_s) == (402, 196.36)
    assert (result.p50_ms, result.p99_ms) == (37.59, 76.80)
    assert result.statuses == {304: 402}
    assert result.non_2xx_3xx == 0 and result.socket_errors == {}
    assert result.errors(304) == 0


def test_a_redirect_where_a_page_was_expected_is_an_error():
    # A lost session answers 302 (to /login); wrk itself counts that as a success.
    result = parse_wrk(sample("lost_session_302.txt"))
    assert result.statuses == {302: 1140} and result.non_2xx_3xx == 0
    assert result.errors(200) == 1140
    assert result.errors() == 0  # without an expected status, only wrk's own count


def test_non_2xx_answers_and_socket_errors_are_counted():
    not_found = parse_wrk(sample("not_found_404.txt"))
    assert not_found.non_2xx_3xx == 1463 and not_found.requests == 1463
    assert not_found.errors(200) == 1463  # no status script: wrk's own count
    timeouts = parse_wrk(sample("timeouts.txt"))
    assert timeouts.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 28}
    assert (timeouts.p50_ms, timeouts.p99_ms, timeouts.requests) == (755.18, 926.15, 33)
    assert timeouts.errors(200) == 28


def test_cpu_time_is_read_from_proc_and_shown_per_request():
    import os

    spent = cpu_seconds([os.getpid()])
    sum(i * i for i in range(300_000))  # some CPU
    assert cpu_seconds([os.getpid()]) >= spent > 0
    assert cpu_seconds([2**22 + 12345]) == 0  # a process that is gone counts nothing
    assert database_pids("no_such_database_here") == []
    row = {"name": "home", "requests": 10, "rps": 5.0, "p50": 1.0, "p99": 2.0, "errors": 0,
           "worker_cpu_ms": 7.46, "db_cpu_ms": None}
    assert table([row]).splitlines()[-1] == "| home | 10 | 5 | 1.0 | 2.0 | 0 | 7.5 | – |"


def test_wrk_times_in_every_unit():
    assert [_ms(t) for t in ("812.00us", "4.90ms", "1.20s", "1.00m")] == [
        pytest.approx(0.812), 4.9, 1200.0, 60_000.0]
    with pytest.raises(ValueError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


@pytest.mark.slow
@pytest.mark.skipif(not Path(WRK).exists(), reason=f"wrk is not installed ({WRK})")
def test_one_second_of_wrk_against_two_gunicorn_workers(ctx, database_url):
    info = seed_large(n_exchanges=20, n_tasks=200)
    feed = feed_path(bench_admin(info))
    db.session.commit()
    db.session.remove()
    server = Server(database_url, workers=2, secret_key=ctx.config["SECRET_KEY"])
    try:
        rows = measure(server.url, scenarios(server.url, info, feed), duration=1, runs=1,
                       warmup=0, cpu=CpuMeter(server.worker_pids))
    finally:
        log = server.stop()
    assert [r["name"] for r in rows] == ["personal feed, If-None-Match (304)",
                                         "home page / signed in (200)"]
    for row in rows:
        assert row["requests"] > 0 and row["rps"] > 0 and row["errors"] == 0, row
        assert 0 < row["p50"] <= row["p99"], row
        assert row["worker_cpu_ms"] > 0 and row["db_cpu_ms"] is None, row
    assert "Traceback" not in log, log
    assert table(rows).count("\n") == 3

"""bench/commands.py keeps measuring what it says (here at 20 exchanges and 200 tasks, on
SQLite files of its own: it drops and remakes its databases)."""

from __future__ import annotations

import re

import pytest

from bench.commands import COMMANDS, measure, table


@pytest.mark.slow
def test_every_long_command_runs_and_is_measured(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    results = measure(url, tmp_path, runs=1, n_exchanges=20, n_tasks=200, digest_users=10)
    assert [r.name for r in results] == list(COMMANDS)
    for result in results:
        assert len(result.seconds) == 1 and result.seconds[0] > 0
        assert 20 < result.peak_mib[0] < 500 and result.cpu[0] > 0
    by_name = {r.name: r.output for r in results}
    assert by_name["export"].startswith("Exported") and by_name["import"].startswith("Imported")
    assert by_name["demo"].startswith("Loaded")
    sent = re.search(r"Sent (\d+) mail.*\(server received (\d+)\)", by_name["digests"])
    assert sent and int(sent[1]) == int(sent[2]) > 0, by_name["digests"]
    assert table(results).count("\n") == len(COMMANDS) + 1

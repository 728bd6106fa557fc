"""Backups an operator can trust: an export replaces the old file only when it is complete,
the secret key is written whole and once, and an import takes in only what the app itself
would have stored (issue 13, points 2 and 3)."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.db_support import empty_all_tables
from tests.terminal_support import flask_command
from tracker import config
from tracker.core import files
from tracker.extensions import db
from tracker.transfer.dump import _tables, export_database

ROOT = Path(__file__).resolve().parent.parent


def all_rows() -> int:
    return sum(db.session.scalar(select(func.count()).select_from(t)) for t in _tables())


def leftovers(folder: Path) -> list[str]:
    """Temporary files an export or a key left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def backup(ctx, runner, make, tmp_path) -> tuple[Path, bytes]:
    """Last night's good backup, and a team that has worked on since."""
    make.task(title="Schon im Backup")
    path = tmp_path / "backup.json"
    assert runner.invoke(args=["export", str(path)]).exit_code == 0
    make.task(title="Nach dem Backup angelegt")
    return path, path.read_bytes()


# -- 2. an export is written whole or not at all ---------------------------------------------


#: `flask export` as the operator runs it, except that it stops for good after its first
#: table, as a slow export of a big database would be stopped by a kill.
STALLED_EXPORT = textwrap.dedent("""
    import contextlib, sys, time
    import tracker.cli
    def stall(table, done, total):
        print("exporting", table, flush=True)
        time.sleep(120)
    tracker.cli._progress = lambda verb: contextlib.nullcontext(stall)
    from flask.cli import main
    sys.argv = ["flask", "--app", "wsgi", "export", sys.argv[1]]
    main()
""")


def test_an_export_killed_midway_leaves_the_previous_backup_byte_identical(
    backup, database_url
):
    path, before = backup
    env = {**os.environ, "TRACKER_DATABASE_URL": database_url, "TRACKER_SECRET_KEY": "x"}
    export = subprocess.Popen([sys.executable, "-c", STALLED_EXPORT, str(path)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert export.stdout is not None
        assert export.stdout.readline().startswith("exporting")  # halfway through its tables
        assert leftovers(path.parent), "the export writes beside the backup, not over it"
        assert path.read_bytes() == before
    finally:
        export.send_signal(signal.SIGKILL)
        export.wait(timeout=30)
    assert export.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert json.loads(before)["counts"]["tasks"] == 1


def test_an_export_that_fails_leaves_the_old_file_and_no_temporary_file(
    backup, runner, monkeypatch
):
    path, before = backup

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", disk_full)
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "unchanged" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_an_export_interrupted_by_an_error_in_the_data_leaves_the_old_file(backup):
    path, before = backup

    def broken(table: str, done: int, total: int) -> None:
        if table == "tasks":
            raise RuntimeError("a value the export cannot write")

    with pytest.raises(RuntimeError):
        export_database(path, progress=broken)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_a_complete_export_replaces_the_backup_and_keeps_its_permissions(backup, runner):
    path, before = backup
    path.chmod(0o640)  # shared with the backup group on purpose
    assert runner.invoke(args=["export", str(path)]).exit_code == 0
    assert json.loads(path.read_text())["counts"]["tasks"] == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    new = path.parent / "new.json"
    assert runner.invoke(args=["export", str(new)]).exit_code == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o600  # it holds password hashes
    assert leftovers(path.parent) == []


def test_an_export_through_a_symbolic_link_replaces_the_file_it_points_to(backup, runner):
    path, _ = backup
    link = path.parent / "latest.json"
    link.symlink_to(path)
    assert runner.invoke(args=["export", str(link)]).exit_code == 0
    assert link.is_symlink()
    assert json.loads(path.read_text())["counts"]["tasks"] == 2


def _first_start(instance: Path, start: threading.Barrier, keys: list[str]) -> None:
    """One server's first start: it reads the key, or makes it."""
    start.wait()
    keys.append(config._secret_key(instance))


def test_servers_starting_at_once_end_with_one_private_secret_key(tmp_path):
    for attempt in range(20):
        instance = tmp_path / f"instance{attempt}"
        keys: list[str] = []
        start = threading.Barrier(6)
        threads = [threading.Thread(target=_first_start, args=(instance, start, keys))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        key_file = instance / "secret_key"
        assert len(keys) == 6 and len(set(keys)) == 1 and keys[0] == key_file.read_text()
        assert len(keys[0]) == 64
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert leftovers(instance) == []


# -- 3. an import takes in only what the app itself would store ------------------------------


def _with_changed(data: dict, table: str, column: str, value) -> dict:
    """The export with one value of the first row of `table` changed."""
    entry = data["tables"][table]
    row = list(entry["rows"][0])
    row[entry["columns"].index(column)] = value
    rows = [row, *entry["rows"][1:]]
    return {**data, "tables": {**data["tables"], table: {**entry, "rows": rows}}}


@pytest.mark.parametrize(
    "table, column, value, reason",
    [
        ("tasks", "due_date", "0001-01-01", "due_date: must lie between the years 1900 and 2999"),
        ("tasks", "due_date", "9999-12-31", "due_date: must lie between the years 1900 and 2999"),
        ("tasks", "id", -5, "id: must be an id"),
        ("tasks", "title", "x" * 100_000, "title: is longer than 500 characters"),
        ("tasks", "title", "Null\x00Byte", "title: contains control characters"),
        ("tasks", "owner_id", 999_999, "owner_id: names people id 999999, which the file does"),
        ("tasks", "status", "erledigt", "status: must be one of open, done, cancelled"),
        ("people", "role", "boss", "role: must be one of admin, editor, viewer"),
        ("exchanges", "starts_at", "0001-01-01T09:00:00+00:00", "starts_at: must lie between"),
        ("tasks", "owner_id", 2**31, "owner_id: 2147483648 is too large for the database"),
    ],
    ids=["year 1", "year 9999", "negative id", "100,000 characters", "NUL", "missing owner",
         "unknown status", "unknown role", "start in year 1", "id beyond PostgreSQL"],
)
def test_import_refuses_a_row_the_app_would_refuse_and_names_it(
    ctx, runner, make, tmp_path, table, column, value, reason
):
    owner = make.user(role="editor")
    make.task(title="Protokoll versenden", owner_id=owner.id,
              exchange_id=make.exchange(title="Werkstatt Rostock").id)
    good = tmp_path / "good.json"
    assert runner.invoke(args=["export", str(good)]).exit_code == 0
    data = json.loads(good.read_text())
    empty_all_tables()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_with_changed(data, table, column, value)))

    result = runner.invoke(args=["import", str(bad)])

    assert result.exit_code == 1, result.output
    assert f"table {table}, row 1" in result.output
    assert reason in result.output
    assert "Traceback" not in result.output and len(result.output) < 500
    db.session.rollback()
    assert all_rows() == 0
    # The same file, mended, goes in whole.
    assert runner.invoke(args=["import", str(good)]).exit_code == 0


# -- progress on a terminal ------------------------------------------------------------------


def test_export_and_import_show_progress_on_a_terminal_and_import_names_each_table(
    ctx, runner, make, tmp_path, database_url
):
    make.task(title="Im Export")
    path = tmp_path / "backup.json"
    db.session.commit()
    exported = flask_command(database_url, "export", str(path), terminal=True)
    assert "Exported" in exported.stdout
    assert "Exporting tasks" in exported.stderr and "1/1" in exported.stderr

    empty_all_tables()
    imported = flask_command(database_url, "import", str(path), terminal=True)
    assert "Imported" in imported.stdout
    for table in ("organisations", "people", "exchanges", "tasks", "audit_entries"):
        if json.loads(path.read_text())["counts"].get(table):
            assert f"Importing {table}" in imported.stderr, imported.stderr
    assert db.session.scalar(select(func.count()).select_from(_table("tasks"))) == 1


def test_export_and_import_are_quiet_when_not_on_a_terminal(
    ctx, runner, make, tmp_path, database_url
):
    make.task(title="Im Export")
    path = tmp_path / "backup.json"
    db.session.commit()
    exported = flask_command(database_url, "export", str(path), terminal=False)
    assert exported.stdout.startswith("Exported") and exported.stderr == ""
    empty_all_tables()
    imported = flask_command(database_url, "import", str(path), terminal=False)
    assert imported.stdout.startswith("Imported") and imported.stderr == ""
    result = runner.invoke(args=["export", str(path)])  # as in a script: no progress either
    assert result.output.splitlines() == [f"Exported {all_rows()} rows to {path}."]


def _table(name: str):
    return next(t for t in _tables() if t.name == name)

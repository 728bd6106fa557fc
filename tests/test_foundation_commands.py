"""The operator's commands: users, demo data, export and import, and their errors."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.db_support import empty_all_tables
from tests.passwords import each_password_hashed_once
from tests.terminal_support import flask_command
from tracker.accounts.models import ApiToken, Person
from tracker.accounts.services import authenticate, person_for_api_token
from tracker.core.database import transaction
from tracker.core.model import utcnow
from tracker.extensions import db
from tracker.models import AuditEntry, Exchange, Outcome, Task
from tracker.tasks import services as tasks
from tracker.transfer.demo import DEMO_LOGIN, DEMO_PASSWORD
from tracker.transfer.dump import _tables


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def run(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input, catch_exceptions=False)


def test_users_create_reads_the_password_from_stdin(ctx, runner):
    result = run(runner, "users", "create", "--email", "Lea@Rostock.example", "--name",
                 "Lea Hoffmann", "--role", "editor", "--password-stdin",
                 input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Lea Hoffmann" in result.output
    user = authenticate("lea@rostock.example", "a long enough password")
    assert user is not None and user.role == "editor"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "x@rostock.example", "--name", "X", "--role", "boss"], "Invalid value"),
        (["--email", "not-an-email", "--name", "X", "--role", "viewer"], "email"),
        (["--email", "x@rostock.example", "--name", "", "--role", "viewer"], "name"),
        (["--name", "X", "--role", "viewer"], "Missing option"),
    ],
)
def test_users_create_refuses_bad_arguments_without_a_traceback(ctx, runner, args, message):
    result = runner.invoke(args=["users", "create", *args, "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(Person) == 0


def test_users_create_refuses_a_short_password_and_a_taken_email(ctx, runner, make):
    result = runner.invoke(args=["users", "create", "--email", "a@rostock.example", "--name",
                                 "A", "--role", "viewer", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    make.user(email="taken@rostock.example")
    result = runner.invoke(args=["users", "create", "--email", "taken@rostock.example",
                                 "--name", "B", "--role", "viewer", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 1 and "exists already" in result.output



def test_users_create_gives_a_recorded_contact_a_login_audited_like_any_change(ctx, runner, make):
    contact = make.person(email="kiel@kiel.example", name="Kontakt Kiel")
    result = runner.invoke(args=["users", "create", "--email", "kiel@kiel.example", "--name",
                                 "Kontakt Kiel", "--role", "viewer", "--password-stdin"],
                           input="short\n")
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    db.session.expire_all()
    assert db.session.get(Person, contact.id).role is None

    result = run(runner, "users", "create", "--email", "kiel@kiel.example", "--name",
                 "Kontakt Kiel", "--role", "viewer", "--password-stdin",
                 input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = authenticate("kiel@kiel.example", "a long enough password")
    assert user is not None and user.id == contact.id and user.role == "viewer"
    changes = db.session.scalars(
        select(AuditEntry.changes).where(AuditEntry.entity_id == contact.id,
                                         AuditEntry.action == "update")
    ).all()
    assert {"role": [None, "viewer"]} in changes and {"password": ["***", "***"]} in changes

def test_api_token_is_printed_once_and_stored_as_a_hash(ctx, runner, make):
    user = make.user(email="jonas@rostock.example")
    result = run(runner, "users", "api-token", "jonas@rostock.example")
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("trk_") and len(token) > 40
    stored = db.session.scalars(select(ApiToken)).one()
    assert token not in stored.token_hash
    assert person_for_api_token(token).id == user.id
    assert person_for_api_token(token + "x") is None


def test_api_token_for_an_unknown_email_fails_clearly(ctx, runner):
    result = runner.invoke(args=["users", "api-token", "nobody@rostock.example"])
    assert result.exit_code == 1 and "no user" in result.output


def test_demo_loads_the_rostock_exchanges_with_done_open_and_overdue_tasks(ctx, runner):
    from tracker.core.timeutil import today

    result = run(runner, "demo")
    assert result.exit_code == 0, result.output
    assert DEMO_LOGIN in result.output and DEMO_PASSWORD in result.output
    assert "Open https://tracker.test/" in result.output  # TRACKER_BASE_URL, as README says
    titles = set(db.session.scalars(select(Exchange.title)))
    assert "Smart City Exchange in Lübeck" in titles
    assert any(t.startswith("Smart Country Convention") for t in titles)
    assert "Smart City-Werkstatt" in titles
    statuses = {t.status for t in db.session.scalars(select(Task))}
    assert {"open", "done"} <= statuses
    overdue = db.session.scalars(
        select(Task).where(Task.status == "open", Task.due_date < today())
    ).all()
    assert overdue
    from tracker.series.models import Series

    series = {s.title: s for s in db.session.scalars(select(Series))}
    assert series["Smart City-Werkstatt"].rrule.startswith("FREQ=MONTHLY")
    assert series["Dauerhafter Austausch Lübeck–Kiel–Rostock"].rrule is None
    conferences = series["Regionalkonferenz Modellprojekte Smart Cities"]
    places = db.session.scalars(select(Exchange.location).where(
        Exchange.series_id == conferences.id)).all()
    assert len(places) == 2 and len(set(places)) == 2  # each in another city
    # The recorded meetings are the series' meetings, not duplicates beside them.
    assert db.session.scalar(select(func.count()).select_from(Exchange).where(
        Exchange.title.like("%Regionalkonferenz%"))) == 2
    coming = db.session.scalars(select(Exchange).where(
        Exchange.series_id == series["Smart City-Werkstatt"].id,
        Exchange.starts_at > utcnow())).all()
    assert len(coming) >= 4
    governance = db.session.scalar(
        select(Task).where(Task.title == "Governance-Workshop in Rostock ausrichten")
    )
    assert governance.plans_exchange_id is not None
    assert db.session.scalar(select(Task).where(Task.due_exchange_id.is_not(None))) is not None
    assert authenticate(DEMO_LOGIN, DEMO_PASSWORD) is not None
    assert count(AuditEntry) > count(Task)


def test_the_demo_has_a_year_of_history_as_the_audit_trail_holds_it(ctx, runner):
    """Follow-ups agreed and checked off month after month, so the review's chart over time
    rises and falls instead of jumping in the last month; each audit entry says when."""
    import time as clock
    from datetime import UTC, datetime, timedelta

    from tracker.review.queries import _count_over_time, month_ends

    started = clock.monotonic()
    run(runner, "demo")
    assert clock.monotonic() - started < 10
    now = datetime.now(UTC)
    all_tasks = db.session.scalars(select(Task)).all()
    months_created = {t.created_at.strftime("%Y-%m") for t in all_tasks
                      if t.created_at > now - timedelta(days=365)}
    months_done = {t.completed_at.strftime("%Y-%m") for t in all_tasks
                   if t.completed_at and t.completed_at > now - timedelta(days=365)}
    assert len(months_created) >= 11 and len(months_done) >= 11
    assert all(t.created_at <= now and (t.completed_at or t.created_at) >= t.created_at
               and (t.completed_at or now) <= now for t in all_tasks)
    for task in all_tasks:
        entries = {e.action: e for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "tasks",
                                     AuditEntry.entity_id == task.id))}
        assert entries["create"].at == task.created_at, task
        if task.status == "done":
            assert entries["complete"].at == task.completed_at, task
            assert entries["complete"].changes["completed_at"][1] == (
                task.completed_at.isoformat())
    points = _count_over_time(month_ends())
    done = [p["done"] for p in points]
    assert done == sorted(done) and done[0] < done[-1] - 30  # checked off all year round
    assert len({p["open"] for p in points}) > 3  # open rises and falls


def test_demo_refuses_a_database_with_data_unless_told(ctx, runner, make):
    make.organisation(name="Schon da")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1 and "not empty" in result.output
    assert count(Exchange) == 0
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0
    assert count(Exchange) == 0
    assert runner.invoke(args=["demo", "--force"]).exit_code == 0
    assert count(Exchange) > 0


def _table_contents() -> dict:
    data = {}
    with db.engine.connect() as conn:
        for table in _tables():
            pk = list(table.primary_key.columns)
            data[table.name] = [tuple(r) for r in conn.execute(table.select().order_by(*pk))]
    return data


def _wipe() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(_tables()):
            conn.execute(table.delete())


def test_export_then_import_gives_identical_data_audit_trail_included(ctx, runner, tmp_path):
    run(runner, "demo")
    task = db.session.scalar(select(Task).where(Task.status == "open"))
    with transaction():
        tasks.delete_task(task, None)  # a soft-deleted task must survive too
    before = _table_contents()
    export = tmp_path / "export.json"
    result = run(runner, "export", str(export))
    assert result.exit_code == 0, result.output
    _wipe()
    result = run(runner, "import", str(export))
    assert result.exit_code == 0, result.output
    assert _table_contents() == before
    # New records get fresh ids after an import (sequences moved on, on PostgreSQL too).
    owner = db.session.scalar(select(Person))
    with transaction():
        new = tasks.create_task(None, title="Nach dem Import", owner_id=owner.id,
                                due_date=date(2027, 1, 1))
    assert new.id > max(r[0] for r in [(t.id,) for t in db.session.scalars(select(Task))][:-1])


def _exported(runner, tmp_path) -> dict:
    with each_password_hashed_once():  # the demo's users are data here, not under test
        run(runner, "demo")
    path = tmp_path / "good.json"
    run(runner, "export", str(path))
    return json.loads(path.read_text())



def test_an_export_stamped_with_a_revision_s_old_name_imports(
    ctx, runner, tmp_path, monkeypatch
):
    from tracker.core.database import RENAMED_REVISIONS

    data = _exported(runner, tmp_path)
    head = data["schema_revision"]
    # Whichever revision is newest, as if it had been renamed since the export was made.
    old_name = next((old for old, new in RENAMED_REVISIONS.items() if new == head), "old-" + head)
    monkeypatch.setitem(RENAMED_REVISIONS, old_name, head)
    data["schema_revision"] = old_name
    _wipe()
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    result = run(runner, "import", str(old))
    assert result.exit_code == 0, result.output
    assert count(Task) == data["counts"]["tasks"]

@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda text, data: text[: len(text) // 2], "not complete JSON"),
        (lambda text, data: "", "not complete JSON"),
        (lambda text, data: json.dumps({"hello": "world"}), "not a follow-up tracker export"),
        (lambda text, data: json.dumps({**data, "format_version": 99}), "format version 99"),
        (lambda text, data: json.dumps({**data, "schema_revision": "9999"}), "schema revision"),
        (lambda text, data: json.dumps(
            {**data, "tables": {k: v for k, v in data["tables"].items() if k != "tasks"}}),
         "do not match"),
        (lambda text, data: json.dumps(
            {**data, "counts": {**data["counts"], "tasks": data["counts"]["tasks"] + 1}}),
         "truncated"),
        (lambda text, data: json.dumps({**data, "tables": {**data["tables"], "tasks": {
            **data["tables"]["tasks"],
            "rows": [["x"] * len(data["tables"]["tasks"]["columns"])]
            * data["counts"]["tasks"]}}}), "row 1"),
    ],
)
def test_import_refuses_a_bad_file_and_changes_nothing(ctx, runner, tmp_path, damage, message):
    data = _exported(runner, tmp_path)
    text = (tmp_path / "good.json").read_text()
    _wipe()
    bad = tmp_path / "bad.json"
    bad.write_text(damage(text, data))
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(Task) == 0 and count(Outcome) == 0 and count(Person) == 0


def test_import_refuses_a_binary_file_a_missing_file_and_a_non_empty_database(
    ctx, runner, tmp_path
):
    good = tmp_path / "good.json"
    _exported(runner, tmp_path)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\xff")
    assert "not a text file" in runner.invoke(args=["import", str(binary)]).output
    assert "no such file" in runner.invoke(args=["import", str(tmp_path / "nope.json")]).output
    before = count(Task)
    result = runner.invoke(args=["import", str(good)])
    assert result.exit_code == 1 and "not empty" in result.output
    assert count(Task) == before


def test_commands_before_the_schema_exists_say_what_to_do(tmp_path):
    from tracker import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
                      "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "db upgrade" in result.output


def test_demo_shows_its_progress_on_a_terminal_only(ctx, database_url):
    db.session.commit()
    shown = flask_command(database_url, "demo", terminal=True)
    assert "Loading demo data" in shown.stderr and "4/4" in shown.stderr
    assert "Loaded" in shown.stdout
    empty_all_tables()
    quiet = flask_command(database_url, "demo", terminal=False)
    assert "Loaded" in quiet.stdout and quiet.stderr == ""

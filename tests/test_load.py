"""Load, faults and consistency against live gunicorn servers on loopback.

20 clients send 200 check-offs and 200 edits at once through the JSON API; afterwards
every change is in the data exactly once and in the audit trail exactly once. Bounded in
count and time; runs on SQLite (WAL) and on PostgreSQL (there also with two servers).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from bench.server import ROOT, Server
from tracker.accounts.services import issue_api_token
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.models import AuditEntry, Task

pytestmark = pytest.mark.slow

CLIENTS = 20
TASKS = 200


class Tally:
    """Requests sent and their answers, across the client threads of one test."""

    def __init__(self) -> None:
        self.sent = 0
        self.statuses: Counter = Counter()
        self.cut = 0  # connections cut (a killed worker), retried
        self._lock = threading.Lock()

    def add(self, status: int | None) -> None:
        with self._lock:
            self.sent += 1
            if status is None:
                self.cut += 1
            else:
                self.statuses[status] += 1

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


TALLY = Tally()


@pytest.fixture(autouse=True)
def load_figures(request, load_figures_of_run):
    """Each test's requests, errors and lost changes, for the run's closing summary."""
    global TALLY
    TALLY = Tally()
    figures = {"test": request.node.name, "lost": None}
    yield figures
    figures.update(sent=TALLY.sent, errors=TALLY.errors, cut=TALLY.cut,
                   statuses=dict(TALLY.statuses))
    load_figures_of_run.append(figures)


def call(port: int, method: str, path: str, token: str, body=None, retries: int = 3):
    """One API request; a connection cut by a killed worker is retried."""
    for attempt in range(retries + 1):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            TALLY.add(response.status)
            return response.status, (json.loads(data) if data else None)
        except (ConnectionError, http.client.HTTPException, TimeoutError):
            TALLY.add(None)
            if attempt == retries:
                raise
            time.sleep(0.2)
        finally:
            conn.close()
    raise AssertionError("unreachable")


@pytest.fixture
def fixture_data(make):
    editor = make.user("editor", email="load@rostock.example")
    editor_id = editor.id
    with transaction():
        _, token = issue_api_token(editor, "load test")
    ids = []
    with transaction():
        from tracker.tasks.services import create_task

        for i in range(2 * TASKS):
            ids.append(create_task(None, title=f"Aufgabe {i}", owner_id=editor.id,
                                   due_date=date(2027, 1, 1)).id)
    db.session.remove()
    return {"token": token, "complete": ids[:TASKS], "edit": ids[TASKS:],
            "owner_id": editor_id}


def _burst(ports: list[int], data: dict, during=None) -> Counter:
    """20 clients: 200 check-offs and 200 edits, spread over the servers."""
    token = data["token"]

    def complete(i_task):
        i, task_id = i_task
        return call(ports[i % len(ports)], "POST", f"/api/v1/tasks/{task_id}/complete", token)[0]

    def edit(i_task):
        i, task_id = i_task
        port = ports[i % len(ports)]
        for _ in range(10):
            status, record = call(port, "GET", f"/api/v1/tasks/{task_id}", token)
            assert status == 200, (status, record)
            status, _ = call(port, "PATCH", f"/api/v1/tasks/{task_id}", token,
                             {"title": f"Bearbeitet {task_id}", "version": record["version"]})
            if status != 409:
                return status
        return status

    jobs = [(complete, x) for x in enumerate(data["complete"])]
    jobs += [(edit, x) for x in enumerate(data["edit"])]
    jobs.sort(key=lambda j: j[1][0])  # interleave check-offs and edits
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(fn, arg) for fn, arg in jobs]
        if during:
            during()
        return Counter(f.result() for f in futures)


def _assert_every_change_exactly_once(data: dict, figures: dict) -> None:
    """Every check-off and edit is in the data, and in the audit trail once; the number of
    changes missing from either is recorded as lost."""
    db.session.remove()
    done = db.session.scalars(select(Task).where(Task.id.in_(data["complete"]))).all()
    edited = db.session.scalars(select(Task).where(Task.id.in_(data["edit"]))).all()
    missing = [t.id for t in done if t.status != "done"]
    missing += [t.id for t in edited if t.title != f"Bearbeitet {t.id}" or t.version != 2]
    per_task = Counter(
        (row.entity_id, row.action)
        for row in db.session.execute(
            select(AuditEntry.entity_id, AuditEntry.action).where(
                AuditEntry.entity_type == "tasks", AuditEntry.action != "create"
            )
        )
    )
    expected = {(i, "complete"): 1 for i in data["complete"]}
    expected |= {(i, "update"): 1 for i in data["edit"]}
    unaudited = [key for key, n in expected.items() if per_task.get(key) != n]
    figures["lost"] = len(set(missing) | {i for i, _ in unaudited})
    assert not missing, missing
    assert dict(per_task) == expected


def test_twenty_clients_lose_nothing_and_see_no_errors(database_url, fixture_data, load_figures):
    server = Server(database_url, workers=3)
    try:
        statuses = _burst([server.port], fixture_data)
    finally:
        log = server.stop()
    assert set(statuses) == {200}, statuses
    assert "database is locked" not in log and "Traceback" not in log, log
    _assert_every_change_exactly_once(fixture_data, load_figures)


def test_two_servers_on_one_postgresql_database_stay_consistent(
    database_url, fixture_data, load_figures
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the multi-server set-up is PostgreSQL")
    servers = [Server(database_url, workers=2), Server(database_url, workers=2)]
    try:
        statuses = _burst([s.port for s in servers], fixture_data)
    finally:
        logs = [s.stop() for s in servers]
    assert set(statuses) == {200}, statuses
    assert not any("Traceback" in log for log in logs), logs
    _assert_every_change_exactly_once(fixture_data, load_figures)


def test_the_same_version_saved_ten_times_at_once_wins_once(database_url, fixture_data):
    server = Server(database_url, workers=3)
    task_id = fixture_data["edit"][0]
    try:
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(
                lambda n: call(server.port, "PATCH", f"/api/v1/tasks/{task_id}",
                               fixture_data["token"], {"title": f"Version {n}", "version": 1}),
                range(10),
            ))
    finally:
        server.stop()
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 9}, statuses
    db.session.remove()
    winner = next(body for status, body in results if status == 200)
    stored = db.session.get(Task, task_id)
    assert stored.title == winner["title"] and stored.version == 2
    updates = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_id == task_id, AuditEntry.action == "update"))
    assert updates == 1


class Browser:
    """A signed-in browser session against a live server: cookies, CSRF, no redirects."""

    def __init__(self, port: int, email: str, password: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())
        token = self.csrf_token("/login")
        status, _ = self.post("/login", {"email": email, "password": password,
                                         "csrf_token": token})
        assert status == 302

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def csrf_token(self, path: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                         self.get(path)[1]).group(1)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                answer = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            answer = error.code, error.read().decode()
        TALLY.add(answer[0])
        return answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_ten_people_saving_the_same_version_in_the_browser_one_wins(
    database_url, fixture_data
):
    """The web form's version: one save lands, nine see the conflict page, none is lost
    silently."""
    server = Server(database_url, workers=3)
    task_id = fixture_data["edit"][0]
    try:
        people = [Browser(server.port, "load@rostock.example", "correct horse battery")
                  for _ in range(10)]
        tokens = [b.csrf_token(f"/tasks/{task_id}/edit") for b in people]

        def save(n: int) -> tuple[int, str]:
            return people[n].post(f"/tasks/{task_id}/edit", {
                "csrf_token": tokens[n], "title": f"Fassung {n}", "version": "1",
                "owner_id": fixture_data["owner_id"], "description": "",
            })

        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(save, range(10)))
    finally:
        log = server.stop()
    assert Counter(status for status, _ in results) == {302: 1, 409: 9}, log
    assert all('class="conflict"' in page for status, page in results if status == 409)
    db.session.remove()
    stored = db.session.get(Task, task_id)
    assert stored.version == 2 and stored.title.startswith("Fassung ")
    updates = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_id == task_id, AuditEntry.action == "update"))
    assert updates == 1


def test_a_worker_killed_mid_burst_loses_no_committed_change(
    database_url, fixture_data, load_figures
):
    server = Server(database_url, workers=3)

    answered_before_kill = []

    def kill_one_worker():
        deadline = time.monotonic() + 30
        while TALLY.sent < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        answered_before_kill.append(TALLY.sent)
        os.kill(server.worker_pids()[0], signal.SIGKILL)

    try:
        statuses = _burst([server.port], fixture_data, during=kill_one_worker)
    finally:
        server.stop()
    # A request cut off with its worker is retried by the client; complete is idempotent,
    # an edit retried after its commit meets 409 and re-reads, so all end up applied.
    assert 100 <= answered_before_kill[0] < 2 * TASKS, "the worker died mid-burst"
    assert set(statuses) <= {200}, statuses
    _assert_every_change_exactly_once(fixture_data, load_figures)


def test_export_under_load_is_a_consistent_snapshot(database_url, fixture_data, tmp_path, app):
    server = Server(database_url, workers=3)
    export = tmp_path / "snapshot.json"
    result: dict = {}

    def export_meanwhile():
        time.sleep(0.2)
        env = {**os.environ, "TRACKER_DATABASE_URL": database_url, "TRACKER_SECRET_KEY": "x"}
        result["run"] = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "export", str(export)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )

    thread = threading.Thread(target=export_meanwhile)
    try:
        thread.start()
        _burst([server.port], fixture_data)
        thread.join()
    finally:
        server.stop()
    assert result["run"].returncode == 0, result["run"].stderr
    snapshot = json.loads(export.read_text())
    tasks = snapshot["tables"]["tasks"]
    col = {name: i for i, name in enumerate(tasks["columns"])}
    audit = snapshot["tables"]["audit_entries"]
    acol = {name: i for i, name in enumerate(audit["columns"])}
    completes = Counter(r[acol["entity_id"]] for r in audit["rows"]
                        if r[acol["action"]] == "complete" and r[acol["entity_type"]] == "tasks")
    done = {r[col["id"]] for r in tasks["rows"] if r[col["status"]] == "done"}
    # In one snapshot a task is done exactly when its completion is in the audit trail.
    assert done == set(completes) and set(completes.values()) <= {1}
    # Imported into an empty database, the snapshot comes back exactly as it was taken.
    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    env = {**os.environ, "TRACKER_DATABASE_URL": restored_url, "TRACKER_SECRET_KEY": "x"}
    again = tmp_path / "again.json"
    for command in (["db", "upgrade"], ["import", str(export)], ["export", str(again)]):
        run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    assert json.loads(again.read_text())["tables"] == snapshot["tables"]

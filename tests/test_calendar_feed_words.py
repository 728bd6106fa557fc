"""What a feed says: its name in the owner's language, titles first, reminders only on
the subscriber's own open tasks, dates in the reader's format, links in the tracker's
scheme, and a Last-Modified that never goes back (issue 12, points 2 and 12-16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from werkzeug.http import parse_date

from tests.calendar_support import issue, items_by_uid, login, parse_both
from tracker.calendar.models import FeedItem
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.tasks.services import complete_task, delete_task, reopen_task

pytestmark = pytest.mark.usefixtures("english")

TODAY = date(2026, 11, 26)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr("tracker.core.timeutil.today", lambda: TODAY)
    return TODAY


def fetch(client, token: str, **headers):
    response = client.get(f"/calendar/{token}.ics", headers=headers)
    assert response.status_code == 200, response.data[:300]
    return response


def summaries(body: bytes) -> dict[str, str]:
    return {uid: str(item["SUMMARY"]) for uid, item in items_by_uid(body).items()}


def alarms(body: bytes) -> dict[str, bool]:
    return {uid: any(c.name == "VALARM" for c in item.subcomponents)
            for uid, item in items_by_uid(body).items()}


# --- 12: the owner's language, whoever fetches ------------------------------------------


def test_a_german_feed_keeps_its_german_name_when_an_english_client_fetches_first(
    client, make
):
    lea = make.user(name="Lea Hoffmann", locale="de")
    token = issue(lea, "team")
    english = fetch(client, token)  # the client sends Accept-Language: en
    german = fetch(client, token, **{"Accept-Language": "de"})
    cal_en, cal_de = (parse_both(r.data)[0] for r in (english, german))
    assert str(cal_en["X-WR-CALNAME"]) == str(cal_de["X-WR-CALNAME"]) == "Folgeaufgaben: Team"
    assert str(cal_en["X-WR-CALDESC"]) == str(cal_de["X-WR-CALDESC"])
    assert "follow-up tracker" not in str(cal_en["X-WR-CALDESC"])
    assert english.headers["ETag"] == german.headers["ETag"]


# --- 14 and 15: titles first, the owner only when someone else, dates as people write them


def test_my_feed_shows_the_title_alone_and_the_team_feed_names_other_owners_after_it(
    client, make, today
):
    lea, ben = make.user(name="Lea Hoffmann"), make.user(name="Ben Kraus")
    mine = make.task(owner_id=lea.id, title="Persona-Material schicken",
                     due_date=date(2026, 12, 10))
    bens = make.task(owner_id=ben.id, title="Protokoll senden", due_date=date(2026, 12, 11))
    personal = summaries(fetch(client, issue(lea)).data)
    assert personal == {f"task-{mine.id}@tracker.test": "Persona-Material schicken"}
    team = summaries(fetch(client, issue(lea, "team")).data)
    assert team[f"task-{mine.id}@tracker.test"] == "Persona-Material schicken"
    assert team[f"task-{bens.id}@tracker.test"] == "Protokoll senden (Ben Kraus)"
    # Ben's team feed, served from the same kept items, names Lea on her task.
    bens_view = summaries(fetch(client, issue(ben, "team")).data)
    assert bens_view[f"task-{mine.id}@tracker.test"] == "Persona-Material schicken (Lea Hoffmann)"
    assert bens_view[f"task-{bens.id}@tracker.test"] == "Protokoll senden"
    todos = summaries(fetch(client, issue(lea, "team", vtodo=True)).data)
    assert todos[f"task-{mine.id}@tracker.test"] == "Persona-Material schicken"
    assert todos[f"task-{bens.id}@tracker.test"] == "Protokoll senden (Ben Kraus)"


@pytest.mark.parametrize(("locale", "prefix"), [
    ("de", "Überfällig seit 20.10.2026: "),
    ("en", "Overdue since Oct 20, 2026: "),
])
def test_dates_inside_titles_are_in_the_reader_s_format(client, make, today, locale, prefix):
    lea = make.user(name="Lea Hoffmann", locale=locale)
    late = make.task(owner_id=lea.id, title="Persona-Material schicken",
                     due_date=date(2026, 10, 20))
    feed = summaries(fetch(client, issue(lea, overdue_today=True)).data)
    assert feed[f"task-{late.id}@tracker.test"] == prefix + "Persona-Material schicken"


# --- 13: reminders only on my own open tasks, never one already past ---------------------


def test_reminders_only_on_my_own_open_tasks_and_never_in_the_past(client, make, today):
    lea, ben = make.user(name="Lea Hoffmann"), make.user(name="Ben Kraus")
    ahead = make.task(owner_id=lea.id, title="Ahead", due_date=TODAY + timedelta(days=2))
    due_today = make.task(owner_id=lea.id, title="Today", due_date=TODAY)
    overdue = make.task(owner_id=lea.id, title="Late", due_date=TODAY - timedelta(days=3))
    done = make.task(owner_id=lea.id, title="Done", due_date=TODAY + timedelta(days=5))
    colleague = make.task(owner_id=ben.id, title="Ben's", due_date=TODAY + timedelta(days=2))
    with transaction():
        complete_task(db.session.get(Task, done.id), None)
    uid = "task-{}@tracker.test".format
    for kind, extra in (("team", {}), ("team", {"keep_done": True}), ("team", {"vtodo": True}),
                        ("view", {"query": "status=open"})):
        shown = alarms(fetch(client, issue(lea, kind, **extra)).data)
        # 900 minutes before the due day: 09:00 the day before, still ahead for `ahead`;
        # for a task due today that was yesterday.
        assert shown[uid(ahead.id)] is True, (kind, extra)
        assert shown[uid(due_today.id)] is False, (kind, extra)
        assert shown[uid(overdue.id)] is False, (kind, extra)
        assert shown[uid(colleague.id)] is False, (kind, extra)
        assert shown.get(uid(done.id), False) is False, (kind, extra)
    # Ben's team feed, after Lea's, gets his own reminder and none on Lea's tasks.
    bens = alarms(fetch(client, issue(ben, "team")).data)
    assert bens[uid(colleague.id)] is True and bens[uid(ahead.id)] is False


def test_a_reminder_leaves_the_feed_once_its_day_has_passed(client, make, monkeypatch):
    lea = make.user(name="Lea Hoffmann")
    task = make.task(owner_id=lea.id, title="Anrufen", due_date=date(2026, 12, 10))
    token = issue(lea)
    monkeypatch.setattr("tracker.core.timeutil.today", lambda: date(2026, 12, 9))
    first = fetch(client, token)
    assert alarms(first.data) == {f"task-{task.id}@tracker.test": True}
    monkeypatch.setattr("tracker.core.timeutil.today", lambda: date(2026, 12, 10))
    # The reminder (09:00 on the 9th) is past: the kept item is built again without it,
    # and the feed's ETag changes, so a client holding the old copy gets the new one.
    second = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert alarms(second.data) == {f"task-{task.id}@tracker.test": False}


# --- 2: Last-Modified never goes back while the feed changes ------------------------------


def _set_changed(task_id: int, when: datetime) -> None:
    with transaction():
        db.session.execute(update(Task).where(Task.id == task_id).values(updated_at=when))


def test_last_modified_never_goes_back_in_a_filter_feed(client, make, monkeypatch):
    lea = make.user(name="Lea Hoffmann")
    with transaction():
        db.session.merge(lea).reminder_minutes = None  # no reminders: the date plays no part
    exchange = make.exchange(title="Werkstatt")
    a = make.task(owner_id=lea.id, title="A", exchange_id=exchange.id)
    b = make.task(owner_id=lea.id, title="B", exchange_id=exchange.id)
    token = issue(lea, "view", query=f"exchange_id={exchange.id}&status=done")
    now = datetime.now(UTC).replace(microsecond=0)

    def step(change, task_id: int, ago: int) -> datetime:
        with transaction():
            change(db.session.get(Task, task_id), None)
        _set_changed(task_id, now - timedelta(seconds=ago))
        return parse_date(fetch(client, token).headers["Last-Modified"])

    seen = [parse_date(fetch(client, token).headers["Last-Modified"])]
    seen.append(step(complete_task, a.id, 300))
    seen.append(step(complete_task, b.id, 200))
    b_time = fetch(client, token).headers["Last-Modified"]
    seen.append(step(reopen_task, b.id, 100))
    # A client that kept B and sends only B's date is told the feed changed.
    assert client.get(f"/calendar/{token}.ics",
                      headers={"If-Modified-Since": b_time}).status_code == 200
    after_reopen = fetch(client, token).headers["Last-Modified"]
    # A write the feed does not show leaves its date where it was.
    make.task(owner_id=lea.id, title="Elsewhere")
    assert fetch(client, token).headers["Last-Modified"] == after_reopen
    seen.append(step(delete_task, a.id, 50))
    assert client.get(f"/calendar/{token}.ics",
                      headers={"If-Modified-Since": after_reopen}).status_code == 200
    assert seen == sorted(seen), seen
    assert len(set(seen[1:])) == len(seen[1:])  # every change moved it forward
    # Once the feed stands still, its own date gets 304 (a second later).
    last = fetch(client, token).headers["Last-Modified"]
    later = parse_date(last) + timedelta(seconds=2)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr("tracker.calendar.serve.datetime", Clock)
    assert client.get(f"/calendar/{token}.ics",
                      headers={"If-Modified-Since": last}).status_code == 304
    assert db.session.query(FeedItem).filter_by(record_kind="feed").count() == 1


# --- 16: links in the tracker's own scheme -------------------------------------------------


@pytest.mark.parametrize(("configured", "root"), [
    ("http://tracker.test", "http://tracker.test"),
    (None, "http://localhost"),
    ("https://tracker.test", "https://tracker.test"),
])
def test_subscription_links_use_the_tracker_s_scheme(app, client, make, configured, root):
    app.config["TRACKER_BASE_URL"] = configured
    lea = make.user()
    token = issue(lea)
    login(client, lea)
    page = client.get("/calendar/subscriptions", base_url="http://localhost").data.decode()
    host = root.split("://", 1)[1]
    assert f'value="{root}/calendar/{token}.ics"' in page
    assert f"webcal://{host}/calendar/{token}.ics" in page
    other = "https" if root.startswith("http://") else "http"
    assert f"{other}://{host}/calendar/" not in page

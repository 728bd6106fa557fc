"""Task and exchange lists: filters, limit, and a cursor that survives concurrent changes."""

from __future__ import annotations

from datetime import date, timedelta

from tests.api_support import api_as, assert_problem
from tests.querycount import counting_queries
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.extensions import db
from tracker.tasks import services as tasks


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_task_filters(make, client):
    api = api_as(make, client, "viewer")
    anna, ben = make.person(name="Anna"), make.person(name="Ben")
    kiel = make.organisation(name="Kiel")
    visit = make.exchange(title="Besuch Kiel")
    today = timeutil.today()
    late = make.task(title="Protokoll 100% fertig", owner_id=anna.id, organisation_id=kiel.id,
                     due_date=today - timedelta(days=3))
    soon = make.task(title="Workshop planen", description="mit Kiel und Lübeck",
                     owner_id=ben.id, exchange_id=visit.id, due_date=today + timedelta(days=3))
    done = make.task(title="Einladung", owner_id=anna.id, due_date=today - timedelta(days=10))
    undated = make.task(title="Irgendwann", owner_id=ben.id, due_date=None)
    with transaction():
        tasks.complete_task(done, None)

    assert _ids(api.get("/tasks")) == [late.id, soon.id, done.id, undated.id]
    assert _ids(api.get("/tasks?status=done")) == [done.id]
    assert _ids(api.get("/tasks?status=open")) == [late.id, soon.id, undated.id]
    assert _ids(api.get(f"/tasks?owner_id={anna.id}")) == [late.id, done.id]
    assert _ids(api.get(f"/tasks?organisation_id={kiel.id}")) == [late.id]
    assert _ids(api.get(f"/tasks?exchange_id={visit.id}")) == [soon.id]
    assert _ids(api.get(f"/tasks?due_before={today}")) == [late.id, done.id]
    assert _ids(api.get(f"/tasks?due_after={today}")) == [soon.id]
    assert _ids(api.get(f"/tasks?due_after={today - timedelta(days=3)}"
                        f"&due_before={today + timedelta(days=3)}")) == [late.id, soon.id]
    assert _ids(api.get("/tasks?overdue=true")) == [late.id]
    assert _ids(api.get("/tasks?q=kiel")) == [soon.id]  # in the description, any case
    assert _ids(api.get("/tasks?q=100%25")) == [late.id]  # % is a character, not a wildcard
    assert _ids(api.get("/tasks?q=_")) == []
    assert _ids(api.get(f"/tasks?owner_id={ben.id}&status=open&q=workshop")) == [soon.id]


def test_task_filter_errors_name_the_parameter(make, client):
    api = api_as(make, client, "viewer")
    cases = {
        "status=maybe": "status",
        "owner_id=abc": "owner_id",
        f"owner_id={2**40}": "owner_id",
        "due_before=2026-02-30": "due_before",
        "overdue=perhaps": "overdue",
        "limit=0": "limit",
        "limit=501": "limit",
        "limit=ten": "limit",
        "cursor=garbage": "cursor",
        "next=c1.bm9wZQ": "cursor",
        "q=a%00b": "q",
        "q=" + "x" * 201: "q",
        "colour=red": "colour",
        "status=open&status=done": "status",
    }
    for query, field in cases.items():
        assert_problem(api.get(f"/tasks?{query}"), 422, field)


def test_a_date_filter_takes_only_year_month_day(make, client):
    """`due_before=0` once read as the Unix epoch and listed nothing with a 200."""
    api = api_as(make, client, "viewer")
    make.task(title="Bericht", due_date=date(2026, 12, 3))
    for parameter in ("due_before", "due_after"):
        for written in ("0", "1764720000", "2026-12-03T00:00:00", "03.12.2026", "2026-12-3",
                        "+2026-12-03", "2026-12-03%20", "%EF%BC%92026-12-03"):
            body = assert_problem(api.get(f"/tasks?{parameter}={written}"), 422, parameter)
            assert "YYYY-MM-DD" in body["detail"] or "calendar" in body["detail"]
    found = api.get("/tasks?due_before=2026-12-03&due_after=2026-12-03").get_json()["items"]
    assert [task["title"] for task in found] == ["Bericht"]


def test_limit_defaults_to_50_and_stops_at_500(make, client):
    api = api_as(make, client, "viewer")
    owner = make.person()
    with transaction():
        for n in range(501):
            tasks.create_task(None, title=f"Aufgabe {n}", owner_id=owner.id)
    first = api.get("/tasks").get_json()
    assert len(first["items"]) == 50 and first["next"]
    assert len(api.get("/tasks?limit=500").get_json()["items"]) == 500
    assert len(api.get("/tasks?limit=7").get_json()["items"]) == 7


def _walk(api, path: str, between_pages=None) -> list[int]:
    seen, cursor, pages = [], None, 0
    while True:
        separator = "&" if "?" in path else "?"
        response = api.get(path + (f"{separator}cursor={cursor}" if cursor else ""))
        seen += _ids(response)
        cursor = response.get_json()["next"]
        pages += 1
        if cursor is None:
            return seen
        if between_pages:
            between_pages(pages)


def test_the_cursor_walks_every_task_once(make, client):
    api = api_as(make, client, "viewer")
    created = [make.task().id for _ in range(7)]
    assert _walk(api, "/tasks?limit=3") == created
    assert _walk(api, "/tasks?limit=7") == created
    # `next` is also accepted under its own name.
    first = api.get("/tasks?limit=4").get_json()
    assert _ids(api.get(f"/tasks?limit=4&next={first['next']}")) == created[4:]


def test_the_cursor_skips_and_repeats_nothing_while_tasks_change(make, client):
    """Between pages others add, check off and delete tasks; the open tasks that were
    there all along each come exactly once, and new ones come at the end."""
    api = api_as(make, client, "viewer")
    owner = make.person()
    original = [make.task(owner_id=owner.id).id for _ in range(12)]
    added, gone = [], set()

    def meanwhile(page: int) -> None:
        with transaction():
            # Someone checks off a task on a page not yet read, and deletes one already read.
            not_yet_read = original[page * 4 + 1]
            tasks.complete_task(db.session.get(tasks.Task, not_yet_read), None)
            tasks.delete_task(db.session.get(tasks.Task, original[page * 4 - 2]), None)
            new = tasks.create_task(None, title=f"neu {page}", owner_id=owner.id)
        gone.add(not_yet_read)
        added.append(new.id)

    seen = _walk(api, "/tasks?status=open&limit=4", meanwhile)
    assert len(seen) == len(set(seen)), "a task came twice"
    expected_original = [i for i in original if i not in gone]
    assert [i for i in seen if i in original] == expected_original, "an open task was skipped"
    assert [i for i in seen if i not in original] == added


def test_exchanges_list_filters_and_pages(make, client):
    api = api_as(make, client, "viewer")
    sccon = make.exchange(title="SCCON", kind="conference", location="Berlin")
    werkstatt = make.exchange(title="Werkstatt", kind="werkstatt", status="held")
    visit = make.exchange(title="Besuch", kind="visit", description="in Kiel")
    assert _ids(api.get("/exchanges")) == [sccon.id, werkstatt.id, visit.id]
    assert _ids(api.get("/exchanges?kind=werkstatt")) == [werkstatt.id]
    assert _ids(api.get("/exchanges?status=held")) == [werkstatt.id]
    assert _ids(api.get("/exchanges?q=berlin")) == [sccon.id]
    assert _ids(api.get("/exchanges?q=KIEL")) == [visit.id]
    assert _walk(api, "/exchanges?limit=2") == [sccon.id, werkstatt.id, visit.id]
    assert_problem(api.get("/exchanges?kind=party"), 422, "kind")
    assert_problem(api.get("/exchanges?limit=1000"), 422, "limit")


def test_people_and_organisations_page_too(make, client):
    api = api_as(make, client, "viewer")
    people = [api.person.id] + [make.person().id for _ in range(4)]
    orgs = [make.organisation().id for _ in range(3)]
    assert _walk(api, "/people?limit=2") == people
    assert _walk(api, "/organisations?limit=2") == orgs
    assert_problem(api.get("/people?limit=-1"), 422, "limit")




def test_query_counts_do_not_grow_with_the_page_size(make, client):
    api = api_as(make, client, "viewer")
    people = [make.person() for _ in range(3)]
    kiel, hl = make.organisation(), make.organisation()
    for n in range(30):
        exchange = make.exchange(organisation_ids=[kiel.id, hl.id],
                                 participant_ids=[p.id for p in people])
        make.task(owner_id=people[n % 3].id, exchange_id=exchange.id,
                  organisation_id=kiel.id, due_date=date(2026, 12, 1))
        make.outcome(exchange, organisation_ids=[kiel.id])
    api.get("/me")  # the token's first use records last_used_at, a write not counted below
    counts = {}
    api.get("/me")  # the token's first use is recorded once; count what follows
    for path in ("/tasks", "/exchanges", "/people", "/organisations",
                 f"/exchanges/{exchange.id}/outcomes"):
        for limit in (2, 30):
            db.session.expunge_all()
            with counting_queries() as statements:
                assert api.get(f"{path}?limit={limit}").status_code == 200
            counts[(path, limit)] = len(statements)
        assert counts[(path, 2)] == counts[(path, 30)], (path, counts)
    # The auth look-up, then one query for the page and one per eager-loaded collection.
    # Exchanges load three collections: organisations, participants, documents.
    assert counts[("/exchanges", 30)] == counts[("/tasks", 30)] + 3, counts

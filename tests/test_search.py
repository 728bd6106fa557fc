"""Search across everything: the database's own full-text index, kept by triggers, on both
databases; the page, the header field and the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.api_support import Api, assert_problem, token_for
from tests.db_support import empty_all_tables
from tests.test_security_attacks import XSS, inspect_page
from tests.web import login
from tracker.core.database import transaction
from tracker.exchanges import services as exchanges
from tracker.extensions import db
from tracker.search.queries import search, terms
from tracker.tasks import services as tasks
from tracker.tasks.models import Task, TaskNote


def found(query: str) -> list[tuple[str, int]]:
    hits, _more = search(query, limit=100)
    return [(hit.kind, hit.id) for hit in hits]


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_word_only_in_the_minutes_finds_the_exchange(make):
    exchange = make.exchange(title="Smart City Exchange in Lübeck", location="TraveKom",
                             description="Vorgestellt: LoRaWAN-Sensoren im Hafen")
    assert ("exchange", exchange.id) in found("LoRaWAN")
    assert ("exchange", exchange.id) in found("travekom")  # the place, any case
    assert found("lorawan sensoren") == [("exchange", exchange.id)]  # every word must occur


def test_every_kind_is_found_by_its_fields(make):
    org = make.organisation(name="Landeshauptstadt Kiel", short_name="KielRegion")
    person = make.person(name="Mehmet Yilmaz", email="geheim-adresse@kiel.example")
    exchange = make.exchange(title="Besuch Kiel")
    outcome = make.outcome(exchange, text="Gemeinsame Datenplattform aufbauen")
    task = make.task(title="Konzept schicken", description="Mit Quartiersbezug",
                     owner_id=person.id)
    with transaction():
        db.session.add(TaskNote(task_id=task.id, text="Entwurf liegt beim Kreis Plön"))
    assert ("organisation", org.id) in found("KielRegion")
    assert ("person", person.id) in found("Yilmaz")
    assert found("geheim") == []  # e-mail addresses are not searched
    assert ("outcome", outcome.id) in found("Datenplattform")
    assert ("task", task.id) in found("Quartiersbezug")
    assert ("task", task.id) in found("Plön")  # a note on the task


def test_a_title_match_ranks_above_a_match_in_the_text(make):
    in_text = make.task(title="Rückmeldung geben",
                        description="Es geht um den Zuschnitt der Förderkulisse")
    in_title = make.task(title="Förderkulisse prüfen")
    assert found("Förderkulisse")[:2] == [("task", in_title.id), ("task", in_text.id)]


def test_prefixes_and_letters_without_their_accents_match(make):
    task = make.task(title="Städtenetzwerk einladen")
    assert ("task", task.id) in found("Städtenetz")
    assert ("task", task.id) in found("stadtenetzwerk")  # typed without the umlaut


def test_workshop_and_workshops_find_each_other(make):
    one = make.outcome(text="Ein Workshop zur Datenstrategie")
    many = make.outcome(text="Zwei Workshops mit Kiel")
    assert set(found("Workshop")) >= {("outcome", one.id), ("outcome", many.id)}
    assert set(found("Workshops")) >= {("outcome", one.id), ("outcome", many.id)}


@pytest.mark.parametrize("query,stored", [
    ("Stadt", "Besuch der Städte an der Ostsee"),
    ("Städte", "Die Stadt Lübeck lädt ein"),
    ("Hafen", "Drei Häfen vernetzen"),
    ("Häuser", "Das Haus der Wissenschaft"),
    ("Länder", "Das Land Schleswig-Holstein fördert"),
    ("Berichten", "Bericht über LoRaWAN"),
    ("Stadt", "Das Städtenetzwerk trifft sich"),
])
def test_german_word_forms_find_each_other_on_postgresql(make, query, stored):
    if not is_postgres():
        pytest.skip("German stemming is PostgreSQL's (SQLite's FTS5 has no German stemmer)")
    task = make.task(title="Aufgabe", description=stored)
    assert ("task", task.id) in found(query)


def test_the_index_follows_every_write(make):
    task = make.task(title="Altbau sanieren")
    with transaction():
        tasks.update_task(task, None, {"title": "Neubau planen"})
    assert found("Altbau") == [] and found("Neubau") == [("task", task.id)]
    with transaction():
        note = TaskNote(task_id=task.id, text="Statiker beauftragt")
        db.session.add(note)
    assert found("Statiker") == [("task", task.id)]
    with transaction():
        db.session.delete(note)
    assert found("Statiker") == []


def test_nothing_from_deleted_records_and_back_after_a_restore(make):
    exchange = make.exchange(title="Zukunftswerkstatt Greifswald")
    outcome = make.outcome(exchange, text="Zukunftswerkstatt jährlich wiederholen")
    task = make.task(title="Zukunftswerkstatt auswerten", exchange_id=exchange.id,
                     outcome_id=outcome.id)
    assert len(found("Zukunftswerkstatt")) == 3
    with transaction():
        exchanges.delete_exchange(exchange, None)  # outcomes and tasks go with it
    assert found("Zukunftswerkstatt") == []
    with transaction():
        exchanges.restore_exchange(exchange, None)
    assert set(found("Zukunftswerkstatt")) == {
        ("exchange", exchange.id), ("outcome", outcome.id), ("task", task.id)}
    with transaction():
        tasks.delete_task(task, None)
    assert ("task", task.id) not in found("Zukunftswerkstatt")


@pytest.mark.parametrize("query", [
    '"', "'", '"Lübeck', "*", "Lüb*", "NEAR(a b)", "a NEAR b", "-Lübeck", "Lübeck -Kiel",
    "((", "Lübeck)", "AND", "OR OR", "NOT Kiel", "title:Lübeck", "^Lübeck", "a + b",
    "'; DROP TABLE tasks; --", "\\", "Lübeck & | ! <-> :*", "\x00Lübeck", "²³", "_", "x" * 5000,
    "ǅ ﬁ Ⅷ ½ 〇", "💥 Lübeck",
])
def test_query_syntax_is_only_text(web, world, query):
    login(web, world.viewer)
    response = web.get("/search", query_string={"q": query})
    assert response.status_code == 200, query
    hits, _more = search(query)
    assert all(hit.kind in ("exchange", "outcome", "task", "person", "organisation")
               for hit in hits)


def test_terms_are_plain_words():
    assert terms('"Lübeck" NEAR(Kiel*) -Rostock') == ["lübeck", "near", "kiel", "rostock"]
    assert terms("a_b") == ["a", "b"]
    assert len(terms(" ".join(f"w{n}" for n in range(50)))) == 8


def test_the_page_marks_matches_on_escaped_text(web, world, make):
    make.task(title=f"{XSS} Lageplan", description=f"Siehe {XSS} und den Lageplan im Anhang",
              owner_id=world.editor.id)
    login(web, world.viewer)
    response = web.get("/search", query_string={"q": "Lageplan"})
    body = response.get_data(as_text=True)
    injected, _text = inspect_page(body)
    assert injected == []
    assert "<mark>Lageplan</mark>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    # A search for the markup itself marks the words, never passes the tags.
    response = web.get("/search", query_string={"q": "alert"})
    body = response.get_data(as_text=True)
    assert inspect_page(body)[0] == []
    assert "<mark>alert</mark>" in body


def test_the_header_field_is_on_every_page_and_leads_to_the_search(web, world):
    login(web, world.viewer)
    for path in ("/", "/tasks", "/exchanges", "/review"):
        body = web.get(path).get_data(as_text=True)
        assert re.search(r'<form[^>]*action="/search"[^>]*role="search"', body), path
    response = web.get("/search", query_string={"q": "Protokoll"})
    body = response.get_data(as_text=True)
    assert f'href="/tasks/{world.viewer_task.id}"' in body
    assert 'value="Protokoll"' in body


def test_the_page_links_every_kind(web, world, make):
    login(web, world.viewer)
    body = web.get("/search", query_string={"q": "Lübeck"}).get_data(as_text=True)
    assert f'href="/exchanges/{world.exchange.id}"' in body
    assert f'href="/exchanges/{world.exchange.id}#outcome-{world.outcome.id}"' in body
    assert "Vereinbart bei Besuch in Lübeck" in body
    assert f"/tasks?organisation_id={world.luebeck.id}" in body
    body = web.get("/search", query_string={"q": "Mehmet"}).get_data(as_text=True)
    assert f"/tasks?owner_id={world.viewer.id}" in body


def test_the_page_is_paginated(web, world, make):
    for n in range(55):
        make.task(title=f"Sensorstandort {n}", owner_id=world.editor.id)
    login(web, world.viewer)
    first = web.get("/search", query_string={"q": "Sensorstandort"}).get_data(as_text=True)
    assert first.count('class="card search-hit') == 50
    assert 'rel="next"' in first
    second = web.get("/search", query_string={"q": "Sensorstandort", "page": 2})
    body = second.get_data(as_text=True)
    assert body.count('class="card search-hit') == 5 and 'rel="next"' not in body


def test_the_page_without_words_and_in_english(web, world, english):
    login(web, world.viewer, locale="en")
    body = web.get("/search").get_data(as_text=True)
    assert "Search exchanges and their minutes" in body
    body = web.get("/search", query_string={"q": "Nirgendwo"}).get_data(as_text=True)
    assert "Nothing found" in body


def test_the_api_searches_and_pages(client, world, make):
    for n in range(5):
        make.task(title=f"Radverkehrszählung {n}", owner_id=world.editor.id)
    deleted = make.task(title="Radverkehrszählung gelöscht", owner_id=world.editor.id)
    with transaction():
        tasks.delete_task(deleted, None)
    api = Api(client, token_for(world.viewer), world.viewer)
    first = api.get("/search?q=Radverkehrszählung&limit=3").get_json()
    assert len(first["items"]) == 3 and first["next"]
    item = first["items"][0]
    assert set(item) == {"type", "id", "title", "snippet"} and item["type"] == "task"
    assert "\x02" not in item["title"] and "<mark>" not in item["title"]
    second = api.get(f"/search?q=Radverkehrszählung&limit=3&cursor={first['next']}").get_json()
    assert len(second["items"]) == 2 and second["next"] is None
    ids = {i["id"] for i in first["items"] + second["items"]}
    assert len(ids) == 5 and deleted.id not in ids
    minutes = make.exchange(title="Austausch", description="Wir sprachen über LoRaWAN")
    items = api.get("/search?q=lorawan").get_json()["items"]
    [hit] = [i for i in items if i["type"] == "exchange"]
    assert hit["id"] == minutes.id and hit["title"] == "Austausch"
    assert "sprachen über LoRaWAN" in hit["snippet"]


def test_the_api_refuses_what_it_cannot_read(client, world):
    api = Api(client, token_for(world.viewer), world.viewer)
    assert_problem(api.get("/search"), 422, "q")
    assert_problem(api.get("/search?q=" + "x" * 201), 422, "q")
    assert_problem(api.get("/search?q=a&cursor=nonsense"), 422, "cursor")
    assert_problem(api.get("/search?q=a&limit=101"), 422, "limit")
    assert client.get("/api/v1/search?q=a").status_code == 401
    assert api.get("/search?q=%22%20NEAR(").get_json() == {"items": [], "next": None}


def test_signed_out_visitors_are_sent_to_sign_in(web):
    assert web.get("/search?q=Kiel").status_code in (302, 303)


def test_import_and_restore_leave_the_index_right(make, runner, tmp_path):
    exchange = make.exchange(title="Hafenrundgang", description="Minutes: Landstrom")
    task = make.task(title="Landstrom prüfen")
    gone = make.task(title="Landstrom verworfen")
    with transaction():
        tasks.delete_task(gone, None)
    with transaction():
        db.session.add(TaskNote(task_id=task.id, text="Anschluss Ostkai"))
    ids = {"exchange": exchange.id, "task": task.id, "gone": gone.id}
    export = tmp_path / "export.json"
    assert runner.invoke(args=["export", str(export)]).exit_code == 0
    db.session.remove()
    empty_all_tables()
    assert found("Landstrom") == []
    result = runner.invoke(args=["import", str(export)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert set(found("Landstrom")) == {("exchange", ids["exchange"]), ("task", ids["task"])}
    assert found("Ostkai") == [("task", ids["task"])]
    with transaction():
        tasks.restore_task(db.session.get(Task, ids["gone"]), None)
    assert ("task", ids["gone"]) in found("Landstrom")


def test_the_index_holds_exactly_the_live_records(make):
    make.task(title="Eins")
    dropped = make.task(title="Zwei")
    with transaction():
        tasks.delete_task(dropped, None)
    table = "search_entries" if is_postgres() else "search_fts"
    rows = db.session.execute(text(f"SELECT kind, count(*) FROM {table} GROUP BY kind"))
    kinds = dict(rows.all())
    assert kinds["task"] == 1


def test_the_exchange_list_finds_a_word_in_the_place_or_the_minutes(web, world, make):
    make.exchange(title="Besuch TraveKom", all_day=True, start_date=world.later.start_date,
                  location="Lübeck", description="LoRaWAN-Gateways am Hafen")
    login(web, world.viewer)
    assert "Besuch TraveKom" in web.get("/exchanges?q=lorawan").get_data(as_text=True)
    assert "Besuch TraveKom" in web.get("/exchanges?q=Lübeck").get_data(as_text=True)
    assert "Besuch TraveKom" not in web.get("/exchanges?q=Kiel").get_data(as_text=True)


def test_every_indexed_table_has_its_search_triggers(ctx):
    """A later migration that recreates one of these tables (SQLite's batch mode) would drop
    its triggers and leave the index stale: this names the table."""
    tables = {"exchanges", "outcomes", "tasks", "task_notes", "people", "organisations"}
    if is_postgres():
        rows = db.session.execute(text(
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
            " WHERE trigger_name LIKE 'search_%'"))
    else:
        rows = db.session.execute(text(
            "SELECT tbl_name, upper(substr(name, length(tbl_name) + 9)) FROM sqlite_master"
            " WHERE type = 'trigger' AND name LIKE 'search_%'"))
    found: dict[str, set[str]] = {}
    for table, event in rows:
        found.setdefault(table, set()).add(event)
    assert found == dict.fromkeys(tables, {"INSERT", "UPDATE", "DELETE"})

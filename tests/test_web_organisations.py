"""The organisation pages: what a partner committed to, its people, exchanges and series,
when it last reported; the list's counts; editors adding organisations and contacts."""

from __future__ import annotations

from datetime import timedelta

from tests.web import a_date, fresh, login, post
from tracker.core.database import transaction
from tracker.organisations.models import Organisation
from tracker.partners.services import create_link
from tracker.tasks import services as tasks


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_page_shows_overdue_first_then_open_then_done(web, world, make):
    done = make.task(title="Persona-Material schicken", organisation_id=world.luebeck.id,
                     owner_id=world.editor.id, exchange_id=world.exchange.id)
    with transaction():
        tasks.complete_task(done, None)
    make.task(title="Später", organisation_id=world.luebeck.id, owner_id=world.editor.id,
              due_date=a_date(20))
    make.task(title="Kiels Aufgabe", organisation_id=world.kiel.id, owner_id=world.editor.id)
    login(web, world.viewer, locale="en")
    page = _html(web.get(f"/organisations/{world.luebeck.id}"))
    overdue, later, finished = (page.index("Protokoll verschicken"), page.index("Später"),
                                page.index("Persona-Material schicken"))
    assert page.index('id="overdue-h"') < overdue < page.index('id="open-h"') < later
    assert later < page.index('id="done-h"') < finished
    assert "Kiels Aufgabe" not in page
    assert "Besuch in Lübeck" in page and "Governance-Workshop" in page
    assert "Last reported" in page and "never" in page


def test_the_page_shows_its_people_and_when_it_last_reported(web, world, make):
    make.person(name="Kirsten Kontakt", organisation_id=world.kiel.id)
    with transaction():
        tasks.add_note(world.editor_task, world.editor, "Von uns, zählt nicht")
    login(web, world.editor, locale="en")
    page = _html(web.get(f"/organisations/{world.kiel.id}"))
    assert "Kirsten Kontakt" in page and "Last reported" in page and "never" in page
    kiel, task = fresh(world.kiel), fresh(world.editor_task)
    with transaction():
        link = create_link(kiel, None)
        tasks.add_note(task, None, "Termin steht", organisation_id=kiel.id,
                       partner_link_id=link.id)
    page = _html(web.get(f"/organisations/{world.kiel.id}"))
    assert "never" not in page.split("Last reported")[1][:200]


def test_the_page_names_the_series_of_its_exchanges(web, world, make):
    from tracker.extensions import db
    from tracker.series.models import Series

    series = Series(title="Smart City-Werkstatt", all_day=True, start_date=a_date(0))
    db.session.add(series)
    db.session.flush()
    world.later.series_id = series.id
    db.session.commit()
    login(web, world.viewer)
    assert "Smart City-Werkstatt" in _html(web.get(f"/organisations/{world.luebeck.id}"))


def test_the_list_links_each_organisation_with_its_open_and_overdue_counts(web, world, make):
    make.task(title="Noch eine", organisation_id=world.luebeck.id, owner_id=world.editor.id,
              due_date=a_date(-1))
    make.task(title="Offen", organisation_id=world.luebeck.id, owner_id=world.editor.id,
              due_date=a_date(5))
    login(web, world.viewer)
    page = _html(web.get("/organisations"))
    row = page[page.index(f'href="/organisations/{world.luebeck.id}"'):]
    row = row[:row.index("</tr>")]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num')[1:]]
    assert [c.split(">")[-1] for c in cells] == ["3", "2"]
    assert "Hinzufügen" not in page or "Organisation hinzufügen" not in page


def test_an_unknown_organisation_is_404(web, world):
    login(web, world.viewer)
    assert web.get("/organisations/999999").status_code == 404


def test_an_editor_adds_an_organisation_in_english_but_cannot_mark_it_home(web, world):
    login(web, world.editor)
    assert "home" not in _html(web.get("/organisations/new")).lower().split("<form")[1]
    response = post(web, "/organisations/new", {
        "name": "City of Turku", "short_name": "Turku", "kind": "city", "country": "FI",
        "locale": "en", "active": "y", "home": "y"})
    assert response.status_code == 302
    from sqlalchemy import select

    from tracker.extensions import db

    turku = db.session.scalar(select(Organisation).where(Organisation.name == "City of Turku"))
    assert turku.locale == "en" and turku.home is False
    assert response.headers["Location"] == f"/organisations/{turku.id}"


def test_an_admin_marks_the_home_organisation(web, world):
    login(web, world.admin)
    response = post(web, f"/organisations/{world.kiel.id}/edit", {
        "name": "Landeshauptstadt Kiel", "kind": "city", "locale": "de", "active": "y",
        "home": "y", "version": str(world.kiel.version)})
    assert response.status_code == 302 and fresh(world.kiel).home is True


def test_an_editor_keeps_the_home_mark_when_saving(web, world, make):
    with transaction():
        from tracker.organisations.services import update_organisation

        update_organisation(world.kiel, None, {"home": True})
    login(web, world.editor)
    response = post(web, f"/organisations/{world.kiel.id}/edit", {
        "name": "Landeshauptstadt Kiel", "kind": "city", "locale": "de", "active": "y",
        "version": str(fresh(world.kiel).version)})
    assert response.status_code == 302 and fresh(world.kiel).home is True


def test_a_bad_language_is_a_form_message(web, world):
    login(web, world.editor)
    response = post(web, "/organisations/new", {"name": "Neu", "kind": "city", "locale": "fr"})
    assert response.status_code == 400 and 'id="locale-error"' in response.get_data(as_text=True)
    from sqlalchemy import select

    from tracker.extensions import db

    assert db.session.scalar(select(Organisation).where(Organisation.name == "Neu")) is None


def test_a_stale_save_by_an_editor_is_refused(web, world):
    from tracker.organisations.services import update_organisation

    version = world.kiel.version
    with transaction():
        update_organisation(world.kiel, world.admin, {"short_name": "KI"})
    login(web, world.editor)
    response = post(web, f"/organisations/{world.kiel.id}/edit", {
        "name": "Landeshauptstadt Kiel", "short_name": "Kiel", "kind": "city",
        "version": str(version)})
    assert response.status_code == 409 and fresh(world.kiel).short_name == "KI"


def test_an_editor_adds_and_edits_a_contact_but_gives_no_login(web, world):
    login(web, world.editor)
    response = post(web, "/people/new", {"name": "Kirsten Kontakt", "email": "k@kiel.example",
                                         "organisation_id": world.kiel.id, "active": "y",
                                         "role": "admin", "password": "x" * 20})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organisations/{world.kiel.id}"
    from sqlalchemy import select

    from tracker.accounts.models import Person
    from tracker.extensions import db

    kirsten = db.session.scalar(select(Person).where(Person.name == "Kirsten Kontakt"))
    assert kirsten.role is None and kirsten.password_hash is None
    response = post(web, f"/people/{kirsten.id}/edit", {
        "name": "Kirsten K.", "email": "k@kiel.example", "organisation_id": world.kiel.id,
        "active": "y", "version": str(kirsten.version)})
    assert response.status_code == 302 and fresh(kirsten).name == "Kirsten K."
    assert web.get(f"/people/{world.viewer.id}/edit").status_code == 403


def test_people_new_takes_the_organisation_from_the_link(web, world):
    login(web, world.editor)
    page = _html(web.get(f"/people/new?organisation_id={world.kiel.id}"))
    assert f'<option value="{world.kiel.id}" selected>' in page


def test_a_task_due_long_ago_counts_as_overdue_once(ctx, world):
    from tracker.organisations.queries import open_counts

    counts = open_counts([world.luebeck.id, world.kiel.id], a_date(0) + timedelta(days=3))
    assert (counts[world.luebeck.id].open, counts[world.luebeck.id].overdue) == (1, 1)
    assert (counts[world.kiel.id].open, counts[world.kiel.id].overdue) == (1, 1)


# -- added from inside the exchange and task forms ----------------------------------------

def test_an_organisation_added_inline_answers_with_the_new_option(web, world):
    login(web, world.editor)
    page = _html(web.get("/exchanges/new"))
    assert 'data-inline-url="/organisations/inline"' in page
    assert 'data-target="organisation_ids"' in page
    assert 'href="/organisations/new?next=' in page
    response = post(web, "/organisations/inline", {"new_org-name": "City of Turku",
                                                   "new_org-locale": "en"},
                    headers={"Accept": "application/json"})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["ok"] is True and answer["label"] == "City of Turku"
    turku = db_get(Organisation, answer["id"])
    assert turku.locale == "en"
    assert f'value="{turku.id}"' in _html(web.get("/exchanges/new"))


def test_a_refused_inline_organisation_answers_with_messages(web, world):
    login(web, world.editor)
    response = post(web, "/organisations/inline", {"new_org-name": "landeshauptstadt kiel"})
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["ok"] is False and answer["errors"]["name"]
    assert post(web, "/organisations/inline", {"new_org-name": ""}).status_code == 400


def test_a_person_added_inline_is_a_contact_without_login(web, world):
    login(web, world.editor)
    page = _html(web.get("/tasks/new"))
    assert 'data-inline-url="/people/inline"' in page and 'data-target="owner_id"' in page
    response = post(web, "/people/inline", {"new_person-name": "Kirsten Kontakt",
                                            "new_person-email": "kirsten@kiel.example"})
    assert response.status_code == 200, response.get_data(as_text=True)
    from tracker.accounts.models import Person

    kirsten = db_get(Person, response.get_json()["id"])
    assert kirsten.role is None and kirsten.email == "kirsten@kiel.example"
    bad = post(web, "/people/inline", {"new_person-name": "X", "new_person-email": "nope"})
    assert bad.status_code == 400 and bad.get_json()["errors"]["email"]


def test_viewers_see_no_inline_boxes_and_may_not_post(web, world):
    login(web, world.viewer)
    assert post(web, "/organisations/inline", {"new_org-name": "Husum"}).status_code == 403
    assert post(web, "/people/inline", {"new_person-name": "Husum"}).status_code == 403


def test_the_full_form_goes_back_to_the_form_it_was_opened_from(web, world):
    login(web, world.editor)
    response = post(web, "/organisations/new?next=/tasks/new%3F", {
        "name": "Stadt Husum", "kind": "city", "locale": "de", "active": "y"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/tasks/new")
    response = post(web, "/organisations/new?next=https://evil.example/", {
        "name": "Stadt Heide", "kind": "city", "locale": "de", "active": "y"})
    assert response.headers["Location"].startswith("/organisations/")


def db_get(model, ident):
    from tracker.extensions import db

    db.session.rollback()
    return db.session.get(model, ident)


def test_the_api_shows_one_organisation(make, client):
    from tests.api_support import api_as, assert_problem

    api = api_as(make, client, "viewer")
    turku = make.organisation(name="City of Turku", locale="en")
    body = api.get(f"/organisations/{turku.id}").get_json()
    assert body["id"] == turku.id and body["locale"] == "en" and body["home"] is False
    assert_problem(api.get("/organisations/99999999"), 404)

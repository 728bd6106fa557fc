"""The task list and its URL filters, the task page, create/edit with stale versions,
one-click check-off with and without JavaScript, bulk check-off, undo and CSV."""

from __future__ import annotations

import csv
import io

from tests.web import a_date, fresh, login, post
from tracker.core import audit
from tracker.extensions import db
from tracker.tasks.models import Task


def test_task_list_filters_live_in_the_url(web, world, make):
    make.task(title="Erledigt längst", owner_id=world.editor.id)
    login(web, world.editor)
    page = web.get("/tasks").get_data(as_text=True)
    assert "Protokoll verschicken" in page and "Raum buchen" in page
    page = web.get(f"/tasks?owner_id={world.viewer.id}").get_data(as_text=True)
    assert "Protokoll verschicken" in page and "Raum buchen" not in page
    page = web.get(f"/tasks?organisation_id={world.kiel.id}").get_data(as_text=True)
    assert "Raum buchen" in page and "Protokoll verschicken" not in page
    page = web.get("/tasks?overdue=1").get_data(as_text=True)
    assert "Protokoll verschicken" in page and "Raum buchen" not in page
    page = web.get("/tasks?q=RAUM").get_data(as_text=True)
    assert "Raum buchen" in page and "Protokoll verschicken" not in page
    page = web.get(f"/tasks?due_after={a_date(1)}&due_before={a_date(5)}").get_data(as_text=True)
    assert "Raum buchen" in page and "Protokoll verschicken" not in page
    page = web.get(f"/tasks?exchange_id={world.exchange.id}&sort=title").get_data(as_text=True)
    assert page.index("Protokoll verschicken") < page.index("Raum buchen")
    # Nonsense in the URL is ignored, not an error.
    assert web.get("/tasks?owner_id=abc&due_after=never&sort=;drop&page=-4").status_code == 200


def test_search_ignores_case_beyond_ascii(web, world, make):
    make.task(title="ÜBERGABE der Öffnungszeiten", owner_id=world.editor.id)
    make.organisation(name="Ärztekammer Schwerin")
    login(web, world.admin)
    assert "ÜBERGABE" in web.get("/tasks?q=übergabe").get_data(as_text=True)
    assert "ÜBERGABE" in web.get("/tasks?q=öffnungszeiten").get_data(as_text=True)
    assert "Ärztekammer" in web.get("/organisations?q=ärzte").get_data(as_text=True)


def test_task_list_is_paginated(web, world, make):
    for n in range(55):
        make.task(title=f"Massenaufgabe {n:02d}", owner_id=world.editor.id, due_date=a_date(9))
    login(web, world.editor)
    first = web.get("/tasks?q=Massenaufgabe").get_data(as_text=True)
    assert "Seite 1 von 2" in first and "Massenaufgabe 00" in first
    second = web.get("/tasks?q=Massenaufgabe&page=2").get_data(as_text=True)
    assert "Massenaufgabe 54" in second and "Massenaufgabe 00" not in second


def test_task_page_shows_its_history(web, world):
    login(web, world.editor)
    post(web, f"/tasks/{world.editor_task.id}/complete")
    page = web.get(f"/tasks/{world.editor_task.id}").get_data(as_text=True)
    assert "Verlauf" in page and "angelegt" in page and "abgehakt" in page
    assert "Jonas Editor" in page


def test_editor_creates_and_edits_a_task(web, world):
    login(web, world.editor)
    assert web.get("/tasks/new").status_code == 200
    response = post(web, "/tasks/new", {
        "title": "Persona-Unterlagen anfragen", "owner_id": world.viewer.id,
        "organisation_id": world.luebeck.id, "exchange_id": world.exchange.id,
        "outcome_id": world.outcome.id, "due_date": str(a_date(7)), "due_time": "10:30",
        "due_exchange_id": "", "description": "Bei TraveKom", "version": "",
    })
    assert response.status_code == 302
    task = db.session.scalar(db.select(Task).where(Task.title == "Persona-Unterlagen anfragen"))
    assert task.owner_id == world.viewer.id and task.due_time.hour == 10
    response = post(web, f"/tasks/{task.id}/edit", {
        "title": "Persona-Unterlagen anfordern", "owner_id": world.editor.id,
        "organisation_id": "", "exchange_id": world.exchange.id, "outcome_id": "",
        "due_date": "", "due_time": "", "due_exchange_id": world.later.id,
        "description": "", "version": str(task.version),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    task = fresh(task)
    assert task.title == "Persona-Unterlagen anfordern"
    assert task.due_exchange_id == world.later.id and task.due_date == a_date(30)


def test_form_errors_are_shown_at_the_field(web, world):
    login(web, world.editor)
    response = post(web, "/tasks/new", {"title": "", "owner_id": "", "due_time": "09:00"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="title-error"' in page and 'id="owner_id-error"' in page
    response = post(web, "/tasks/new", {"title": "Zeit ohne Datum", "owner_id": world.editor.id,
                                        "due_time": "09:00"})
    assert response.status_code == 400
    assert 'id="due_time-error"' in response.get_data(as_text=True)
    assert "Eine Uhrzeit braucht ein Fälligkeitsdatum." in response.get_data(as_text=True)


def test_a_stale_save_shows_both_versions_and_keeps_the_input(web, world, make):
    from tracker.core.database import transaction
    from tracker.tasks.services import update_task

    login(web, world.editor)
    task = world.editor_task
    version = task.version
    with transaction():
        update_task(task, world.admin, {"title": "Raum buchen (von Anna geändert)"})
    response = post(web, f"/tasks/{task.id}/edit", {
        "title": "Raum buchen (meine Fassung)", "owner_id": world.editor.id,
        "due_date": str(a_date(2)), "version": str(version),
    })
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Inzwischen von jemand anderem geändert" in page
    assert "Raum buchen (von Anna geändert)" in page  # theirs
    assert 'value="Raum buchen (meine Fassung)"' in page  # mine, still in the form
    assert fresh(task).title == "Raum buchen (von Anna geändert)"
    # Saving again (with the version now shown) deliberately overwrites.
    new_version = page.split('id="version" name="version" type="hidden" value="')[1].split('"')[0]
    response = post(web, f"/tasks/{task.id}/edit", {
        "title": "Raum buchen (meine Fassung)", "owner_id": world.editor.id,
        "due_date": str(a_date(2)), "version": new_version,
    })
    assert response.status_code == 302
    assert fresh(task).title == "Raum buchen (meine Fassung)"


def test_check_off_without_javascript_redirects_back_with_undo(web, world):
    login(web, world.viewer)
    response = post(web, f"/tasks/{world.viewer_task.id}/complete", {"next": "/"})
    assert response.status_code == 302 and response.location == "/"
    assert fresh(world.viewer_task).status == "done"
    page = web.get("/").get_data(as_text=True)
    assert "Rückgängig" in page and "1 Aufgabe abgehakt." in page
    response = post(web, "/tasks/undo", {"ids": [world.viewer_task.id], "next": "/"})
    assert response.status_code == 302
    assert fresh(world.viewer_task).status == "open"


def test_check_off_with_javascript_answers_json_with_the_new_row(web, world):
    login(web, world.viewer)
    response = post(web, f"/tasks/{world.viewer_task.id}/complete",
                    headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "done"
    assert f'id="task-{world.viewer_task.id}"' in data["html"] and "Wieder öffnen" in data["html"]
    response = post(web, f"/tasks/{world.viewer_task.id}/reopen",
                    headers={"Accept": "application/json"})
    assert response.get_json()["status"] == "open"
    assert [e.action for e in audit.history(fresh(world.viewer_task))] == [
        "create", "complete", "reopen"]


def test_viewer_may_check_off_only_own_tasks(web, world):
    login(web, world.viewer)
    assert post(web, f"/tasks/{world.editor_task.id}/complete").status_code == 403
    response = post(web, f"/tasks/{world.editor_task.id}/complete",
                    headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.get_json()["ok"] is False
    assert fresh(world.editor_task).status == "open"
    page = web.get("/tasks").get_data(as_text=True)
    # No check-off button on someone else's task for a viewer.
    assert f'/tasks/{world.editor_task.id}/complete' not in page
    assert f'/tasks/{world.viewer_task.id}/complete' in page


def test_bulk_check_off_and_undo(web, world, make):
    third = make.task(title="Dritte", owner_id=world.editor.id)
    login(web, world.editor)
    ids = [world.viewer_task.id, world.editor_task.id, third.id]
    response = post(web, "/tasks/bulk-complete", {"ids": ids, "next": "/tasks"})
    assert response.status_code == 302
    assert {fresh(t).status for t in (world.viewer_task, world.editor_task, third)} == {"done"}
    page = web.get("/tasks").get_data(as_text=True)
    assert "3 Aufgaben abgehakt." in page
    post(web, "/tasks/undo", {"ids": ids, "next": "/tasks"})
    assert {fresh(t).status for t in (world.viewer_task, world.editor_task, third)} == {"open"}


def test_bulk_check_off_skips_what_a_viewer_may_not_check_off(web, world):
    login(web, world.viewer)
    post(web, "/tasks/bulk-complete",
         {"ids": [world.viewer_task.id, world.editor_task.id], "next": "/tasks"})
    assert fresh(world.viewer_task).status == "done"
    assert fresh(world.editor_task).status == "open"


def test_csv_export_follows_the_filters_and_opens_in_excel(web, world, make):
    make.task(title="=HYPERLINK(\"evil\")", owner_id=world.editor.id,
              organisation_id=world.luebeck.id)
    login(web, world.editor)
    response = web.get(f"/tasks.csv?organisation_id={world.luebeck.id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["ID", "Titel", "Status"]
    titles = [r[1] for r in rows[1:]]
    assert "Protokoll verschicken" in titles and "Raum buchen" not in titles
    assert "'=HYPERLINK(\"evil\")" in titles  # no formula injection
    assert any(r[4] == "Hansestadt Lübeck" for r in rows[1:])  # umlauts intact


def test_plan_a_task_as_an_exchange(web, world):
    login(web, world.editor)
    page = web.get(f"/tasks/{world.viewer_task.id}/plan").get_data(as_text=True)
    assert 'value="Protokoll verschicken"' in page
    response = post(web, f"/tasks/{world.viewer_task.id}/plan", {
        "title": "Governance-Workshop in Rostock", "kind": "workshop", "status": "planned",
        "all_day": "y", "start_date": str(a_date(40)), "organisation_ids": [world.luebeck.id],
        "participant_ids": [world.viewer.id], "follows_up_id": world.exchange.id,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    task = fresh(world.viewer_task)
    assert task.plans_exchange_id is not None
    assert response.location == f"/exchanges/{task.plans_exchange_id}"


def test_a_cancelled_task_cannot_be_checked_off_and_says_why(web, world):
    login(web, world.editor)
    post(web, f"/tasks/{world.editor_task.id}/cancel")
    response = post(web, f"/tasks/{world.editor_task.id}/complete", {"next": "/tasks"})
    assert response.status_code == 302
    page = web.get("/tasks").get_data(as_text=True)
    assert "Eine abgesagte Aufgabe muss erst wieder geöffnet werden" in page
    json = post(web, f"/tasks/{world.editor_task.id}/complete",
                headers={"Accept": "application/json"})
    assert json.status_code == 422 and json.get_json()["ok"] is False
    assert fresh(world.editor_task).status == "cancelled"


def test_server_errors_get_the_apps_error_page(web, world, app, monkeypatch):
    from tracker.home import views

    def broken(_person):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "my_groups", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(web, world.editor)
    response = web.get("/")
    assert response.status_code == 500
    assert "Etwas ist schiefgegangen" in response.get_data(as_text=True)


def test_a_date_no_one_means_is_refused_on_the_forms_and_changes_nothing(web, world):
    from tests.web import exchange_form_data, task_form_data

    login(web, world.editor)
    tasks_before = db.session.query(Task).count()
    for day in ("0001-01-01", "9999-12-31"):
        response = post(web, "/tasks/new", {**task_form_data(world), "due_date": day})
        assert response.status_code == 400, day
        assert "zwischen den Jahren 1900 und 2999" in response.text
        response = post(web, "/exchanges/new", {**exchange_form_data(world), "start_date": day})
        assert response.status_code == 400, day
    assert db.session.query(Task).count() == tasks_before


def test_text_filter_finds_ascii_words_in_any_case_and_through_odd_letters(web, world, make):
    """An ASCII word is matched by the database's own LIKE on SQLite; the two letters
    outside ASCII whose lower case is ASCII (the Kelvin sign, dotted İ) still match."""
    make.task(title="Sensoren am HAFEN", owner_id=world.editor.id)
    make.task(title="\u212aLIMASCHUTZ im Quartier", owner_id=world.editor.id)  # Kelvin sign
    make.task(title="Besuch aus \u0130zmir", owner_id=world.editor.id)
    make.task(title="100%_Rabatt", owner_id=world.editor.id)
    login(web, world.admin)
    assert "HAFEN" in web.get("/tasks?q=hafen").get_data(as_text=True)
    assert "LIMASCHUTZ" in web.get("/tasks?q=klimaschutz").get_data(as_text=True)
    # "Besuch aus İzmir" holds no "i" but through İ's lower case, "i̇".
    assert "zmir" in web.get("/tasks?q=i").get_data(as_text=True)
    assert "Rabatt" in web.get("/tasks?q=100%25_").get_data(as_text=True)
    assert "Rabatt" not in web.get("/tasks?q=100%25x").get_data(as_text=True)
    assert "HAFEN" not in web.get("/tasks?q=hafenx").get_data(as_text=True)

"""People and organisations: admins create, edit, deactivate and set roles."""

from __future__ import annotations

from tests.web import PASSWORD, csrf_token, fresh, login, post
from tracker.accounts.models import Person
from tracker.extensions import db
from tracker.organisations.models import Organisation


def test_admin_adds_a_user_who_can_then_sign_in(web, world, app):
    login(web, world.admin)
    assert "Mehmet Viewer" in web.get("/people").get_data(as_text=True)
    response = post(web, "/people/new", {"name": "Lea Hoffmann", "email": "Lea@Rostock.example",
                                         "organisation_id": "", "role": "editor",
                                         "password": "lang genug 123", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    lea = db.session.scalar(db.select(Person).where(Person.email == "lea@rostock.example"))
    assert lea.role == "editor"
    other = app.test_client()
    token = csrf_token(other)
    assert other.post("/login", data={"email": "lea@rostock.example",
                                      "password": "lang genug 123",
                                      "csrf_token": token}).status_code == 302


def test_admin_changes_a_role_and_deactivates(web, world, app):
    login(web, world.admin)
    assert web.get(f"/people/{world.viewer.id}/edit").status_code == 200
    response = post(web, f"/people/{world.viewer.id}/edit", {
        "name": "Mehmet Viewer", "email": world.viewer.email, "organisation_id": "",
        "role": "editor", "password": "", "version": str(world.viewer.version)})
    assert response.status_code == 302
    person = fresh(world.viewer)
    assert person.role == "editor" and person.active is False  # checkbox left unticked
    other = app.test_client()
    token = csrf_token(other)
    assert other.post("/login", data={"email": person.email, "password": PASSWORD,
                                      "csrf_token": token}).status_code == 400


def test_duplicate_email_is_shown_at_the_field(web, world):
    login(web, world.admin)
    response = post(web, "/people/new", {"name": "Doppelt", "email": world.editor.email,
                                         "role": "", "active": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and "Eine andere Person hat diese E-Mail-Adresse." in page


def test_admin_manages_organisations(web, world):
    login(web, world.admin)
    response = post(web, "/organisations/new", {"name": "Turku / Åbo", "short_name": "Turku",
                                                "kind": "city", "country": "fi", "active": "y"})
    assert response.status_code == 302
    turku = db.session.scalar(db.select(Organisation).where(Organisation.short_name == "Turku"))
    assert turku.country == "FI"
    page = web.get("/organisations").get_data(as_text=True)
    assert "Turku / Åbo" in page
    post(web, "/organisations/new", {"name": "Stadt Flensburg", "kind": "city"})
    bad = post(web, "/organisations/new", {"name": "stadt flensburg", "kind": "city"})
    assert bad.status_code == 400 and 'id="name-error"' in bad.get_data(as_text=True)
    response = post(web, f"/organisations/{turku.id}/edit", {
        "name": "Turku / Åbo", "short_name": "Turku", "kind": "city", "country": "FI",
        "version": str(turku.version)})
    assert response.status_code == 302 and fresh(turku).active is False


def test_editors_manage_contacts_and_organisations_but_not_logins(web, world):
    """Editors add and change organisations and contacts; viewers only read organisations;
    a user's login (role, password) stays the admins' business."""
    login(web, world.editor)
    for path in ["/people", "/people/new", "/organisations", "/organisations/new",
                 f"/organisations/{world.kiel.id}", f"/organisations/{world.kiel.id}/edit"]:
        assert web.get(path).status_code == 200, path
    assert web.get(f"/people/{world.admin.id}/edit").status_code == 403
    assert "password" not in web.get("/people/new").get_data(as_text=True)
    post(web, "/logout")
    login(web, world.viewer)
    for path in ["/people", "/people/new", f"/people/{world.admin.id}/edit",
                 "/organisations/new", f"/organisations/{world.kiel.id}/edit"]:
        assert web.get(path).status_code == 403, path
    for path in ["/organisations", f"/organisations/{world.kiel.id}"]:
        assert web.get(path).status_code == 200, path


def test_a_stale_organisation_save_shows_the_saved_version(web, world):
    from tracker.core.database import transaction
    from tracker.organisations.services import update_organisation

    login(web, world.admin)
    version = world.kiel.version
    with transaction():
        update_organisation(world.kiel, world.editor, {"short_name": "KI"})
    response = post(web, f"/organisations/{world.kiel.id}/edit", {
        "name": "Landeshauptstadt Kiel", "short_name": "Kiel (meins)", "kind": "city",
        "active": "y", "version": str(version)})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Inzwischen von jemand anderem geändert" in page
    assert "(KI)" in page and 'value="Kiel (meins)"' in page
    assert fresh(world.kiel).short_name == "KI"

"""People and their roles (admins only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from tracker.accounts import services
from tracker.accounts.models import Person
from tracker.core.database import transaction
from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.limits import PER_PAGE
from tracker.core.validation import search_text
from tracker.extensions import db
from tracker.people.forms import PersonForm
from tracker.web.choices import optional_int
from tracker.web.helpers import admin_required, page_number, show_on_form

bp = Blueprint("people", __name__)


@bp.before_request
@login_required
@admin_required
def _admins_only() -> None:
    """People and roles are the administrators' business."""


@bp.get("/people")
def index() -> ResponseReturnValue:
    """Everyone who owns tasks or signs in, active first."""
    q = search_text(request.args.get("q"))
    stmt = select(Person).order_by(Person.active.desc(), Person.name)
    if q:
        stmt = stmt.where(func.lower(Person.name).contains(q.lower(), autoescape=True))
    pagination = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("people/index.html", pagination=pagination, q=q)


def _save(form: PersonForm, person: Person | None) -> Person | None:
    try:
        with transaction():
            values = form.values()
            if person is None:
                person = services.create_person(
                    current_user, password=form.password.data or None, **values
                )
            else:
                services.update_person(person, current_user, values,
                                       expected_version=optional_int(form.version.data))
                if form.password.data:
                    services.set_password(person, current_user, form.password.data)
    except InvalidField as exc:
        show_on_form(form, exc, {"password": "password"})
        return None
    return person


@bp.route("/people/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    """Admins record a partner who owns tasks, or give a colleague a login."""
    form = PersonForm()
    form.set_choices()
    if form.validate_on_submit():
        person = _save(form, None)
        if person is not None:
            flash(_("%(name)s added.", name=person.name), "success")
            return redirect(url_for("people.index"))
    code = 400 if form.errors or form.form_errors else 200
    return render_template("people/form.html", form=form, person=None), code


@bp.route("/people/<id:person_id>/edit", methods=["GET", "POST"])
def edit(person_id: int) -> ResponseReturnValue:
    """Change a person, their role, password, or deactivate them."""
    person = db.session.get(Person, person_id) or abort(404)
    form = PersonForm(obj=person) if request.method == "GET" else PersonForm()
    form.set_choices()
    if request.method == "GET":
        form.role.data = person.role or ""
        form.version.data = str(person.version)
    conflict = None
    if form.validate_on_submit():
        try:
            saved = _save(form, person)
        except StaleVersion:
            db.session.expire_all()
            conflict = db.session.get_one(Person, person_id)
            form.version.data = str(conflict.version)
            saved = None
        if saved is not None:
            flash(_("%(name)s saved.", name=person.name), "success")
            return redirect(url_for("people.index"))
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("people/form.html", form=form, person=person,
                           conflict=conflict), code

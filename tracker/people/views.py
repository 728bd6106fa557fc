"""People: editors add and change contacts (no login); admins also roles and passwords."""

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
from tracker.core.permissions import can_administer
from tracker.core.validation import search_text
from tracker.extensions import db
from tracker.people.forms import InlinePersonForm, PersonForm
from tracker.web.choices import optional_int
from tracker.web.helpers import (
    editor_required,
    inline_answer,
    page_number,
    safe_next,
    show_on_form,
)

bp = Blueprint("people", __name__)


@bp.before_request
@login_required
@editor_required
def _editors_only() -> None:
    """Editors record contacts; roles and passwords stay the administrators' business."""


def _form(person: Person | None = None) -> PersonForm:
    form = PersonForm(obj=person) if person is not None else PersonForm()
    form.set_choices()
    if not can_administer(current_user):
        del form.role
        del form.password
    return form


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
                    current_user, password=_password(form), **values
                )
            else:
                services.update_person(person, current_user, values,
                                       expected_version=optional_int(form.version.data))
                password = _password(form)
                if password:
                    services.set_password(person, current_user, password)
    except InvalidField as exc:
        show_on_form(form, exc, {"password": "password"})
        return None
    return person


def _password(form: PersonForm) -> str | None:
    return form.password.data or None if "password" in form else None


@bp.route("/people/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    """Editors record a partner who owns tasks; admins also give a colleague a login."""
    form = _form()
    if request.method == "GET":
        form.organisation_id.data = optional_int(request.args.get("organisation_id"))
    if form.validate_on_submit():
        person = _save(form, None)
        if person is not None:
            flash(_("%(name)s added.", name=person.name), "success")
            # Opened from the exchange or task form without script: back there.
            return redirect(safe_next(request.args.get("next"), _after_save(person)))
    code = 400 if form.errors or form.form_errors else 200
    return render_template("people/form.html", form=form, person=None), code


def _after_save(person: Person) -> str:
    """Back to the person's organisation when they have one, where they are listed."""
    if person.organisation_id is not None:
        return url_for("organisations.show", organisation_id=person.organisation_id)
    return url_for("people.index")


@bp.route("/people/<id:person_id>/edit", methods=["GET", "POST"])
def edit(person_id: int) -> ResponseReturnValue:
    """Change a person, their role, password, or deactivate them."""
    person = db.session.get(Person, person_id) or abort(404)
    if person.role is not None and not can_administer(current_user):
        abort(403)  # a user's login, role and password are the admins' business
    form = _form(person) if request.method == "GET" else _form()
    if request.method == "GET" and "role" in form:
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
            return redirect(_after_save(person))
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("people/form.html", form=form, person=person,
                           conflict=conflict), code


@bp.post("/people/inline")
def create_inline() -> ResponseReturnValue:
    """Add a contact (no login) from inside the exchange or task form (app.js, fetch): JSON
    with the new option, which the form then selects."""
    form = InlinePersonForm(prefix="new_person")
    saved = None
    if form.validate_on_submit():
        try:
            with transaction():
                person = services.create_person(
                    current_user, name=form.name.data, email=form.email.data or None
                )
                saved = (person.id, person.name)
        except InvalidField as exc:
            show_on_form(form, exc)
    return inline_answer(form, saved)

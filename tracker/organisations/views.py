"""The organisations the team works with: a page per organisation for everyone signed in;
editors add and change them (only admins mark the home organisation)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from tracker.core.database import transaction
from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.limits import PER_PAGE
from tracker.core.permissions import can_administer
from tracker.core.validation import search_text
from tracker.extensions import db
from tracker.organisations import queries, services
from tracker.organisations.forms import InlineOrganisationForm, OrganisationForm
from tracker.organisations.models import Organisation
from tracker.web.choices import optional_int
from tracker.web.helpers import (
    editor_required,
    inline_answer,
    page_number,
    safe_next,
    show_on_form,
)

bp = Blueprint("organisations", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every organisation page needs a signed-in user."""


@bp.get("/organisations")
def index() -> ResponseReturnValue:
    """Find an organisation by name among many, the active ones first, with its open and
    overdue commitments counted."""
    q = search_text(request.args.get("q"))
    stmt = select(Organisation).order_by(Organisation.active.desc(), Organisation.name)
    if q:
        stmt = stmt.where(func.lower(Organisation.name).contains(q.lower(), autoescape=True))
    pagination = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    counts = queries.open_counts([o.id for o in pagination.items])
    return render_template("organisations/index.html", pagination=pagination, q=q,
                           counts=counts, no_counts=queries.Counts())


@bp.get("/organisations/<id:organisation_id>")
def show(organisation_id: int) -> ResponseReturnValue:
    """What this organisation committed to (overdue first), its people, its exchanges and
    series, and when it last reported through its partner link."""
    org = db.session.get(Organisation, organisation_id) or abort(404)
    return render_template(
        "organisations/show.html", page=queries.organisation_page(org), organisation=org,
        series_pages="series.show" in current_app.view_functions,
    )


def _form(org: Organisation | None = None) -> OrganisationForm:
    form = OrganisationForm(obj=org) if org is not None else OrganisationForm()
    form.set_choices()
    if not can_administer(current_user):
        del form.home
    return form


@bp.route("/organisations/new", methods=["GET", "POST"])
@editor_required
def create() -> ResponseReturnValue:
    """Editors add an organisation before tasks and exchanges can name it."""
    form = _form()
    if form.validate_on_submit():
        try:
            with transaction():
                org = services.create_organisation(current_user, **form.values())
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            flash(_("%(name)s added.", name=org.name), "success")
            # Opened from the exchange or task form without script: back there.
            return redirect(safe_next(request.args.get("next"),
                                      url_for("organisations.show", organisation_id=org.id)))
    code = 400 if form.errors or form.form_errors else 200
    return render_template("organisations/form.html", form=form, organisation=None), code


@bp.route("/organisations/<id:organisation_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(organisation_id: int) -> ResponseReturnValue:
    """Editors correct or deactivate an organisation; a concurrent save is shown, not lost."""
    org = db.session.get(Organisation, organisation_id) or abort(404)
    form = _form(org) if request.method == "GET" else _form()
    if request.method == "GET":
        form.version.data = str(org.version)
    conflict = None
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_organisation(org, current_user, form.values(),
                                             expected_version=optional_int(form.version.data))
        except InvalidField as exc:
            show_on_form(form, exc)
        except StaleVersion:
            db.session.expire_all()
            conflict = db.session.get_one(Organisation, organisation_id)
            form.version.data = str(conflict.version)
        else:
            flash(_("%(name)s saved.", name=org.name), "success")
            return redirect(url_for("organisations.show", organisation_id=org.id))
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("organisations/form.html", form=form, organisation=org,
                           conflict=conflict), code


@bp.post("/organisations/inline")
@editor_required
def create_inline() -> ResponseReturnValue:
    """Add an organisation from inside the exchange or task form (app.js, fetch): JSON with
    the new option, which the form then selects; the form being filled in stays as it is."""
    form = InlineOrganisationForm(prefix="new_org")
    form.set_choices()
    saved = None
    if form.validate_on_submit():
        try:
            with transaction():
                org = services.create_organisation(
                    current_user, name=form.name.data, locale=form.locale.data or "de"
                )
                saved = (org.id, org.label)
        except InvalidField as exc:
            show_on_form(form, exc)
    return inline_answer(form, saved)

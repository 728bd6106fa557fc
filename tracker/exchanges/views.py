"""Exchanges: upcoming and past lists, create/edit, and the exchange page where outcomes
and their tasks are recorded in place."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict

from tracker.core import permissions
from tracker.core.database import transaction
from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.limits import is_id
from tracker.core.validation import search_text
from tracker.exchanges import queries, services
from tracker.exchanges.forms import (
    DocumentForm,
    ExchangeForm,
    OutcomeEditForm,
    OutcomeForm,
    QuickExchangeForm,
)
from tracker.exchanges.models import Exchange, ExchangeDocument, Outcome
from tracker.extensions import db
from tracker.series import queries as series_queries
from tracker.series.rules import describe
from tracker.tasks import services as task_services
from tracker.tasks.forms import QuickTaskForm
from tracker.web import choices, translation_fields
from tracker.web.choices import optional_int
from tracker.web.helpers import (
    editor_required,
    fmt_date,
    fmt_time,
    page_number,
    safe_next,
    show_on_form,
)

bp = Blueprint("exchanges", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every exchange page needs a signed-in user."""


def get_exchange(exchange_id: int) -> Exchange:
    """A deleted exchange is gone for the pages (404), whichever page asks."""
    exchange = queries.exchange_for_page(exchange_id)
    if exchange is None:
        abort(404)
    return exchange


@bp.get("/exchanges")
def index() -> ResponseReturnValue:
    """Upcoming exchanges (soonest first) or past ones (latest first), paginated."""
    when = "past" if request.args.get("when") == "past" else "upcoming"
    q = search_text(request.args.get("q"))
    pagination = queries.exchanges_page(when, page_number(), q)
    counts = queries.open_counts([e.id for e in pagination.items])
    return render_template("exchanges/index.html", pagination=pagination, when=when, q=q,
                           counts=counts)


def _say_which_time(form: ExchangeForm) -> None:
    """Tell the user which of a twice-happening time (clocks go back) was saved."""
    for wall in form.took_first:
        flash(_("%(time)s happens twice on %(day)s (the clocks go back an hour); the tracker "
                "took the first %(time)s (summer time).", time=fmt_time(wall.time()),
                day=fmt_date(wall.date())), "info")


@bp.route("/exchanges/new", methods=["GET", "POST"])
@editor_required
def create() -> ResponseReturnValue:
    """Record a new exchange (timed or all-day, with organisations and participants)."""
    form = ExchangeForm()
    form.set_choices()
    if request.method == "GET":
        form.follows_up_id.data = optional_int(request.args.get("follows_up_id"))
        form.participant_ids.data = [current_user.id]
    if form.validate_on_submit():
        try:
            with transaction():
                exchange = services.create_exchange(current_user, **form.values())
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        else:
            flash(_("Exchange created."), "success")
            _say_which_time(form)
            return redirect(url_for("exchanges.show", exchange_id=exchange.id, _anchor="record"))
    code = 400 if form.errors or form.form_errors else 200
    return render_template("exchanges/form.html", form=form, exchange=None), code


@bp.route("/exchanges/quick", methods=["GET", "POST"])
@editor_required
def quick_create() -> ResponseReturnValue:
    """A new all-day exchange from a title and a date, made while writing down a task due at
    it. app.js asks for JSON and adds it to the lists; without it this is a small page of its
    own (opened beside the form), which goes on to `next`."""
    form = QuickExchangeForm()
    as_json = request.accept_mimetypes.best == "application/json"
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            with transaction():
                exchange = services.create_exchange(
                    current_user, title=form.title.data, all_day=True,
                    start_date=form.start_date.data, kind="other",
                )
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            label = f"{exchange.title} ({fmt_date(exchange.start_date)})"
            if as_json:
                return {"id": exchange.id, "label": label}, 201
            flash(_("Exchange created: %(label)s", label=label), "success")
            return redirect(safe_next(form.next.data,
                                      url_for("exchanges.show", exchange_id=exchange.id)))
    if as_json and request.method == "POST":
        errors = {name: list(f.errors) for name, f in form._fields.items() if f.errors}
        return {"errors": errors or {"csrf_token": [_("Please check the form.")]}}, 400
    code = 400 if form.errors or form.form_errors else 200
    return render_template("exchanges/quick.html", form=form), code


@bp.route("/exchanges/<id:exchange_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(exchange_id: int) -> ResponseReturnValue:
    """Change an exchange; tasks due at it move with it. Stale saves show both versions."""
    exchange = get_exchange(exchange_id)
    form = ExchangeForm()
    form.set_choices(exclude_id=exchange.id)
    if request.method == "GET":
        form.fill(exchange)
    conflict = None
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_exchange(exchange, current_user, form.values(exchange),
                                         expected_version=optional_int(form.version.data))
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        except StaleVersion:
            db.session.expire_all()
            conflict = get_exchange(exchange_id)
            form.version.data = str(conflict.version)
        else:
            flash(_("Exchange saved."), "success")
            _say_which_time(form)
            return redirect(url_for("exchanges.show", exchange_id=exchange.id))
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("exchanges/form.html", form=form, exchange=exchange,
                           conflict=conflict), code


def _task_form(
    outcome_id: int | None = None, formdata: ImmutableMultiDict[str, str] | None = None
) -> QuickTaskForm:
    prefix = f"o{outcome_id}" if outcome_id else "x"
    form = QuickTaskForm(prefix=prefix, formdata=formdata)
    form.outcome_id.data = str(outcome_id or "")
    return form


def editing_forms(
    exchange: Exchange,
    outcome_form: OutcomeForm | None = None,
    task_forms: dict[int | None, QuickTaskForm] | None = None,
) -> tuple[OutcomeForm | None, dict[int | None, QuickTaskForm]]:
    """The outcome form and a quick-task form per outcome (and one without), for editors.

    The exchange page and the agenda page show the same ones."""
    task_forms = dict(task_forms or {})
    if permissions.can_edit(current_user):
        people = choices.people()
        orgs = choices.organisations()
        # "Or due at a later exchange": only those after this one.
        exchanges = choices.exchanges(after=exchange.first_day)
        for key in [None, *[o.id for o in exchange.outcomes]]:
            form = task_forms.get(key) or _task_form(key)
            form.set_choices(exchanges, people, orgs)
            task_forms[key] = form
        if outcome_form is None:
            outcome_form = capture_form(exchange, formdata=None)
        outcome_form.set_choices([(o.id, o.label) for o in exchange.organisations], people,
                                 orgs, exchanges)
        outcome_form.set_language_choices()
    return outcome_form, task_forms


def render_page(
    exchange: Exchange,
    outcome_form: OutcomeForm | None = None,
    task_forms: dict[int | None, QuickTaskForm] | None = None,
    code: int = 200,
    document_form: DocumentForm | None = None,
) -> ResponseReturnValue:
    """A form sent with a mistake comes back on the whole page, the other forms beside it."""
    tasks = queries.tasks_of(exchange)
    by_outcome: dict[int | None, list] = {}
    for task in tasks:
        by_outcome.setdefault(task.outcome_id, []).append(task)
    outcome_form, task_forms = editing_forms(exchange, outcome_form, task_forms)
    history, outcomes_by_id = queries.history_of(exchange)
    previous_meeting, next_meeting = series_queries.neighbours(exchange)
    carried, more = carried_for_page(exchange)
    return render_template(
        "exchanges/show.html",
        carried_more=more,
        carried_shown=len(carried),
        exchange=exchange,
        by_outcome=by_outcome,
        due_here=queries.tasks_due_at(exchange),
        carried_groups=queries.group_by_partner(carried),
        outcome_form=outcome_form,
        task_forms=task_forms,
        document_form=document_form or DocumentForm(formdata=None),
        history=history,
        outcomes_by_id=outcomes_by_id,
        previous_meeting=previous_meeting,
        rule_words=describe(exchange.rrule, exchange.first_day) if exchange.rrule
        and exchange.first_day else None,
        next_meeting=next_meeting,
    ), code


def carried_for_page(exchange: Exchange) -> tuple[list[queries.Carried], bool]:
    """The most pressing carried-over tasks a page shows, and whether there are more."""
    carried = queries.carried_over(exchange, queries.CARRIED_ON_PAGE + 1)
    return carried[:queries.CARRIED_ON_PAGE], len(carried) > queries.CARRIED_ON_PAGE


def _back(exchange: Exchange, anchor: str) -> ResponseReturnValue:
    """Back to the page the form was sent from: the agenda (during the meeting) or here."""
    endpoint = "agenda.show" if request.form.get("back") == "agenda" else "exchanges.show"
    return redirect(url_for(endpoint, exchange_id=exchange.id, _anchor=anchor))


@bp.get("/exchanges/<id:exchange_id>")
def show(exchange_id: int) -> ResponseReturnValue:
    """The exchange, what was agreed, each outcome's tasks, and what is still open."""
    return render_page(get_exchange(exchange_id))


def capture_form(exchange: Exchange, formdata: Any = None, next_url: str = "") -> OutcomeForm:
    """The outcome-and-tasks form, empty: all the exchange's organisations ticked."""
    form = OutcomeForm(formdata=formdata)
    if formdata is None:
        form.organisation_ids.data = [o.id for o in exchange.organisations]
        form.next.data = next_url
    return form


@bp.post("/exchanges/<id:exchange_id>/outcomes")
@editor_required
def add_outcome(exchange_id: int) -> ResponseReturnValue:
    """Record an outcome with its tasks in one go; then the form is there for the next one.

    `next` (a local URL) is where to go on: the exchange page, or the agenda that shows
    this form too.
    """
    exchange = get_exchange(exchange_id)
    form = OutcomeForm()
    form.set_choices(choices.organisations(include_none=False), choices.people(),
                     choices.organisations(), choices.exchanges(after=exchange.first_day))
    form.set_language_choices()
    if form.validate_on_submit():
        rows = form.task_rows()
        try:
            with transaction():
                outcome = services.record_outcome(
                    exchange, current_user, form.text.data or "",
                    form.organisation_ids.data or [], language=form.language.data or "de",
                    translations=form.translations(),
                    tasks=[values for _row, values in rows])
        except services.InvalidRows as exc:
            for problem in exc.outcome:
                show_on_form(form, problem, form.ALIASES)
            for number, problem in exc.rows.items():
                show_on_form(rows[number][0], problem)
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        else:
            flash(ngettext("Outcome recorded with %(num)d task. Here is the next one.",
                           "Outcome recorded with %(num)d tasks. Here is the next one.",
                           len(rows)), "success")
            if request.form.get("back") == "agenda" and not form.next.data:
                return _back(exchange, f"outcome-{outcome.id}")
            back = safe_next(form.next.data, url_for("exchanges.show", exchange_id=exchange.id))
            return redirect(f"{back.split('#')[0]}#record")
    return render_page(exchange, outcome_form=form, code=400)


@bp.post("/exchanges/<id:exchange_id>/tasks")
@editor_required
def add_task(exchange_id: int) -> ResponseReturnValue:
    """Add a task to the exchange (or one of its outcomes), in place."""
    exchange = get_exchange(exchange_id)
    outcome_id = optional_int(request.args.get("outcome_id"))
    if outcome_id is not None:
        outcome = db.session.get(Outcome, outcome_id) if is_id(outcome_id) else None
        if outcome is None or outcome.exchange_id != exchange.id or not outcome.is_live:
            abort(404)
    form = _task_form(outcome_id, formdata=request.form)
    form.set_choices(choices.exchanges(after=exchange.first_day))
    if form.validate_on_submit():
        try:
            with transaction():
                task_services.create_task(
                    current_user,
                    title=form.title.data,
                    owner_id=form.owner_id.data,
                    organisation_id=form.organisation_id.data,
                    exchange_id=exchange.id,
                    outcome_id=outcome_id,
                    due_date=form.due_date.data,
                    due_exchange_id=form.due_exchange_id.data,
                )
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            flash(_("Task added."), "success")
            return _back(exchange, f"outcome-{outcome_id}" if outcome_id else "tasks")
    return render_page(exchange, task_forms={outcome_id: form}, code=400)


@bp.post("/exchanges/<id:exchange_id>/outcomes/<id:outcome_id>/drop")
@editor_required
def drop_outcome(exchange_id: int, outcome_id: int) -> ResponseReturnValue:
    """Mark an outcome as dropped (no longer pursued), or take that back."""
    exchange = get_exchange(exchange_id)
    outcome = db.session.get(Outcome, outcome_id)
    if outcome is None or outcome.exchange_id != exchange.id or not outcome.is_live:
        abort(404)
    dropped = request.form.get("dropped") == "1"
    with transaction():
        services.update_outcome(outcome, current_user, {"dropped": dropped})
    flash(_("Outcome marked as dropped.") if dropped else _("Outcome taken up again."),
          "success")
    return redirect(url_for("exchanges.show", exchange_id=exchange.id,
                            _anchor=f"outcome-{outcome.id}"))


def _outcome_of(exchange: Exchange, outcome_id: int) -> Outcome:
    outcome = db.session.get(Outcome, outcome_id)
    if outcome is None or outcome.exchange_id != exchange.id or not outcome.is_live:
        abort(404)
    return outcome


@bp.route("/exchanges/<id:exchange_id>/outcomes/<id:outcome_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_outcome(exchange_id: int, outcome_id: int) -> ResponseReturnValue:
    """Reword an outcome or change its parties; a stale save shows the current text."""
    exchange = get_exchange(exchange_id)
    outcome = _outcome_of(exchange, outcome_id)
    form = OutcomeEditForm()
    form.organisation_ids.choices = choices.organisations(include_none=False)
    form.set_language_choices()
    if request.method == "GET":
        form.text.data = outcome.text
        form.organisation_ids.data = [o.id for o in outcome.organisations]
        form.version.data = str(outcome.version)
        form.language.data = outcome.language
        translation_fields.load_translations(form, outcome, form.TRANSLATED)
    conflict = None
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_outcome(
                    outcome, current_user,
                    {"text": form.text.data or "",
                     "organisation_ids": form.organisation_ids.data or [],
                     "language": form.language.data or "de",
                     "translations": form.translations()},
                    expected_version=optional_int(form.version.data),
                )
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        except StaleVersion:
            db.session.expire_all()
            conflict = _outcome_of(exchange, outcome_id)
            form.version.data = str(conflict.version)
        else:
            flash(_("Outcome saved."), "success")
            return _back(exchange, f"outcome-{outcome.id}")
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("exchanges/outcome_form.html", form=form, exchange=exchange,
                           outcome=outcome, conflict=conflict), code


@bp.post("/exchanges/<id:exchange_id>/outcomes/<id:outcome_id>/delete")
@editor_required
def delete_outcome(exchange_id: int, outcome_id: int) -> ResponseReturnValue:
    """Delete an outcome with its tasks; the message after it offers to undo it."""
    exchange = get_exchange(exchange_id)
    outcome = _outcome_of(exchange, outcome_id)
    with transaction():
        services.delete_outcome(outcome, current_user)
    session["undo"] = {"restore": "outcomes", "id": outcome.id,
                       "message": _("Outcome deleted: %(text)s", text=outcome.text[:60])}
    return _back(exchange, "outcomes-h")


@bp.post("/exchanges/<id:exchange_id>/documents")
@editor_required
def add_document(exchange_id: int) -> ResponseReturnValue:
    """Keep a link to one of the exchange's documents."""
    exchange = get_exchange(exchange_id)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            with transaction():
                services.add_document(exchange, current_user, form.title.data, form.url.data)
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            flash(_("Document link added."), "success")
            return redirect(url_for("exchanges.show", exchange_id=exchange.id,
                                    _anchor="documents"))
    return render_page(exchange, document_form=form, code=400)


@bp.post("/exchanges/<id:exchange_id>/documents/<id:document_id>/delete")
@editor_required
def remove_document(exchange_id: int, document_id: int) -> ResponseReturnValue:
    """Forget a document link."""
    exchange = get_exchange(exchange_id)
    document = db.session.get(ExchangeDocument, document_id)
    if document is None or document.exchange_id != exchange.id:
        abort(404)
    with transaction():
        services.remove_document(document, current_user)
    flash(_("Document link removed."), "success")
    return redirect(url_for("exchanges.show", exchange_id=exchange.id, _anchor="documents"))


@bp.route("/exchanges/<id:exchange_id>/delete", methods=["GET", "POST"])
@editor_required
def delete(exchange_id: int) -> ResponseReturnValue:
    """Ask first, saying what goes with it; then delete it with its outcomes and tasks.

    The message after it carries an "Undo" that restores all of them (see tracker.trash).
    """
    exchange = get_exchange(exchange_id)
    if request.method == "GET":
        outcomes, tasks = queries.deletion_counts(exchange)
        return render_template("trash/confirm_delete.html", title=exchange.title,
                               kind="exchanges", outcomes=outcomes, tasks=tasks,
                               back=url_for("exchanges.show", exchange_id=exchange.id))
    with transaction():
        services.delete_exchange(exchange, current_user)
    session["undo"] = {"restore": "exchanges", "id": exchange.id,
                       "message": _("Exchange deleted: %(title)s", title=exchange.title)}
    return redirect(url_for("exchanges.index"))

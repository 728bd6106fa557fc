"""The task list with its URL filters, the task page, create/edit, check-off, bulk and undo."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.core import audit
from tracker.core.database import transaction
from tracker.core.errors import Forbidden, InvalidField, StaleVersion
from tracker.core.limits import is_id
from tracker.core.timeutil import to_local
from tracker.exchanges import services as exchange_services
from tracker.exchanges.models import Outcome
from tracker.extensions import db
from tracker.tasks import services
from tracker.tasks.forms import BulkForm, NoteForm, TaskForm
from tracker.tasks.models import Task
from tracker.tasks.queries import TaskFilter, outcomes_with_exchange, page_of_tasks, row_options
from tracker.web import choices
from tracker.web.helpers import (
    csv_response,
    editor_required,
    labels,
    localized,
    page_number,
    safe_next,
    show_on_form,
)

bp = Blueprint("tasks", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every task page needs a signed-in user."""


def get_task(task_id: int) -> Task:
    """A deleted task is gone for the pages (404); its row loads what the page shows."""
    task = db.session.scalar(
        select(Task).where(Task.id == task_id, Task.is_live).options(*row_options())
    )
    if task is None:
        abort(404)
    return task


def wants_json() -> bool:
    """app.js checks off without a reload and asks for JSON; a plain form gets a page."""
    return request.accept_mimetypes.best == "application/json"


@bp.get("/tasks")
def index() -> ResponseReturnValue:
    """All tasks matching the filters in the query string, paginated."""
    flt = TaskFilter.from_args(request.args)
    pagination = page_of_tasks(flt, page_number())
    return render_template(
        "tasks/index.html",
        flt=flt,
        pagination=pagination,
        people=choices.people(active_only=False),
        organisations=choices.organisations(include_none=False),
        exchanges=choices.exchanges(include_none=False),
        bulk_form=BulkForm(formdata=None),
    )


@bp.get("/tasks.csv")
def export_csv() -> ResponseReturnValue:
    """The same filters as /tasks, as a CSV file for Excel or LibreOffice."""
    flt = TaskFilter.from_args(request.args)
    tasks = db.session.scalars(flt.statement().options(*row_options()).limit(50_000))
    return csv_response("tasks.csv", *task_csv(tasks))


def task_csv(tasks: Iterable[Task]) -> tuple[list[str], Iterator[list[Any]]]:
    """Rows made lazily, so an export of 50,000 tasks is never held in memory twice."""
    status = labels()["task_status"]
    locale = str(get_locale())
    header = [
        _("ID"), _("Title"), _("Status"), _("Owner"), _("Organisation"), _("Exchange"),
        _("Due date"), _("Due time"), _("Completed at"), _("Description"),
    ]
    rows = (
        [
            t.id, t.localized("title", locale), status.get(t.status, t.status), t.owner.name,
            t.organisation.name if t.organisation else "",
            t.exchange.title if t.exchange else "",
            t.due_date.isoformat() if t.due_date else "",
            t.due_time.strftime("%H:%M") if t.due_time else "",
            to_local(t.completed_at).strftime("%Y-%m-%d %H:%M") if t.completed_at else "",
            t.localized("description", locale),
        ]
        for t in tasks
    )
    return header, rows


@bp.get("/tasks/<id:task_id>")
def show(task_id: int) -> ResponseReturnValue:
    """One task, its links and its history from the audit trail."""
    task = get_task(task_id)
    return _show(task, NoteForm(formdata=None))


def _show(task: Task, note_form: NoteForm, code: int = 200) -> ResponseReturnValue:
    return render_template("tasks/show.html", task=task, history=audit.history(task),
                           notes=services.notes_of(task), note_form=note_form), code


@bp.post("/tasks/<id:task_id>/notes")
def add_note(task_id: int) -> ResponseReturnValue:
    """A progress note from whoever may check the task off (its owner, or an editor)."""
    task = get_task(task_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            with transaction():
                services.add_note(task, current_user, form.text.data or "")
        except InvalidField as exc:
            show_on_form(form, exc)
        else:
            flash(_("Note added."), "success")
            return redirect(url_for("tasks.show", task_id=task.id) + "#notes-h")
    return _show(task, form, 400)


def _form(task: Task | None = None) -> TaskForm:
    form = TaskForm(obj=task) if task is not None else TaskForm()
    if request.method == "GET" and task is None:
        for name in ("exchange_id", "outcome_id", "owner_id", "due_exchange_id"):
            value = choices.optional_int(request.args.get(name))
            if value:
                getattr(form, name).data = value
    if form.outcome_id.data and not form.exchange_id.data:
        outcome = db.session.get(Outcome, form.outcome_id.data) if is_id(
            form.outcome_id.data) else None
        form.exchange_id.data = outcome.exchange_id if outcome else None
    form.set_choices(outcomes_with_exchange())
    if task is not None:
        form.load_translations(task)
    return form


@bp.route("/tasks/new", methods=["GET", "POST"])
@editor_required
def create() -> ResponseReturnValue:
    """A new follow-up, optionally pre-set from the query string (exchange, outcome)."""
    form = _form()
    if form.validate_on_submit():
        try:
            with transaction():
                task = services.create_task(current_user, **form.values())
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        else:
            flash(_("Task created."), "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    code = 400 if form.errors or form.form_errors else 200
    return render_template("tasks/form.html", form=form, task=None), code


@bp.route("/tasks/<id:task_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(task_id: int) -> ResponseReturnValue:
    """Change a task; a save over someone else's change shows both versions, losing neither."""
    task = get_task(task_id)
    form = _form() if request.method == "POST" else _form(task)
    if request.method == "GET":
        form.version.data = str(task.version)
    conflict = None
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_task(task, current_user, form.values(),
                                     expected_version=choices.optional_int(form.version.data))
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        except StaleVersion:
            db.session.expire_all()
            task = get_task(task_id)
            conflict = task
            form.version.data = str(task.version)
        else:
            flash(_("Task saved."), "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    code = 409 if conflict else (400 if form.errors or form.form_errors else 200)
    return render_template("tasks/form.html", form=form, task=task, conflict=conflict), code


def _after_status_change(task: Task, message: str) -> ResponseReturnValue:
    if wants_json():
        db.session.expire_all()
        task = get_task(task.id)
        html = render_template("tasks/_task_item.html", task=task,
                               next=request.form.get("next", ""))
        return {"ok": True, "message": message, "html": html, "status": task.status}
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("tasks.show", task_id=task.id)))


@bp.post("/tasks/<id:task_id>/complete")
def complete(task_id: int) -> ResponseReturnValue:
    """Check a task off: a plain form POST, or fetch() from app.js without a reload."""
    task = get_task(task_id)
    try:
        with transaction():
            services.complete_task(task, current_user)
    except InvalidField as exc:
        message = exc.sentence()
        if wants_json():
            return {"ok": False, "message": message}, 422
        flash(message, "error")
        return redirect(safe_next(request.form.get("next"),
                                  url_for("tasks.show", task_id=task.id)))
    if not wants_json():
        session["undo"] = {"ids": [task.id]}
    return _after_status_change(task, _("Checked off: %(title)s", title=localized(task, "title")))


@bp.post("/tasks/<id:task_id>/reopen")
def reopen(task_id: int) -> ResponseReturnValue:
    """A check-off by mistake is taken back from the same place it was made."""
    task = get_task(task_id)
    with transaction():
        services.reopen_task(task, current_user)
    return _after_status_change(task, _("Reopened: %(title)s", title=localized(task, "title")))


@bp.post("/tasks/<id:task_id>/cancel")
@editor_required
def cancel(task_id: int) -> ResponseReturnValue:
    """A follow-up no longer needed leaves the open lists but stays on record."""
    task = get_task(task_id)
    with transaction():
        services.cancel_task(task, current_user)
    flash(_("Task cancelled; it stays on record."), "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/tasks/<id:task_id>/delete", methods=["GET", "POST"])
@editor_required
def delete(task_id: int) -> ResponseReturnValue:
    """Ask first; a task deleted by mistake comes back with the "Undo" or from the trash."""
    task = get_task(task_id)
    if request.method == "GET":
        return render_template("trash/confirm_delete.html", title=task.title, kind="tasks",
                               back=url_for("tasks.show", task_id=task.id))
    with transaction():
        services.delete_task(task, current_user)
    session["undo"] = {"restore": "tasks", "id": task.id,
                       "message": _("Task deleted: %(title)s", title=task.title)}
    return redirect(url_for("tasks.index"))


@bp.post("/tasks/bulk-complete")
def bulk_complete() -> ResponseReturnValue:
    """Check off every selected task the user may check off; report how many."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction():
        done = services.complete_tasks(form.ids.data or [], current_user)
    if done:
        session["undo"] = {"ids": done}
    else:
        flash(_("No task was checked off."), "info")
    return redirect(safe_next(form.next.data, url_for("tasks.index")))


@bp.post("/tasks/undo")
def undo() -> ResponseReturnValue:
    """Reopen the tasks this user has just checked off."""
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction():
        count = services.undo_check_offs(form.ids.data or [], current_user)
    flash(ngettext("%(num)d task reopened.", "%(num)d tasks reopened.", count), "success")
    return redirect(safe_next(form.next.data, url_for("tasks.index")))


@bp.route("/tasks/<id:task_id>/plan", methods=["GET", "POST"])
@editor_required
def plan(task_id: int) -> ResponseReturnValue:
    """Turn a task like "hold the governance workshop" into a planned exchange."""
    from tracker.exchanges.forms import ExchangeForm

    task = get_task(task_id)
    if task.plans_exchange_id:
        return redirect(url_for("exchanges.show", exchange_id=task.plans_exchange_id))
    form = ExchangeForm()
    form.set_choices()
    if request.method == "GET":
        form.title.data = task.title
        form.status.data = "planned"
        form.follows_up_id.data = task.exchange_id
        form.organisation_ids.data = [task.organisation_id] if task.organisation_id else []
        form.participant_ids.data = [task.owner_id]
        if task.due_date:
            form.all_day.data = True
            form.start_date.data = task.due_date
    if form.validate_on_submit():
        try:
            with transaction():
                exchange = exchange_services.plan_exchange_from_task(
                    task, current_user, **form.values()
                )
        except InvalidField as exc:
            show_on_form(form, exc, form.ALIASES)
        else:
            flash(_("Exchange planned from the task."), "success")
            return redirect(url_for("exchanges.show", exchange_id=exchange.id))
    code = 400 if form.errors or form.form_errors else 200
    return render_template("exchanges/form.html", form=form, exchange=None, plan_task=task), code


@bp.errorhandler(Forbidden)
def _forbidden(_exc: Forbidden) -> ResponseReturnValue:
    if wants_json():
        return {"ok": False, "message": _("Your role does not allow this.")}, 403
    return render_template("errors/403.html"), 403

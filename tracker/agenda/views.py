"""The agenda page (before and during the meeting) and the minutes (after it).

During the meeting everything happens here: topics are added and ordered, carried-over
tasks taken up (done, a new date, a note), outcomes and their tasks recorded (with the
exchange page's forms, which come back here), and the minutes finished and sent.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.agenda import queries, services
from tracker.agenda.forms import MoveDateForm, NoteForm, TopicForm
from tracker.agenda.models import AgendaTopic
from tracker.core.database import transaction
from tracker.core.errors import InvalidField, StaleVersion
from tracker.core.limits import is_id
from tracker.exchanges import queries as exchange_queries
from tracker.exchanges.models import Exchange
from tracker.exchanges.views import carried_for_page, editing_forms, get_exchange
from tracker.extensions import db
from tracker.tasks import services as task_services
from tracker.tasks.models import Task
from tracker.web.choices import optional_int
from tracker.web.helpers import editor_required

bp = Blueprint("agenda", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """The agenda and the minutes need a signed-in user."""


def _to_agenda(exchange: Exchange, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("agenda.show", exchange_id=exchange.id, _anchor=anchor))


@bp.get("/exchanges/<id:exchange_id>/agenda")
def show(exchange_id: int) -> ResponseReturnValue:
    """The carried-over commitments and the topics, printable; the meeting's forms."""
    exchange = get_exchange(exchange_id)
    carried, more = carried_for_page(exchange)
    outcome_form, task_forms = editing_forms(exchange)
    tasks = exchange_queries.tasks_of(exchange)
    by_outcome: dict[int | None, list[Task]] = {}
    for task in tasks:
        by_outcome.setdefault(task.outcome_id, []).append(task)
    return render_template(
        "agenda/show.html",
        exchange=exchange,
        topics=queries.topics_of(exchange),
        carried_groups=exchange_queries.group_by_partner(carried),
        carried_more=more,
        carried_shown=len(carried),
        notes=queries.notes_since([c.task.id for c in carried], queries.meeting_start(exchange)),
        by_outcome=by_outcome,
        outcome_form=outcome_form,
        task_forms=task_forms,
        topic_form=TopicForm(formdata=None),
        readers=services.readers(exchange),
    )


@bp.get("/exchanges/<id:exchange_id>/minutes")
def minutes(exchange_id: int) -> ResponseReturnValue:
    """The minutes as a printable page: agreed, with tasks; carried over and what became of it."""
    exchange = get_exchange(exchange_id)
    return render_template("agenda/minutes.html", exchange=exchange,
                           minutes=queries.Minutes.of(exchange),
                           readers=services.readers(exchange))


# -- topics ------------------------------------------------------------------------------


def _topic(exchange: Exchange, topic_id: int) -> AgendaTopic:
    topic = db.session.get(AgendaTopic, topic_id) if is_id(topic_id) else None
    if topic is None or topic.exchange_id != exchange.id:
        abort(404)
    return topic


def _refused(exc: InvalidField) -> None:
    flash(exc.sentence(), "error")


@bp.post("/exchanges/<id:exchange_id>/agenda/topics")
@editor_required
def add_topic(exchange_id: int) -> ResponseReturnValue:
    """A topic at the end of the agenda."""
    exchange = get_exchange(exchange_id)
    form = TopicForm()
    if not form.validate_on_submit():
        flash(_("Please write the topic."), "error")
        return _to_agenda(exchange, "topics")
    try:
        with transaction():
            topic = services.add_topic(exchange, current_user, form.topic.data)
    except InvalidField as exc:
        _refused(exc)
        return _to_agenda(exchange, "topics")
    flash(_("Topic added."), "success")
    return _to_agenda(exchange, f"topic-{topic.id}")


@bp.post("/exchanges/<id:exchange_id>/agenda/topics/<id:topic_id>")
@editor_required
def edit_topic(exchange_id: int, topic_id: int) -> ResponseReturnValue:
    """Reword a topic; if someone else changed it meanwhile, nothing is overwritten."""
    exchange = get_exchange(exchange_id)
    topic = _topic(exchange, topic_id)
    form = TopicForm()
    if not form.validate_on_submit():
        flash(_("Please write the topic."), "error")
        return _to_agenda(exchange, f"topic-{topic.id}")
    try:
        with transaction():
            services.update_topic(topic, current_user, form.topic.data,
                                  expected_version=optional_int(form.version.data))
    except InvalidField as exc:
        _refused(exc)
    except StaleVersion:
        flash(_("Someone else changed this topic meanwhile; please look at it again."), "error")
    else:
        flash(_("Topic saved."), "success")
    return _to_agenda(exchange, f"topic-{topic.id}")


@bp.post("/exchanges/<id:exchange_id>/agenda/topics/<id:topic_id>/move")
@editor_required
def move_topic(exchange_id: int, topic_id: int) -> ResponseReturnValue:
    """One place up or down."""
    exchange = get_exchange(exchange_id)
    topic = _topic(exchange, topic_id)
    try:
        with transaction():
            services.move_topic(topic, current_user, request.form.get("direction", ""))
    except InvalidField as exc:
        _refused(exc)
    return _to_agenda(exchange, f"topic-{topic.id}")


@bp.post("/exchanges/<id:exchange_id>/agenda/topics/<id:topic_id>/delete")
@editor_required
def delete_topic(exchange_id: int, topic_id: int) -> ResponseReturnValue:
    """Take a topic off the agenda."""
    exchange = get_exchange(exchange_id)
    topic = _topic(exchange, topic_id)
    with transaction():
        services.delete_topic(topic, current_user)
    flash(_("Topic removed."), "success")
    return _to_agenda(exchange, "topics")


# -- sending and finishing ---------------------------------------------------------------


@bp.post("/exchanges/<id:exchange_id>/agenda/send")
@editor_required
def send(exchange_id: int) -> ResponseReturnValue:
    """Mail the agenda to the participants with an email address, the meeting attached."""
    exchange = get_exchange(exchange_id)
    with transaction():
        sent = services.send_agenda(exchange, current_user)
    if sent:
        flash(_("The agenda goes out to %(count)s participants.", count=len(sent)), "success")
    else:
        flash(_("No participant has an email address: the agenda was not sent."), "error")
    return _to_agenda(exchange)


@bp.post("/exchanges/<id:exchange_id>/minutes/finish")
@editor_required
def finish(exchange_id: int) -> ResponseReturnValue:
    """Mark the exchange held and send the minutes, once (a second click sends nothing)."""
    exchange = get_exchange(exchange_id)
    try:
        with transaction():
            sent = services.finish_minutes(exchange, current_user)
    except InvalidField as exc:  # the exchange itself cannot be saved as it is: say why
        _refused(exc)
        return redirect(url_for("exchanges.edit", exchange_id=exchange.id))
    if sent:
        flash(_("Minutes finished: they go out to %(count)s participants.", count=len(sent)),
              "success")
    else:
        flash(_("The minutes were sent already; nothing more was sent."), "info")
    return redirect(url_for("agenda.minutes", exchange_id=exchange.id))


# -- taking up a carried-over task -------------------------------------------------------


def _task(task_id: int) -> Task:
    task = db.session.get(Task, task_id) if is_id(task_id) else None
    if task is None or not task.is_live:
        abort(404)
    return task


@bp.post("/exchanges/<id:exchange_id>/agenda/tasks/<id:task_id>/done")
def task_done(exchange_id: int, task_id: int) -> ResponseReturnValue:
    """Taken up: it is done (its owner, or an editor)."""
    exchange = get_exchange(exchange_id)
    task = _task(task_id)
    try:
        with transaction():
            task_services.complete_task(task, current_user)
    except InvalidField as exc:
        _refused(exc)
    else:
        flash(_("Checked off: %(title)s", title=task.title), "success")
    return _to_agenda(exchange, f"carried-{task.id}")


@bp.post("/exchanges/<id:exchange_id>/agenda/tasks/<id:task_id>/move")
@editor_required
def task_move(exchange_id: int, task_id: int) -> ResponseReturnValue:
    """Taken up: it gets a new due date."""
    exchange = get_exchange(exchange_id)
    task = _task(task_id)
    form = MoveDateForm()
    if not form.validate_on_submit():
        flash(_("Please give the new due date."), "error")
        return _to_agenda(exchange, f"carried-{task.id}")
    try:
        with transaction():
            task_services.update_task(task, current_user,
                                      {"due_date": form.due_date.data, "due_exchange_id": None})
    except InvalidField as exc:
        _refused(exc)
    else:
        flash(_("New due date for %(title)s.", title=task.title), "success")
    return _to_agenda(exchange, f"carried-{task.id}")


@bp.post("/exchanges/<id:exchange_id>/agenda/tasks/<id:task_id>/note")
def task_note(exchange_id: int, task_id: int) -> ResponseReturnValue:
    """Taken up: it stays open, with a note on where it stands."""
    exchange = get_exchange(exchange_id)
    task = _task(task_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Please write the note."), "error")
        return _to_agenda(exchange, f"carried-{task.id}")
    try:
        with transaction():
            task_services.add_note(task, current_user, form.text.data or "")
    except InvalidField as exc:
        _refused(exc)
    else:
        flash(_("Note added to %(title)s.", title=task.title), "success")
    return _to_agenda(exchange, f"carried-{task.id}")

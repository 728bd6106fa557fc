"""Partner links: the partner's own page (no account), its feed, and the editors' page of links.

Everything under /partner/ is reached by a secret in the path: it answers 404 at once for
an unknown, revoked or expired link, never logs the path (tracker.calendar.logs), and sends
no referrer, no cache and no indexing. Its actions are limited per link.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import time

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from tracker.calendar.logs import install_filter
from tracker.calendar.selection import organisation_selection
from tracker.calendar.serve import answer, not_found
from tracker.core import timeutil
from tracker.core.database import transaction
from tracker.core.errors import InvalidField, NotFound
from tracker.core.model import utcnow
from tracker.core.security import limiter
from tracker.exchanges.models import Exchange, exchange_organisations
from tracker.extensions import db
from tracker.organisations.models import LOCALES, Organisation
from tracker.partners import services
from tracker.partners.forms import NoteForm, ProposeForm
from tracker.partners.models import DueDateProposal, PartnerLink
from tracker.tasks.models import Task, TaskNote
from tracker.web.helpers import editor_required
from tracker.web.setup import ButtonForm

bp = Blueprint("partners", __name__)

#: What one link may send: enough for a partner going through its list, not for a script.
ACTIONS_PER_LINK = "30 per minute"
#: How many upcoming exchanges the partner page lists.
NEXT_EXCHANGES = 10


# --- the link in the path ----------------------------------------------------------------


_LINK_KEY = "tracker.partner_link"


def _link() -> PartnerLink | None:
    """The active link the request's path names (looked up once per request: the rate
    limit's key asks for it before the view)."""
    if _LINK_KEY not in request.environ:
        token = (request.view_args or {}).get("token")
        request.environ[_LINK_KEY] = services.find_link(token) if isinstance(token, str) else None
    link: PartnerLink | None = request.environ[_LINK_KEY]
    return link


def _per_link() -> str:
    """The rate limit's key: the link's id, so guessing tokens shares one bucket."""
    link = _link()
    return f"partner-link:{link.id if link else 'none'}"


@bp.after_app_request
def _private(response: Response) -> Response:
    """The URL holds the secret: keep it out of referrers, caches and search engines."""
    if request.path.startswith("/partner/"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Cache-Control"] = "no-store"
    return response


def _language(link: PartnerLink) -> str:
    """?lang= if the partner switched, else the organisation's language."""
    asked = request.args.get("lang")
    return asked if asked in LOCALES else link.organisation.locale or "de"


def _gone() -> ResponseReturnValue:
    """Unknown, revoked and expired links alike: 404, nothing to learn from it."""
    lang = request.args.get("lang")
    lang = lang if lang in LOCALES else request.accept_languages.best_match(LOCALES) or "de"
    with force_locale(lang):
        page = render_template("partners/gone.html", page_lang=lang)
    return make_response(page, 404)


# --- the partner's page ------------------------------------------------------------------


def _tasks(link: PartnerLink) -> list[Task]:
    """The organisation's open tasks and those done in the last 30 days, open ones first."""
    return list(db.session.scalars(
        select(Task)
        .options(joinedload(Task.exchange), joinedload(Task.outcome))
        .where(
            Task.is_live,
            Task.organisation_id == link.organisation_id,
            or_(Task.status == "open",
                and_(Task.status == "done", Task.completed_at >= services.done_since())),
        )
        .order_by(Task.status.desc(), Task.due_date.is_(None), Task.due_date, Task.id)
    ))


def _notes(task_ids: list[int]) -> dict[int, list[TaskNote]]:
    notes: dict[int, list[TaskNote]] = defaultdict(list)
    if task_ids:
        for note in db.session.scalars(
            select(TaskNote).options(joinedload(TaskNote.author), joinedload(TaskNote.organisation))
            .where(TaskNote.task_id.in_(task_ids)).order_by(TaskNote.id)
        ):
            notes[note.task_id].append(note)
    return notes


def _proposals(task_ids: list[int]) -> dict[int, list[DueDateProposal]]:
    found: dict[int, list[DueDateProposal]] = defaultdict(list)
    if task_ids:
        for proposal in db.session.scalars(
            select(DueDateProposal)
            .where(DueDateProposal.task_id.in_(task_ids), DueDateProposal.state == "proposed")
            .order_by(DueDateProposal.id)
        ):
            found[proposal.task_id].append(proposal)
    return found


def _next_exchanges(link: PartnerLink) -> list[Exchange]:
    """The planned exchanges the organisation takes part in, from today on."""
    today = timeutil.today()
    midnight = timeutil.from_local(today, time(0))
    taking_part = select(exchange_organisations.c.exchange_id).where(
        exchange_organisations.c.organisation_id == link.organisation_id
    )
    return list(db.session.scalars(
        select(Exchange)
        .where(Exchange.is_live, Exchange.status == "planned", Exchange.id.in_(taking_part),
               or_(Exchange.start_date >= today, Exchange.starts_at >= midnight))
        .order_by(Exchange.start_date, Exchange.starts_at, Exchange.id)
        .limit(NEXT_EXCHANGES)
    ))


def _page(link: PartnerLink, status: int = 200, errors: dict | None = None) -> ResponseReturnValue:
    lang = _language(link)
    tasks = _tasks(link)
    ids = [t.id for t in tasks]
    token = request.view_args["token"] if request.view_args else ""
    with force_locale(lang):
        page = render_template(
            "partners/page.html",
            page_lang=lang,
            link=link,
            organisation=link.organisation,
            tasks=tasks,
            notes=_notes(ids),
            proposals=_proposals(ids),
            exchanges=_next_exchanges(link),
            token=token,
            feed_url=services.feed_url(link),
            errors=errors or {},
            saved=request.args.get("saved"),
        )
    return make_response(page, status)


@bp.get("/partner/<token>")
@limiter.limit(ACTIONS_PER_LINK, key_func=_per_link)
def page(token: str) -> ResponseReturnValue:
    """The partner's commitments: open and recently done tasks, notes, next exchanges."""
    link = _link()
    if link is None:
        return _gone()
    services.record_use(link)
    return _page(link)


def _back(link: PartnerLink, saved: str, task_id: int) -> ResponseReturnValue:
    lang = _language(link)
    target = url_for("partners.page", token=request.view_args["token"],  # type: ignore[index]
                     lang=lang, saved=saved, _anchor=f"task-{task_id}")
    return redirect(target)


def _act(task_id: int, action: str) -> ResponseReturnValue:
    """One partner action on one task of its organisation (anything else: 404, no change)."""
    link = _link()
    if link is None:
        return _gone()
    try:
        task = services.task_of(link, task_id)
    except NotFound:
        return _gone()
    form: FlaskForm = {"done": ButtonForm, "note": NoteForm, "propose": ProposeForm}[action]()
    if not form.validate_on_submit():
        with force_locale(_language(link)):
            message = _("Please check your entry.")
        return _page(link, 400, {task.id: {action: message}})
    try:
        with transaction():
            if isinstance(form, NoteForm):
                services.note_through(link, task, form.text.data)
            elif isinstance(form, ProposeForm):
                services.propose_through(link, task, form.due_date.data, form.reason.data)
            else:
                services.complete_through(link, task)
    except InvalidField as exc:
        with force_locale(_language(link)):
            message = exc.sentence()
        return _page(link, 400, {task.id: {action: message}})
    return _back(link, action, task.id)


@bp.post("/partner/<token>/tasks/<id:task_id>/done")
@limiter.limit(ACTIONS_PER_LINK, key_func=_per_link)
def done(token: str, task_id: int) -> ResponseReturnValue:
    """The partner reports a task done: it is checked off at once."""
    return _act(task_id, "done")


@bp.post("/partner/<token>/tasks/<id:task_id>/notes")
@limiter.limit(ACTIONS_PER_LINK, key_func=_per_link)
def note(token: str, task_id: int) -> ResponseReturnValue:
    """The partner adds a progress note to a task."""
    return _act(task_id, "note")


@bp.post("/partner/<token>/tasks/<id:task_id>/proposals")
@limiter.limit(ACTIONS_PER_LINK, key_func=_per_link)
def propose(token: str, task_id: int) -> ResponseReturnValue:
    """The partner proposes a new due date; the owner decides."""
    return _act(task_id, "propose")


@bp.get("/partner/feed/<token>.ics")
def feed(token: str) -> Response:
    """The organisation's commitments and exchanges as a calendar feed (its own secret)."""
    link = services.find_feed_link(token)
    if link is None:
        found = not_found()
        return Response(bytes(found.body), found.status, headers=found.headers)
    services.record_use(link)
    ctx = services.feed_context(link)
    found = answer(link.id, organisation_selection(link.organisation_id, ctx.options), ctx,
                   request.headers, kind="partner")
    return Response(bytes(found.body), found.status, headers=found.headers)


# --- editors: the links of an organisation -----------------------------------------------


def _organisation(organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"there is no organisation {organisation_id}")
    return org


def links_context(organisation: Organisation) -> dict:
    """What templates/partners/_links.html needs (the organisation page includes it too).

    The page then shows working links, so it is sent without referrer and cache."""
    g.shows_feed_tokens = True
    now = utcnow()
    return {
        "organisation": organisation,
        "partner_links": [
            {"link": link, "active": link.is_active(now),
             "url": services.page_url(link) if link.is_active(now) else None}
            for link in services.links_of(organisation.id)
        ],
        "partner_contacts": services.contacts(organisation.id),
    }


@bp.get("/organisations/<id:organisation_id>/partner-links")
@login_required
@editor_required
def links(organisation_id: int) -> ResponseReturnValue:
    """Editors make, copy, mail, renew and revoke an organisation's partner links."""
    return render_template("partners/links.html", **links_context(_organisation(organisation_id)))


def _to_links(organisation_id: int, link_id: int | None = None) -> ResponseReturnValue:
    anchor = f"partner-link-{link_id}" if link_id else None
    return redirect(url_for("partners.links", organisation_id=organisation_id, _anchor=anchor))


# Its own path: beside the GET list on the same path, an impossible id would answer 405.
@bp.post("/organisations/<id:organisation_id>/partner-links/new")
@login_required
@editor_required
def create(organisation_id: int) -> ResponseReturnValue:
    """Make a new link for the organisation."""
    org = _organisation(organisation_id)
    with transaction():
        link = services.create_link(org, current_user)
    flash(_("A new partner link for %(name)s was made.", name=org.name), "success")
    return _to_links(org.id, link.id)


def _link_action(organisation_id: int, link_id: int, action: str) -> ResponseReturnValue:
    org = _organisation(organisation_id)
    link = services.link_of(org.id, link_id)
    try:
        with transaction():
            if action == "renew":
                services.renew_link(link, current_user)
                flash(_("The link now runs until %(day)s.", day=link.expires_at.date()),
                      "success")
            elif action == "revoke":
                services.revoke_link(link, current_user)
                flash(_("The link was revoked; it and its calendar feed answer no more."),
                      "success")
            else:
                count = services.mail_link(link, current_user)
                if count:
                    flash(_("The link is on its way to %(count)s contacts.", count=count),
                          "success")
                else:
                    flash(_("%(name)s has no contacts with an email address.", name=org.name),
                          "error")
    except InvalidField as exc:
        flash(exc.sentence(), "error")
    return _to_links(org.id, link.id)


@bp.post("/organisations/<id:organisation_id>/partner-links/<id:link_id>/renew")
@login_required
@editor_required
def renew(organisation_id: int, link_id: int) -> ResponseReturnValue:
    """Another 180 days for the link."""
    return _link_action(organisation_id, link_id, "renew")


@bp.post("/organisations/<id:organisation_id>/partner-links/<id:link_id>/revoke")
@login_required
@editor_required
def revoke(organisation_id: int, link_id: int) -> ResponseReturnValue:
    """End the link and its feed."""
    return _link_action(organisation_id, link_id, "revoke")


@bp.post("/organisations/<id:organisation_id>/partner-links/<id:link_id>/mail")
@login_required
@editor_required
def mail(organisation_id: int, link_id: int) -> ResponseReturnValue:
    """Mail the link to the organisation's contacts, in its language."""
    return _link_action(organisation_id, link_id, "mail")


# --- the owner decides a proposed date ---------------------------------------------------


def _decide(proposal_id: int, accept: bool) -> ResponseReturnValue:
    proposal = db.session.get(DueDateProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"there is no proposal {proposal_id}")
    task_id = proposal.task_id
    try:
        with transaction():
            services.decide(proposal, current_user, accept)
    except InvalidField as exc:
        flash(exc.sentence(), "error")
    else:
        flash(_("The new date was accepted.") if accept else _("The proposal was declined."),
              "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/proposals/<id:proposal_id>/accept")
@login_required
def accept(proposal_id: int) -> ResponseReturnValue:
    """The task moves to the proposed date (its owner or an editor)."""
    return _decide(proposal_id, True)


@bp.post("/proposals/<id:proposal_id>/decline")
@login_required
def decline(proposal_id: int) -> ResponseReturnValue:
    """The task keeps its date (its owner or an editor)."""
    return _decide(proposal_id, False)


@bp.record_once
def _redact_app_log(state: BlueprintSetupState) -> None:
    """The app's own log names a failed request's path (a database fault): not a link's."""
    install_filter(state.app.logger)


@bp.app_context_processor
def _partner_helpers() -> dict:
    """`due_date_proposals(task)` for templates/partners/_proposals.html (the task page),
    `partner_links_for(organisation)` for _links.html (the organisation page),
    `partner_reports()` for the review."""
    return {
        "due_date_proposals": lambda task: services.open_proposals(task.id),
        "partner_links_for": links_context,
        "partner_reports": services.recent_reports,
    }


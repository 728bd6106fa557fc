"""The search page: what matches, best first, with the matching words marked."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

from tracker.core.limits import PER_PAGE, SEARCH_MAX_LENGTH
from tracker.core.validation import search_text
from tracker.exchanges.models import Exchange, Outcome
from tracker.extensions import db
from tracker.search.queries import Hit, search
from tracker.web.helpers import page_number

bp = Blueprint("search", __name__)


def hit_url(hit: Hit, outcome_exchanges: dict[int, tuple[int, str]]) -> str:
    """Where a hit is read: its own page, or the task list narrowed to that person or partner."""
    if hit.kind == "exchange":
        return url_for("exchanges.show", exchange_id=hit.id)
    if hit.kind == "outcome":
        if hit.id not in outcome_exchanges:
            return url_for("exchanges.index")
        exchange_id = outcome_exchanges[hit.id][0]
        return url_for("exchanges.show", exchange_id=exchange_id, _anchor=f"outcome-{hit.id}")
    if hit.kind == "task":
        return url_for("tasks.show", task_id=hit.id)
    if hit.kind == "person":
        return url_for("tasks.index", owner_id=hit.id, status="all")
    return url_for("tasks.index", organisation_id=hit.id, status="all")


def outcome_exchanges(hits: list[Hit]) -> dict[int, tuple[int, str]]:
    """The exchange (id, title) each outcome on the page belongs to, in one query."""
    ids = [hit.id for hit in hits if hit.kind == "outcome"]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Outcome.id, Outcome.exchange_id, Exchange.title)
        .join(Exchange, Exchange.id == Outcome.exchange_id)
        .where(Outcome.id.in_(ids))
    )
    return {outcome_id: (exchange_id, title) for outcome_id, exchange_id, title in rows}


@bp.get("/search")
@login_required
def index() -> ResponseReturnValue:
    """Everything that matches the words typed, ranked, a page at a time."""
    q = search_text(request.args.get("q"))
    page = page_number()
    hits, more = search(q, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    exchanges = outcome_exchanges(hits)
    rows = [(hit, hit_url(hit, exchanges),
             exchanges[hit.id][1] if hit.kind == "outcome" and hit.id in exchanges else None)
            for hit in hits]
    return render_template("search/index.html", q=q, rows=rows, page=page, more=more,
                           per_page=PER_PAGE, search_max_length=SEARCH_MAX_LENGTH)

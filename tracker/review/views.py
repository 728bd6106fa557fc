"""Review of open commitments: grouped by exchange, owner or partner, with charts and CSV."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from tracker.extensions import db
from tracker.review import chart, queries
from tracker.tasks.models import Task
from tracker.tasks.queries import row_options
from tracker.web.helpers import csv_response, localized, page_number, relative_due

bp = Blueprint("review", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """The review needs a signed-in user."""


def _by() -> str:
    by = request.args.get("by", "exchange")
    return by if by in queries.GROUPINGS else "exchange"


def group_name(task: Task, by: str) -> str:
    """The page and the CSV head a group alike, naming the tasks that have none too."""
    if by == "exchange":
        return task.exchange.title if task.exchange else _("Without exchange")
    if by == "owner":
        return task.owner.name
    return task.organisation.name if task.organisation else _("Without organisation")


def _order() -> str:
    order = request.args.get("order", "attention")
    return order if order in queries.ORDERS else "attention"


@bp.get("/review")
def index() -> ResponseReturnValue:
    """Open commitments in groups, overdue first in each; charts over time and per partner."""
    by, order = _by(), _order()
    found = queries.grouped_page(by, page_number(), order=order)
    pagination = found.pagination
    groups: list[dict] = []
    for task in pagination.items:
        key = queries.group_key(task, by)
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "name": group_name(task, by), "tasks": [],
                           "exchange": task.exchange if by == "exchange" else None})
        groups[-1]["tasks"].append(task)
    counts = found.counts
    points = queries.over_time(queries.month_ends())
    partners = queries.per_partner()
    return render_template(
        "review/index.html",
        by=by,
        order=order,
        groups=groups,
        counts=counts,
        pagination=pagination,
        points=points,
        partners=partners,
        time_chart=chart.over_time_svg(points),
        partner_chart=chart.per_partner_svg(partners),
    )


@bp.get("/review.csv")
def export_csv() -> ResponseReturnValue:
    """The review as CSV: one row per open task, with its group."""
    by = _by()
    stmt = queries.grouped(by, _order()).options(*row_options()).limit(50_000)
    header = [_("Group"), _("ID"), _("Title"), _("Owner"), _("Organisation"), _("Exchange"),
              _("Due date"), _("Due"), _("Outcome")]
    rows = (
        [group_name(t, by), t.id, localized(t, "title"), t.owner.name,
         t.organisation.name if t.organisation else "",
         t.exchange.title if t.exchange else "",
         t.due_date.isoformat() if t.due_date else "", relative_due(t.due_date),
         localized(t.outcome, "text") if t.outcome else ""]
        for t in db.session.scalars(stmt)
    )
    return csv_response(f"review-{by}.csv", header, rows)

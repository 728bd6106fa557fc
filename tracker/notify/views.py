"""The settings page a mailed link opens: one person's mails (digest, notes), no sign-in."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField
from wtforms.validators import InputRequired

from tracker.accounts.models import DIGEST_FREQUENCIES
from tracker.accounts.services import update_person
from tracker.core.database import transaction
from tracker.notify.services import person_for_settings_token
from tracker.notify.texts import language, text, translator
from tracker.organisations.models import LOCALES
from tracker.web.forms import TrackerForm

bp = Blueprint("notify", __name__, url_prefix="/notify")


class MailSettingsForm(TrackerForm):
    # WTForms takes plain values as choices (each its own label); its stubs know only pairs.
    digest = RadioField(
        choices=list(DIGEST_FREQUENCIES),  # type: ignore[arg-type]
        validators=[InputRequired()],
    )
    assignment_notes = BooleanField()


def _private(response: Response) -> Response:
    """The URL holds the token: keep it out of caches, referrers and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/settings/<token>", methods=["GET", "POST"])
def settings(token: str) -> ResponseReturnValue:
    """Show or change which mails the person the link was mailed to gets: how often the
    digest, and whether a note when someone else gives them a task."""
    person = person_for_settings_token(token)
    if person is None:
        lang = request.accept_languages.best_match(LOCALES) or "de"
        with force_locale(lang):
            page = render_template(
                "notify/settings_invalid.html", t=translator(lang), get_locale=lambda: lang
            )
        return _private(make_response(page, 404))
    lang = language(person.locale or request.accept_languages.best_match(LOCALES))
    form = MailSettingsForm(digest=person.digest, assignment_notes=person.assignment_notes)
    if form.validate_on_submit():
        with transaction():
            # The person acts on their own record, so the audit trail names them.
            update_person(person, person, {"digest": form.digest.data,
                                           "assignment_notes": form.assignment_notes.data})
        return _private(redirect(request.path + "?saved=1", code=303))
    if request.method == "POST":
        abort(400)
    saved = None
    if request.args.get("saved"):
        saved = text(lang, "saved", choice=text(lang, f"digest_{person.digest}"))
    with force_locale(lang):
        page = render_template(
            "notify/settings.html", t=translator(lang), get_locale=lambda: lang, person=person,
            form=form, saved=saved, choices=DIGEST_FREQUENCIES,
        )
    return _private(make_response(page))

"""Which language a page speaks: the user's choice, else the browser's, else German."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user

from tracker.core.database import database_failed
from tracker.organisations.models import LOCALES


def select_locale() -> str:
    if not has_request_context():  # commands and mail choose with force_locale
        return "de"
    if (
        not database_failed()  # the user would be loaded from the database that failed
        and getattr(current_user, "is_authenticated", False)
        and current_user.locale in LOCALES
    ):
        return current_user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    return request.accept_languages.best_match(LOCALES) or "de"


def select_timezone() -> str:
    from flask import current_app

    return current_app.config["TRACKER_TIMEZONE"]

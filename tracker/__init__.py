"""The follow-up tracker: what was agreed at a city's exchanges, and who does what by when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent


def _template_folder() -> str:
    """Top-level templates/ in a checkout; tracker/templates inside a built wheel."""
    bundled = PACKAGE_DIR / "templates"
    return str(bundled if bundled.is_dir() else PACKAGE_DIR.parent / "templates")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: environment settings, then `config` overrides (tests pass theirs)."""
    from flask_babel import lazy_gettext as _l

    from tracker import config as settings
    from tracker.cli import register_commands
    from tracker.core.database import configure_engine, engine_options
    from tracker.core.i18n import select_locale, select_timezone
    from tracker.core.security import init_security
    from tracker.core.urls import IdConverter
    from tracker.extensions import babel, csrf, db, login_manager, migrate

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=_template_folder(),
    )
    app.url_map.converters["id"] = IdConverter  # ids in page URLs: 1 … MAX_ID, else 404
    instance_path = Path(app.instance_path)
    app.config.from_mapping(settings.from_environment(instance_path))
    if config:
        app.config.update(config)
    app.config["TRACKER_TIMEZONE"] = settings.validate_timezone(app.config["TRACKER_TIMEZONE"])
    settings.ensure_secret_key(app.config, instance_path)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )

    import tracker.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    configure_engine(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    init_security(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    # Flashed in the page's language: the lazy text is made a str when it is flashed.
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str
    import tracker.accounts.auth  # noqa: F401  (registers the user loader)

    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    register_blueprints(app)
    register_commands(app)
    from tracker.calendar.warm import watch_writes

    watch_writes()  # feed items are built when their records are written
    return app


def register_blueprints(app: Flask) -> None:
    """Each feature brings its own blueprint; this is the one list of them."""
    from tracker.accounts.views import bp as accounts_bp
    from tracker.agenda.views import bp as agenda_bp
    from tracker.api import bp as api_bp
    from tracker.calendar.views import bp as calendar_bp
    from tracker.exchanges.views import bp as exchanges_bp
    from tracker.health import bp as health_bp
    from tracker.home.views import bp as home_bp
    from tracker.notify.views import bp as notify_bp
    from tracker.organisations.views import bp as organisations_bp
    from tracker.partners.views import bp as partners_bp
    from tracker.people.views import bp as people_bp
    from tracker.review.views import bp as review_bp
    from tracker.search.views import bp as search_bp
    from tracker.series.views import bp as series_bp
    from tracker.tasks.views import bp as tasks_bp
    from tracker.trash.views import bp as trash_bp
    from tracker.web.setup import init_web

    init_web(app)
    for blueprint in (
        accounts_bp, home_bp, exchanges_bp, tasks_bp, review_bp, people_bp, organisations_bp,
        api_bp, calendar_bp, notify_bp, trash_bp, health_bp, series_bp,
        agenda_bp, search_bp, partners_bp,
    ):
        app.register_blueprint(blueprint)

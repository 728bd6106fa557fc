"""Each thing the app needs, asked once, answered in a word: "ok" or what is wrong."""

from __future__ import annotations

from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tracker.core.database import current_revision_name
from tracker.extensions import db


@cache
def schema_heads() -> frozenset[str]:
    """The newest revision(s) of the migrations this code ships (read once per process)."""
    from tracker import PACKAGE_DIR

    config = Config()
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_and_migrations() -> tuple[str, str]:
    """("ok" | "unavailable", "ok" | "behind" | "not applied" | "unknown")."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                with conn.begin_nested():
                    stamped = conn.scalars(text("SELECT version_num FROM alembic_version")).all()
            except DBAPIError:
                return "ok", "not applied"
    except (DBAPIError, PoolTimeout):
        current_app.logger.warning("health check: the database cannot be reached", exc_info=True)
        return "unavailable", "unknown"
    if not stamped:
        return "ok", "not applied"
    current = {current_revision_name(revision) for revision in stamped}
    return "ok", "ok" if current == schema_heads() else "behind"


def redis() -> str:
    """The sign-in limits' Redis: "ok", "unavailable" (limits fall back to this process),
    or "not configured" (they live in this process anyway)."""
    url = current_app.config.get("TRACKER_RATELIMIT_STORAGE_URL")
    if not url:
        return "not configured"
    storage = current_app.extensions.get("tracker_health_redis")
    if storage is None:  # one client per app, with the limiter's own options (timeouts)
        options = current_app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}
        storage = current_app.extensions["tracker_health_redis"] = storage_from_string(
            url, **options
        )
    return "ok" if storage.check() else "unavailable"

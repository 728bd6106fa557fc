"""`GET /healthz`: 200 when the app can serve, 503 when it cannot; a short JSON body.

No sign-in, no session, no rate limit, nothing secret (no URL, host or version): a load
balancer polls it, anyone may see it. Redis down is reported but still 200: sign-in goes
on with per-process limits (see core.security).
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from tracker.core.security import limiter
from tracker.health import checks

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """The database reachable, its migrations current, Redis if configured."""
    database, migrations = checks.database_and_migrations()
    redis = checks.redis()
    serving = database == "ok" and migrations == "ok"
    status = "ok" if serving and redis != "unavailable" else "degraded" if serving else "fail"
    response = jsonify(status=status, database=database, migrations=migrations, redis=redis)
    response.status_code = 200 if serving else 503
    response.headers["Cache-Control"] = "no-store"
    return response

"""The JSON API at /api/v1: the same domain operations as the pages, for scripts and tools."""

from __future__ import annotations

from flask import Blueprint

from tracker.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from tracker.api import views  # noqa: E402,F401  (registers the routes on bp)
from tracker.partners import api as partners_api  # noqa: E402,F401  (its routes on bp)

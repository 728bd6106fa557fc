"""The public address of the tracker, and links to its pages from outside a page.

Feeds, mails and the API all build their absolute links here, with `url_for`'s routing,
so a path changes in one place (its route) and the base in one setting.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_request_context, request
from werkzeug.routing import IntegerConverter, Map

from tracker.core.limits import MAX_ID

log = logging.getLogger(__name__)


def base_url() -> str:
    """TRACKER_BASE_URL, else the request's own root, else http://localhost (warned once).

    With TRACKER_BASE_URL set, links come only from it. Without it, the request's root is
    safe to use because the app answers only to trusted hosts (`config.trusted_hosts`,
    Flask's TRUSTED_HOSTS): a request naming another host gets 400 before any view runs.
    Without a trailing slash. A command (digests, exports) has no request, so mail sent
    from cron needs the setting; the warning says so once per process.
    """
    configured = current_app.config.get("TRACKER_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    if not current_app.extensions.get("tracker_warned_base_url"):
        current_app.extensions["tracker_warned_base_url"] = True
        log.warning("TRACKER_BASE_URL is not set; links in mail point to http://localhost")
    return "http://localhost"


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` (as `url_for` names it), under `base_url()`.

    Built with the app's URL map, so it works from a command as well as in a request;
    the path is relative to the app's root, which `base_url()` already carries.
    """
    adapter = current_app.url_map.bind("localhost")
    return base_url() + adapter.build(endpoint, values)


class IdConverter(IntegerConverter):
    """`<id:task_id>` in a page route: matches 1 … MAX_ID only, so a larger id is a 404.

    Registered as "id" by create_app; every page route takes its ids through it (a test
    fails on a bare `<int:…>`), so no query ever sees an id its column cannot hold.
    """

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)

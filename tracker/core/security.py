"""Security headers, cookies and rate limits, set up in one place.

Flask-Talisman sends the strict Content-Security-Policy (no inline script or style),
frame-ancestors 'none', nosniff and a Referrer-Policy on every answer. The session cookie
is HttpOnly and SameSite=Lax always, and Secure whenever the request came over https
(directly, or through a proxy trusted with TRACKER_PROXY_FIX). Flask-Limiter throttles
sign-in; its counters live in memory, or in Redis for several servers
(TRACKER_RATELIMIT_STORAGE_URL=redis://127.0.0.1:6379).
"""

from __future__ import annotations

from flask import Flask, Response, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import config as settings

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure when the request was made over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def untrusted_host(_exc: SecurityError) -> ResponseReturnValue:
    """A Host the app does not answer to: 400 with a page (problem+json under the API)
    saying so; nothing else runs, so no link to that host is made or mailed."""
    from tracker.api.problems import API_PREFIX, problem

    if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
        return problem(400, "this server does not answer to the host named in the request")
    return render_template("errors/host.html"), 400


def init_security(app: Flask) -> None:
    """Headers, cookies, trusted hosts, proxies and rate limits: the app's one security set-up."""
    if app.config.get("TRUSTED_HOSTS") is None:  # a test or an operator may set it whole
        app.config["TRUSTED_HOSTS"] = settings.trusted_hosts(
            app.config.get("TRACKER_BASE_URL"), app.config.get("TRACKER_TRUSTED_HOSTS")
        )
    app.register_error_handler(SecurityError, untrusted_host)
    app.session_interface = HttpsAwareSessionInterface()
    proxies = int(app.config.get("TRACKER_PROXY_FIX") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    # Pages that show a secret (feed tokens, settings links) send Referrer-Policy:
    # no-referrer themselves; Talisman would overwrite it. After-request hooks run in
    # reverse order: remember the page's own policy before Talisman, restore it after.
    @app.after_request
    def _restore_page_referrer_policy(response: Response) -> Response:
        policy = g.pop("page_referrer_policy", None)
        if policy:
            response.headers["Referrer-Policy"] = policy
        return response

    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy; the app never redirects on its own
        session_cookie_secure=False,  # decided per request, see HttpsAwareSessionInterface
        strict_transport_security=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        # Links to other sites get no referrer at all: page paths name exchanges and tasks.
        referrer_policy="same-origin",
        x_content_type_options=True,
    )
    @app.after_request
    def _remember_page_referrer_policy(response: Response) -> Response:
        if "Referrer-Policy" in response.headers:
            g.page_referrer_policy = response.headers["Referrer-Policy"]
        return response

    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("TRACKER_RATELIMIT_STORAGE_URL") or "memory://"
    )
    # Redis gone: sign-in goes on, counted per process, with a warning in the log (and
    # "redis": "unavailable" at /healthz) until Redis answers again. A Redis that does not
    # answer at all is given up on after two seconds, not after the worker's timeout.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2}
        )
    limiter.init_app(app)

"""`GET /healthz`: what operators and load balancers ask (database, migrations, Redis)."""

from tracker.health.views import bp

__all__ = ["bp"]

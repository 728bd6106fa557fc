"""Entry point for gunicorn (`gunicorn wsgi:app`) and the Flask CLI (`flask --app wsgi`)."""

import gc

from tracker import create_app

app = create_app()
# What the import and the app's set-up made lives as long as the process: out of the
# garbage collector's sight, its full collections no longer walk those objects again and
# again (a few milliseconds per page view on average).
gc.freeze()

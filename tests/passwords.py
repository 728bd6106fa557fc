"""Password work done once per run. Hashing and checking a password (scrypt) take a sixth of
a second each; the factories make a few hundred users with one password, and the page tests
sign them in as often. The app's own functions still do the work, once per password (and
stored hash), and every later call gets the same answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tracker.accounts import services as account_services

#: (function, the hashing function in use, arguments) → what the function returned.
_RESULTS: dict[tuple, object] = {}


@contextmanager
def _done_once(name: str) -> Iterator[None]:
    """Inside, `account_services.<name>` answers from _RESULTS. Keyed by the hashing
    function in use too, so that a test that swaps it (for a quicker one) gets its own."""
    original = getattr(account_services, name)

    def once(*args):
        key = (original, account_services.generate_password_hash, *args)
        if key not in _RESULTS:
            _RESULTS[key] = original(*args)
        return _RESULTS[key]

    setattr(account_services, name, once)
    try:
        yield
    finally:
        setattr(account_services, name, original)


def each_password_hashed_once():
    """Users made inside share one hash per password (the factories)."""
    return _done_once("hash_password")


def each_password_checked_once():
    """A stored hash and a password are checked once (signing in through the form)."""
    return _done_once("check_password_hash")

"""Partner links: a secret link through which a partner organisation, without an account,
sees what it committed to and reports on it (done, a note, a new date proposed)."""

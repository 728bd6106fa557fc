"""My follow-ups."""

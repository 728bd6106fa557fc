"""People admin pages."""

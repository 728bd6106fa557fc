"""Search across everything: one field in every page's header, /search and /api/v1/search."""

"""Pieces every feature shares: the model base, time, audit trail, errors."""

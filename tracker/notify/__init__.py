"""Reminders by email: an outbox written with the change that caused it, digests, notes."""

"""The meeting cycle: an exchange's agenda (carried-over tasks and topics), the minutes."""

"""The trash: what was deleted (exchanges, outcomes, tasks), by whom and when, to restore."""

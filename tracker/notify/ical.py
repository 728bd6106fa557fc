"""The task given to someone, as a one-item calendar for the assignment note."""

from __future__ import annotations

from icalendar import Calendar

from tracker.calendar.items import task_note_component
from tracker.tasks.models import Task

PRODID = "-//Follow-up tracker//notify//EN"


def task_ics(
    task: Task, *, host: str, url: str, description: str = "", locale: str | None = None
) -> str | None:
    """An all-day VEVENT on the due date (the feeds' UID, so clients update one entry);
    None for a task without one."""
    event = task_note_component(task, host=host, url=url, description=description,
                                locale=locale)
    if event is None:
        return None
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")

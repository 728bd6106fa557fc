"""The task given to someone, as a one-item calendar for the assignment note."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event

from tracker.core.model import utcnow
from tracker.tasks.models import Task

PRODID = "-//Follow-up tracker//notify//EN"


def task_uid(task: Task, host: str) -> str:
    """The same UID the calendar feeds give the task, so clients update one entry."""
    return f"task-{task.id}@{host}"


def task_ics(task: Task, *, host: str, url: str, description: str = "") -> str | None:
    """An all-day VEVENT on the due date; None for a task without one."""
    if task.due_date is None:
        return None
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", task_uid(task, host))
    event.add("dtstamp", utcnow())
    event.add("last-modified", task.updated_at)
    event.add("sequence", max(task.version - 1, 0))
    event.add("dtstart", task.due_date)
    event.add("dtend", task.due_date + timedelta(days=1))
    event.add("summary", task.title)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")

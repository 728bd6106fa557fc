"""Recurrence rules without RRULE syntax: built from the form's choices, said in words.

The form offers a frequency, an interval, "on the first Wednesday" or "on the 7th" (taken
from the first meeting's date, so the rule always produces it) and an end. The words
cover every rule the form builds; a rule sent through the API in another shape is shown
as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date, get_day_names, get_month_names
from flask_babel import get_locale
from flask_babel import gettext as _

FREQUENCIES = ("none", "weekly", "monthly", "quarterly", "yearly")
ENDS = ("never", "count", "until")
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass
class RuleChoice:
    """What the form asks: frequency, interval, by weekday-in-month or by day, the end."""

    frequency: str = "none"
    interval: int = 1
    by_weekday: bool = True
    end: str = "never"
    count: int | None = None
    until: date | None = None


def nth_of_month(day: date) -> int:
    """1..4 for the first to fourth weekday of its kind in the month, -1 for a fifth (last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def build_rrule(choice: RuleChoice, first: date) -> str | None:
    """The RRULE the choices mean, anchored on the first meeting's date."""
    if choice.frequency == "none":
        return None
    freq = {"weekly": "WEEKLY", "monthly": "MONTHLY", "quarterly": "MONTHLY",
            "yearly": "YEARLY"}[choice.frequency]
    interval = max(choice.interval, 1) * (3 if choice.frequency == "quarterly" else 1)
    parts = [f"FREQ={freq}"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    weekday = _DAYS[first.weekday()]
    if choice.frequency == "weekly":
        parts.append(f"BYDAY={weekday}")
    elif choice.by_weekday:
        if choice.frequency == "yearly":
            parts.append(f"BYMONTH={first.month}")
        parts.append(f"BYDAY={nth_of_month(first)}{weekday}")
    elif choice.frequency == "yearly":
        parts.append(f"BYMONTH={first.month};BYMONTHDAY={first.day}")
    else:
        parts.append(f"BYMONTHDAY={first.day}")
    if choice.end == "count" and choice.count:
        parts.append(f"COUNT={choice.count}")
    elif choice.end == "until" and choice.until:
        parts.append(f"UNTIL={choice.until:%Y%m%d}T235959Z")
    return ";".join(parts)


def _parts(rrule: str) -> dict[str, str]:
    return dict(p.partition("=")[::2] for p in rrule.upper().split(";") if p)


def read_rrule(rrule: str | None) -> RuleChoice | None:
    """The form's choices for a rule, or None if the form cannot show it."""
    if not rrule:
        return RuleChoice()
    parts = _parts(rrule)
    known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"}
    if set(parts) - known:
        return None
    freq, interval = parts.get("FREQ"), int(parts.get("INTERVAL", "1"))
    choice = RuleChoice(by_weekday="BYMONTHDAY" not in parts)
    if freq == "WEEKLY":
        choice.frequency = "weekly"
    elif freq == "MONTHLY" and interval % 3 == 0:
        choice.frequency, interval = "quarterly", interval // 3
    elif freq == "MONTHLY":
        choice.frequency = "monthly"
    elif freq == "YEARLY":
        choice.frequency = "yearly"
    else:
        return None
    choice.interval = interval
    if "COUNT" in parts:
        choice.end, choice.count = "count", int(parts["COUNT"])
    elif "UNTIL" in parts:
        raw = parts["UNTIL"][:8]
        choice.end, choice.until = "until", date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    return choice


def _ordinal(n: int) -> str:
    return {1: _("first"), 2: _("second"), 3: _("third"), 4: _("fourth"),
            -1: _("last")}.get(n, str(n))


def describe(rrule: str | None, first: date) -> str:
    """The rule in the page's language: "every first Wednesday of the quarter"."""
    if not rrule:
        return _("no rule: meetings are added as they are set")
    choice = read_rrule(rrule)
    parts = _parts(rrule)
    if choice is None or choice.frequency == "none":
        return _("rule: %(rule)s", rule=rrule)
    locale = get_locale()
    day_name = get_day_names("wide", locale=locale)[first.weekday()]
    by_day = parts.get("BYDAY", "")
    nth_text = by_day[:-2] if len(by_day) > 2 else ""
    nth = _ordinal(int(nth_text)) if nth_text else ""
    n = choice.interval
    if choice.frequency == "weekly":
        text = _("every %(day)s", day=day_name) if n == 1 else \
            _("every %(n)s weeks on %(day)s", n=n, day=day_name)
    elif choice.frequency in ("monthly", "quarterly"):
        if choice.frequency == "monthly":
            every_n = _("every %(n)s months", n=n)
        else:
            every_n = _("every %(n)s quarters", n=n)
        if choice.by_weekday and nth:
            if n == 1 and choice.frequency == "monthly":
                text = _("every %(nth)s %(day)s of the month", nth=nth, day=day_name)
            elif n == 1:
                text = _("every %(nth)s %(day)s of the quarter", nth=nth, day=day_name)
            else:
                text = _("%(every)s on the %(nth)s %(day)s", every=every_n, nth=nth,
                         day=day_name)
        else:
            month_day = parts.get("BYMONTHDAY", str(first.day))
            if n == 1 and choice.frequency == "monthly":
                text = _("every month on day %(d)s", d=month_day)
            elif n == 1:
                text = _("every quarter on day %(d)s", d=month_day)
            else:
                text = _("%(every)s on day %(d)s", every=every_n, d=month_day)
    else:
        month = get_month_names("wide", locale=locale)[first.month]
        if choice.by_weekday and nth:
            text = _("every year on the %(nth)s %(day)s of %(month)s", nth=nth, day=day_name,
                     month=month)
        else:
            text = _("every year on %(date)s",
                     date=format_date(first, "d MMMM", locale=locale))
        if n > 1:
            text = _("%(rule)s, every %(n)s years", rule=text, n=n)
    if choice.end == "count" and choice.count:
        text = _("%(rule)s, %(n)s times", rule=text, n=choice.count)
    elif choice.end == "until" and choice.until:
        text = _("%(rule)s, until %(date)s", rule=text,
                 date=format_date(choice.until, "medium", locale=locale))
    return text

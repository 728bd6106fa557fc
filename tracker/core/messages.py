"""The one catalogue of refusals: what each `InvalidField` code says, to the API and to a page.

A service raises `InvalidField("title", "too_long", max=500)`; nothing matches its wording.
Each code has two texts, side by side so they are changed together:

- `reason`, English, after "field: " in the API's problem+json (`detail`, `errors[].message`),
  in the commands' output and in `str(exc)`; API clients read it, so its wording stays put;
- `sentence`, what a page shows at the field, in the page's language: a gettext message
  (German in tracker/translations/de). Codes a form's own checks catch first keep the
  general "This value is not accepted."

Both are %-formatted with the parameters the service gave (`%(max)s`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

NOT_ACCEPTED = _l("This value is not accepted.")


@dataclass(frozen=True)
class Message:
    """One code's reason (English, for the API) and sentence (translated, for a page)."""

    reason: str
    sentence: LazyString = NOT_ACCEPTED


NOT_VALID_RRULE = _l("This is not a valid recurrence rule (e.g. FREQ=MONTHLY;BYDAY=1WE).")
END_BEFORE_START = _l("The end is before the start.")

MESSAGES: dict[str, Message] = {
    # Any field (tracker.core.validation and the services' own checks).
    "required": Message("is required", _l("This field is required.")),
    "not_text": Message("must be text"),
    "too_long": Message(
        "is longer than %(max)s characters", _l("Please use at most %(max)s characters.")
    ),
    "too_short": Message(
        "must be at least %(min)s characters", _l("Please use at least %(min)s characters.")
    ),
    "not_single_line": Message("must be a single line", _l("Please use a single line.")),
    "control_characters": Message(
        "contains control characters", _l("Contains characters that are not allowed.")
    ),
    "not_one_of": Message("must be one of %(allowed)s"),
    "not_a_list_of_tasks": Message("must be a list of tasks"),
    "not_a_boolean": Message("must be true or false"),
    "not_a_date": Message("must be a date"),
    "not_an_iso_date": Message("must be a date (YYYY-MM-DD)"),
    "not_a_time": Message("must be a time"),
    "not_aware": Message("must be a date and time with a time zone"),
    "year_out_of_range": Message(
        "must lie between the years %(earliest)s and %(latest)s",
        _l("Please give a date between the years %(earliest)s and %(latest)s."),
    ),
    "not_an_id": Message("must be an id"),
    "not_a_list_of_ids": Message("must be a list of ids"),
    "too_many_ids": Message("lists more than %(max)s ids"),
    "not_found": Message(
        "there is no %(kind)s %(id)s", _l("This record does not exist (any more).")
    ),
    "unknown_field": Message("is not %(what)s field"),
    # People and users.
    "not_an_email": Message("is not an email address", _l("This is not an email address.")),
    "email_taken": Message(
        "another person has this email address", _l("Another person has this email address.")
    ),
    "deactivated": Message("%(name)s is deactivated", _l("This person is deactivated.")),
    "minutes_out_of_range": Message("must be between %(min)s and %(max)s minutes"),
    "password_too_long": Message("is too long", _l("This is too long.")),
    "password_too_common": Message(
        "is one of the most common passwords; choose another",
        _l("This is one of the most common passwords. Please choose another."),
    ),
    "password_contains_name": Message(
        "must not contain the person's name or email address",
        _l("The password must not contain the person's name or email address."),
    ),
    "password_needs_role": Message(
        "a user with a password needs a role", _l("A user with a password needs a role.")
    ),
    "login_needs_role": Message(
        "a user with a login needs a role", _l("A user with a login needs a role.")
    ),
    "role_before_password": Message(
        "give the person a role before a password", _l("Give the person a role first.")
    ),
    "token_needs_role": Message(
        "only a user with a role can have an API token",
        _l("Only a user with a role can have an API token."),
    ),
    # Organisations.
    "not_a_country": Message(
        "must be a two-letter country code such as DE",
        _l("Please give a two-letter country code such as DE."),
    ),
    "organisation_name_taken": Message(
        "an organisation with this name exists", _l("An organisation with this name exists.")
    ),
    # Tasks.
    "outcome_of_other_exchange": Message(
        "belongs to another exchange", _l("This outcome belongs to another exchange.")
    ),
    "time_with_due_exchange": Message(
        "a task due at an exchange takes its date from it",
        _l("A task due at an exchange takes its date from it; leave the time empty."),
    ),
    "time_without_date": Message("needs a due date", _l("A due time needs a due date.")),
    "cancelled_not_reopened": Message(
        "a cancelled task must be reopened before it is checked off",
        _l("A cancelled task must be reopened before it is checked off."),
    ),
    # Exchanges.
    "end_before_start_date": Message("is before the start date", END_BEFORE_START),
    "end_before_start": Message("is before the start", END_BEFORE_START),
    "follows_itself": Message(
        "an exchange cannot follow up itself", _l("An exchange cannot follow up itself.")
    ),
    "already_plans": Message(
        "this task already plans an exchange", _l("This task already plans an exchange.")
    ),
    "no_such_exchange": Message("there is no such exchange", _l("There is no such exchange.")),
    "rrule_without_freq": Message("needs FREQ (e.g. FREQ=MONTHLY;BYDAY=1WE)", NOT_VALID_RRULE),
    "rrule_invalid": Message("is not a valid recurrence rule (%(why)s)", NOT_VALID_RRULE),
    "rrule_until_and_count": Message(
        "may have UNTIL or COUNT, not both", _l("Use either UNTIL or COUNT, not both.")
    ),
    "rrule_too_frequent": Message("an exchange recurs at most daily"),
    "rrule_below_one": Message("%(part)s must be 1 or more"),
    "rrule_out_of_range": Message("%(part)s=%(value)s is out of range"),
    "exdates_invalid": Message("%(value)s is not a date of this kind of exchange"),
    "not_a_sequence": Message("must be a whole number from 0"),
    "duration_out_of_range": Message(
        "must be from 0 to %(max)s minutes",
        _l("Please give a length from 0 to %(max)s minutes."),
    ),
    "meeting_exists": Message(
        "the series already has a meeting at this start",
        _l("This series already has a meeting at this time."),
    ),
    "rrule_start_not_occurrence": Message(
        "the start %(start)s is not a date the rule produces (its first is %(first)s)",
        _l("The start is not a date this rule produces (the first would be %(first)s). "
           "Please move the start or change the rule."),
    ),
    "local_time_gap": Message(
        "%(when)s does not exist in %(zone)s (the clocks skip that hour)",
        _l("This time does not exist on that day: the clocks skip that hour when summer time "
           "begins. Please choose a time before or after it."),
    ),
    # Restoring from the trash.
    "exchange_still_deleted": Message(
        "its exchange is deleted; restore the exchange first",
        _l("Its exchange is deleted; please restore the exchange first."),
    ),
    "outcome_still_deleted": Message(
        "its outcome is deleted; restore the outcome first",
        _l("Its outcome is deleted; please restore the outcome first."),
    ),
    # The meeting cycle: document links.
    "not_a_web_link": Message(
        "must be a web address starting with http:// or https://",
        _l("Please give a web address starting with http:// or https://."),
    ),
    # Partner links and the dates proposed through them.
    "link_revoked": Message(
        "the link was revoked; make a new one", _l("This link was revoked; please make a new one.")
    ),
    "already_decided": Message(
        "this proposal was already decided", _l("This proposal was already decided.")
    ),
    "task_not_open": Message(
        "the task is no longer open", _l("This task is no longer open.")
    ),
    # Calendar feeds and the API's lists.
    "not_personal_or_team": Message("must be personal or team"),
    "not_a_cursor": Message("is not a cursor this API gave out"),
    "not_an_object": Message("must be an object"),
    "not_the_other_language": Message(
        "must be the record's other language (%(allowed)s)",
        _l("A translation must be in the other language."),
    ),
}


def reason(code: str, params: Mapping[str, Any]) -> str:
    """The English reason the API and the commands give, so their wording never drifts."""
    return MESSAGES[code].reason % params


def sentence(code: str, params: Mapping[str, Any]) -> str:
    """The sentence a page shows, in the request's language (needs an app context)."""
    return str(MESSAGES[code].sentence) % params

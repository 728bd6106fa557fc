"""The words of the mails and the settings page, per language.

Kept here rather than in the shared message catalogue so the mail texts can change
without touching the web pages' translations.
"""

from __future__ import annotations

from collections.abc import Callable

from tracker.organisations.models import LOCALES

DEFAULT_LANGUAGE = "de"

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "greeting": "Hallo {name},",
        "signature": "Ihr Follow-up-Tracker",
        "settings_footer": "Überblick seltener, öfter oder gar nicht mehr erhalten:",
        "settings_link": "E-Mail-Einstellungen ändern",
        "open": "Öffnen",
        "all_my_tasks": "Alle meine Folgeaufgaben",
        # digest
        "digest_subject_daily": "Ihre Folgeaufgaben am {date}",
        "digest_subject_weekly": "Ihre Folgeaufgaben in der Woche ab {date}",
        "digest_intro_daily": "hier ist Ihr täglicher Überblick.",
        "digest_intro_weekly": "hier ist Ihr Wochenüberblick.",
        "summary": "{overdue} überfällig, {soon} in den nächsten 7 Tagen fällig",
        "overdue_heading": "Überfällig",
        "soon_heading": "Fällig in den nächsten 7 Tagen",
        "exchanges_heading": "Ihre nächsten Austauschtermine",
        "due_on": "fällig am {date}",
        "due_at_time": "fällig am {date} um {time} Uhr",
        "date_time": "{date}, {time} Uhr",
        "days_overdue_1": "seit 1 Tag überfällig",
        "days_overdue_n": "seit {days} Tagen überfällig",
        "from_exchange": "aus: {title}",
        "today": "heute",
        "tomorrow": "morgen",
        # assignment note
        "assigned_subject": "Neue Aufgabe für Sie: {title}",
        "assigned_intro": "{actor} hat Ihnen eine Aufgabe gegeben:",
        "rescheduled_subject": "Neuer Termin für Ihre Aufgabe: {title}",
        "rescheduled_intro": "{actor} hat den Termin Ihrer Aufgabe geändert ({old} → {new}):",
        "someone": "Jemand",
        "no_due_date": "ohne Termin",
        "label_due": "Fällig",
        "label_exchange": "Austausch",
        "label_organisation": "Organisation",
        "label_description": "Beschreibung",
        "ics_hint": "Die Aufgabe liegt als Kalendereintrag (.ics) bei.",
        # agenda and minutes
        "agenda_subject": "Tagesordnung: {title} ({date})",
        "agenda_intro": "hier ist die Tagesordnung für {title} am {when}.",
        "minutes_subject": "Protokoll: {title} ({date})",
        "minutes_intro": "hier ist das Protokoll von {title} am {when}.",
        "topics_heading": "Themen",
        "no_topics": "Keine weiteren Themen eingetragen.",
        "carried_heading": "Noch offen aus früheren Treffen",
        "carried_series": "aus einem früheren Treffen der Reihe",
        "carried_partner": "gemeinsam mit {partners}",
        "agreed_heading": "Vereinbart",
        "nothing_agreed": "Es wurde nichts festgehalten.",
        "other_tasks_heading": "Weitere Aufgaben",
        "your_tasks_heading": "Ihre Aufgaben",
        "no_tasks_for_you": "Sie haben aus diesem Treffen keine offenen Aufgaben.",
        "label_owner": "Verantwortlich",
        "label_place": "Ort",
        "label_note": "Notiz",
        "became_done": "erledigt",
        "became_open": "weiter offen, {due}",
        "became_cancelled": "abgesagt",
        "meeting_ics_hint": "Der Termin liegt als Kalendereintrag (.ics) bei.",
        "meeting_page": "Zum Austausch",
        # settings page
        "settings_title": "E-Mail-Erinnerungen",
        "settings_for": "Für {name} ({email})",
        "settings_explain": (
            "Hier legen Sie nur fest, welche E-Mails Sie über Ihre Folgeaufgaben erhalten. "
            "Eine Anmeldung ist dafür nicht nötig."
        ),
        "assignment_notes_label": (
            "E-Mail, wenn mir jemand anderes eine Aufgabe gibt oder ihr Fälligkeitsdatum "
            "verschiebt"
        ),
        "digest_label": "Überblick per E-Mail",
        "digest_daily": "täglich",
        "digest_weekly": "wöchentlich (montags)",
        "digest_never": "nie – keine Überblicke mehr senden",
        "save": "Speichern",
        "saved": "Gespeichert. Überblick per E-Mail: {choice}.",
        "invalid_link": (
            "Dieser Link ist ungültig. Bitte nutzen Sie den Link aus einer neueren E-Mail."
        ),
    },
    "en": {
        "greeting": "Hello {name},",
        "signature": "Your follow-up tracker",
        "settings_footer": "Get the digest less often, more often or not at all:",
        "settings_link": "Change email settings",
        "open": "Open",
        "all_my_tasks": "All my follow-ups",
        "digest_subject_daily": "Your follow-ups on {date}",
        "digest_subject_weekly": "Your follow-ups for the week of {date}",
        "digest_intro_daily": "here is your daily overview.",
        "digest_intro_weekly": "here is your weekly overview.",
        "summary": "{overdue} overdue, {soon} due in the next 7 days",
        "overdue_heading": "Overdue",
        "soon_heading": "Due in the next 7 days",
        "exchanges_heading": "Your next exchanges",
        "due_on": "due {date}",
        "due_at_time": "due {date} at {time}",
        "date_time": "{date}, {time}",
        "days_overdue_1": "1 day overdue",
        "days_overdue_n": "{days} days overdue",
        "from_exchange": "from: {title}",
        "today": "today",
        "tomorrow": "tomorrow",
        "assigned_subject": "New task for you: {title}",
        "assigned_intro": "{actor} gave you a task:",
        "rescheduled_subject": "New due date for your task: {title}",
        "rescheduled_intro": "{actor} changed the due date of your task ({old} → {new}):",
        "someone": "Someone",
        "no_due_date": "no due date",
        "label_due": "Due",
        "label_exchange": "Exchange",
        "label_organisation": "Organisation",
        "label_description": "Description",
        "ics_hint": "The task is attached as a calendar entry (.ics).",
        "agenda_subject": "Agenda: {title} ({date})",
        "agenda_intro": "here is the agenda for {title} on {when}.",
        "minutes_subject": "Minutes: {title} ({date})",
        "minutes_intro": "here are the minutes of {title} on {when}.",
        "topics_heading": "Topics",
        "no_topics": "No further topics entered.",
        "carried_heading": "Still open from earlier meetings",
        "carried_series": "from an earlier meeting of the series",
        "carried_partner": "shared with {partners}",
        "agreed_heading": "Agreed",
        "nothing_agreed": "Nothing was recorded.",
        "other_tasks_heading": "Other tasks",
        "your_tasks_heading": "Your tasks",
        "no_tasks_for_you": "You have no open tasks from this meeting.",
        "label_owner": "Owner",
        "label_place": "Place",
        "label_note": "Note",
        "became_done": "done",
        "became_open": "still open, {due}",
        "became_cancelled": "cancelled",
        "meeting_ics_hint": "The meeting is attached as a calendar entry (.ics).",
        "meeting_page": "Open the exchange",
        "settings_title": "Email reminders",
        "settings_for": "For {name} ({email})",
        "settings_explain": (
            "This page only sets which emails you receive about your follow-ups. "
            "You do not need to sign in for it."
        ),
        "assignment_notes_label": (
            "Email when someone else gives me a task or moves its due date"
        ),
        "digest_label": "Digest by email",
        "digest_daily": "daily",
        "digest_weekly": "weekly (Mondays)",
        "digest_never": "never – stop sending digests",
        "save": "Save",
        "saved": "Saved. Digest by email: {choice}.",
        "invalid_link": "This link is not valid. Please use the link from a more recent email.",
    },
}


def language(locale: str | None) -> str:
    """A person's mail language: their choice if we speak it, else German."""
    return locale if locale in LOCALES and locale in TEXTS else DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: object) -> str:
    words = TEXTS[language(lang)][key]
    return words.format(**values) if values else words


def translator(lang: str) -> Callable[..., str]:
    """`t("key", name=…)` for templates, bound to one language."""

    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)

    return t

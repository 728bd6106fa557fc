"""The mails around partner links: the link to the partner's contacts, and a report to the
task's owner when a partner acted through it. Worded per language like tracker.notify's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale

from tracker.accounts.models import Person
from tracker.notify import texts as notify_texts
from tracker.notify.services import Mail, _text_environment, settings_url, task_url
from tracker.partners.models import PartnerLink
from tracker.tasks.models import Task

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "link_subject": "Ihre Zusagen im Follow-up-Tracker: {organisation}",
        "link_greeting": "Guten Tag {name},",
        "link_intro": (
            "über diesen Link sehen Sie, was {organisation} bei unseren gemeinsamen Terminen "
            "zugesagt hat, und können melden, was erledigt ist, eine Notiz schreiben oder "
            "einen neuen Termin vorschlagen. Eine Anmeldung ist nicht nötig."
        ),
        "link_expires": "Der Link gilt bis {date}. Bitte geben Sie ihn nicht weiter.",
        "link_open": "Zusagen öffnen",
        "owner_subject_done": "{organisation} meldet erledigt: {title}",
        "owner_subject_note": "Notiz von {organisation}: {title}",
        "owner_subject_proposal": "{organisation} schlägt einen neuen Termin vor: {title}",
        "owner_intro_done": "{organisation} hat über den Partner-Link gemeldet, dass diese "
                            "Aufgabe erledigt ist:",
        "owner_intro_note": "{organisation} hat über den Partner-Link eine Notiz geschrieben:",
        "owner_intro_proposal": "{organisation} schlägt über den Partner-Link einen neuen "
                                "Termin vor: {date} (bisher: {old}).",
        "owner_reason": "Begründung: {reason}",
        "owner_decide": "Auf der Aufgabenseite nehmen Sie den Termin mit einem Klick an "
                        "oder lehnen ihn ab:",
        "owner_decide_link": "Termin annehmen oder ablehnen",
    },
    "en": {
        "link_subject": "Your commitments in the follow-up tracker: {organisation}",
        "link_greeting": "Dear {name},",
        "link_intro": (
            "through this link you see what {organisation} committed to at our joint "
            "meetings, and can report what is done, write a note or propose a new date. "
            "No account is needed."
        ),
        "link_expires": "The link is valid until {date}. Please do not pass it on.",
        "link_open": "Open the commitments",
        "owner_subject_done": "{organisation} reports done: {title}",
        "owner_subject_note": "Note from {organisation}: {title}",
        "owner_subject_proposal": "{organisation} proposes a new date: {title}",
        "owner_intro_done": "{organisation} reported through its partner link that this "
                            "task is done:",
        "owner_intro_note": "{organisation} wrote a note through its partner link:",
        "owner_intro_proposal": "{organisation} proposes a new date through its partner "
                                "link: {date} (so far: {old}).",
        "owner_reason": "Reason: {reason}",
        "owner_decide": "Accept or decline the date with one click on the task's page:",
        "owner_decide_link": "Accept or decline the date",
    },
}


def translator(lang: str) -> Callable[..., str]:
    """`t(key, …)`: these mails' words, then the shared mail words (greeting, signature)."""
    shared = notify_texts.translator(lang)

    def t(key: str, **values: object) -> str:
        words = TEXTS[lang].get(key)
        if words is None:
            return shared(key, **values)
        return words.format(**values) if values else words

    return t


def _render(lang: str, name: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML parts of templates/partners/<name>.{txt,html}."""
    context.update(t=translator(lang), lang=lang)
    with force_locale(lang):
        plain = _text_environment().get_template(f"partners/{name}.txt").render(**context)
        html = render_template(f"partners/{name}.html", **context)
    return plain.strip() + "\n", html


def _day(value: Any, lang: str) -> str:
    if value is None:
        return notify_texts.text(lang, "no_due_date")
    return format_date(value, format="medium", locale=lang)


def link_mail(link: PartnerLink, person: Person, url: str) -> Mail:
    """The link, to one of the organisation's contacts, in the organisation's language."""
    lang = notify_texts.language(link.organisation.locale)
    t = translator(lang)
    org = link.organisation.name
    plain, html = _render(
        lang, "mail_link", person=person, url=url,
        intro=t("link_intro", organisation=org),
        expires=t("link_expires", date=_day(link.expires_at.date(), lang)),
    )
    return Mail(subject=t("link_subject", organisation=org), text=plain, html=html)


def owner_mail(task: Task, link: PartnerLink, owner: Person, what: str, **details: Any) -> Mail:
    """What the partner did, to the task's owner, in the owner's language."""
    lang = notify_texts.language(owner.locale)
    t = translator(lang)
    org = link.organisation.name
    proposal = details.get("proposal")
    url = task_url(task)
    if proposal is not None:
        intro = t("owner_intro_proposal", organisation=org,
                  date=_day(proposal.proposed_date, lang), old=_day(task.due_date, lang))
        url = f"{task_url(task)}#proposal-{proposal.id}"
    else:
        intro = t(f"owner_intro_{what}", organisation=org)
    plain, html = _render(
        lang, "mail_owner", person=owner, task=task, intro=intro,
        note=details.get("text"), proposal=proposal, task_url=url,
        settings_url=settings_url(owner),
    )
    return Mail(subject=t(f"owner_subject_{what}", organisation=org, title=task.title),
                text=plain, html=html, unsubscribe_url=settings_url(owner))

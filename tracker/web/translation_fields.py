"""The second-language part of the task and outcome forms: the language of the text typed
in, and the same fields in the other language ("add English text")."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField

from tracker.core.translations import other_language
from tracker.organisations.models import LOCALES

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def language_field() -> SelectField:
    # Checked by the service (a missing one is German), so a form without it still posts.
    return SelectField(_l("Language of this text"), default="de", validate_choice=False)


def set_language_choices(form: Any) -> None:
    form.language.choices = [(code, LANGUAGE_NAMES[code]) for code in LOCALES]


def translations_from(form: Any, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The other-language fields as the service takes them (empty ones left out there)."""
    language = form.language.data if form.language.data in LOCALES else "de"
    texts = {name: getattr(form, f"other_{name}").data or "" for name in fields}
    return {other_language(language): texts} if any(texts.values()) else {}


def load_translations(form: Any, record: Any, fields: tuple[str, ...]) -> None:
    """Fill the other-language fields from a record's translation."""
    texts = (record.translations or {}).get(other_language(record.language), {})
    for name in fields:
        field: Field = getattr(form, f"other_{name}")
        field.data = texts.get(name, "")


def aliases(fields: tuple[str, ...]) -> dict[str, str]:
    """A refusal of "translations.en.title" shows at the form's other_title field."""
    names = {f"translations.{code}.{name}": f"other_{name}" for code in LOCALES for name in fields}
    names |= {f"translations.{code}": f"other_{fields[0]}" for code in LOCALES}
    return names | {"translations": f"other_{fields[0]}"}

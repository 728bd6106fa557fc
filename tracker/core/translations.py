"""A record's text in a second language, and the one rule for which text a reader sees.

An outcome or a task is written in one language (`language`, "de" or "en") and may carry
its text fields in the other (`translations`, e.g. {"en": {"title": "…", "description":
"…"}}). Pages, feeds, mails and the CSV call `localized(field, locale)`: the reader's
language when there is a text in it, else the original.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core import validation
from tracker.core.errors import InvalidField
from tracker.organisations.models import LOCALES


class Translatable:
    """`language` of the record's own text and its `translations` into the other one."""

    #: The text fields that may be translated, and whether each must be a single line.
    TRANSLATED: ClassVar[dict[str, bool]] = {}

    language: Mapped[str] = mapped_column(String(2), default="de", server_default="de")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )

    def localized(self, field: str, locale: str | None) -> str:
        """`field` in `locale` when there is a text in it, else as written."""
        original: str = getattr(self, field)
        if not locale or locale == self.language:
            return original
        return (self.translations or {}).get(str(locale), {}).get(field) or original


def other_language(language: str) -> str:
    """The second language of a record written in `language` (de ↔ en)."""
    return next(code for code in LOCALES if code != language)


def validated_language(value: Any) -> str:
    return validation.choice("language", value if value is not None else "de", LOCALES)


def validated_translations(
    value: Any, language: str, fields: dict[str, bool], max_lengths: dict[str, int]
) -> dict[str, dict[str, str]]:
    """Only the other language, only known fields, each text within its column's length;
    empty texts are left out, so "no translation" is always `{}`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidField("translations", "not_an_object")
    result: dict[str, dict[str, str]] = {}
    for code, texts in value.items():
        if code not in LOCALES or code == language:
            raise InvalidField(f"translations.{code}", "not_the_other_language",
                               allowed=other_language(language))
        if not isinstance(texts, dict):
            raise InvalidField(f"translations.{code}", "not_an_object")
        kept: dict[str, str] = {}
        for name, text in texts.items():
            if name not in fields:
                raise InvalidField(f"translations.{code}.{name}", "unknown_field",
                                   what="a translated")
            checked = validation.text(f"translations.{code}.{name}", text,
                                      max_length=max_lengths[name], single_line=fields[name])
            if checked:
                kept[name] = checked
        if kept:
            result[code] = kept
    return result

"""What every page form shares: one wording for WTForms' own messages, and date fields that
take the way people type a date and say which way that is when they cannot read it."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import DateField, DateTimeLocalField, Form


class _Words:
    """WTForms' messages in the tracker's own words first ("This field is required." says
    "Dieses Feld ist erforderlich." as the services' refusals do), WTForms' catalogue else."""

    def gettext(self, string: str) -> str:
        ours = gettext(string)
        return ours if ours != string else str(wtforms_translations.gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(wtforms_translations.ngettext(singular, plural, n))


class TrackerForm(FlaskForm):
    """The base of every page form."""

    class Meta:
        def get_translations(self, form: Any) -> _Words:
            return _Words()


class RowForm(Form):
    """A row inside a page form (no CSRF token of its own), with the same wording."""

    class Meta:
        def get_translations(self, form: Any) -> _Words:
            return _Words()


DATE_HELP = _l("Please enter the date as DD.MM.YYYY (e.g. 06.12.2022).")
MOMENT_HELP = _l("Please enter date and time as DD.MM.YYYY HH:MM (e.g. 06.12.2022 10:00).")


class DayField(DateField):
    """A date from a date picker (2022-12-06) or typed by hand (06.12.2022)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(DATE_HELP)) from exc


class MomentField(DateTimeLocalField):
    """A date and time from the picker (2022-12-06T10:00) or typed (06.12.2022 10:00)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S"]
        super().__init__(label, validators, format=formats, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(MOMENT_HELP)) from exc

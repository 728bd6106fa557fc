"""The partner page's forms (a note, a proposed date) and the editors' buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tracker.core.limits import max_length
from tracker.partners.models import DueDateProposal
from tracker.tasks.models import TaskNote


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), validators=[
        InputRequired(), Length(max=max_length(TaskNote.text))])


class ProposeForm(FlaskForm):
    due_date = DateField(_l("New date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[
        Optional(), Length(max=max_length(DueDateProposal.reason))])

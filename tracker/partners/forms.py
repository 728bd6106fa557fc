"""The partner page's forms (a note, a proposed date) and the editors' buttons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tracker.core.limits import max_length
from tracker.partners.models import DueDateProposal
from tracker.tasks.models import TaskNote
from tracker.web.forms import TrackerForm


class NoteForm(TrackerForm):
    text = TextAreaField(_l("Note"), validators=[
        InputRequired(), Length(max=max_length(TaskNote.text))])


class ProposeForm(TrackerForm):
    due_date = DateField(_l("New date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[
        Optional(), Length(max=max_length(DueDateProposal.reason))])

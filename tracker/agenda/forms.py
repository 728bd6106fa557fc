"""The agenda page's small forms: a topic, a new due date, a note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.agenda.models import AgendaTopic
from tracker.core.limits import max_length
from tracker.tasks.models import TaskNote
from tracker.web.forms import TrackerForm


class TopicForm(TrackerForm):
    #: Not "text": the agenda page also holds the outcome form, whose field is "text".
    topic = TextAreaField(
        _l("Topic"), validators=[DataRequired(), Length(max=max_length(AgendaTopic.text))]
    )
    version = HiddenField()


class MoveDateForm(TrackerForm):
    due_date = DateField(_l("New due date"), validators=[DataRequired()])


class NoteForm(TrackerForm):
    text = TextAreaField(
        _l("Note"), validators=[DataRequired(), Length(max=max_length(TaskNote.text))]
    )

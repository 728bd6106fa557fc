"""The fast select renders exactly what WTForms' own select renders."""

from __future__ import annotations

import re

from wtforms import Form, SelectField
from wtforms.validators import DataRequired

from tracker.web.choices import LongSelectField, optional_int


class _Form(Form):
    plain = SelectField(coerce=optional_int, validators=[DataRequired()])
    fast = LongSelectField(coerce=optional_int, validators=[DataRequired()])


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, "selected" in attrs, label)
        for attrs, value, label in (
            (m.group(0), m.group(1), m.group(2))
            for m in re.finditer(r'<option[^>]*value="([^"]*)"[^>]*>(.*?)</option>', html)
        )
    ]


def test_long_select_renders_like_wtforms_select():
    form = _Form(data={"plain": 3, "fast": 3})
    choices = [("", "— auswählen —"), (None, "— keiner —")] + [
        (i, f'Treffen <{i}> & "Kiel"') for i in range(5)
    ]
    form.plain.choices = form.fast.choices = choices
    plain, fast = form.plain(), form.fast()
    assert _options(fast) == _options(plain)
    assert ("3", True, "Treffen &lt;3&gt; &amp; &#34;Kiel&#34;") in _options(fast)
    assert fast.startswith('<select data-picker="single" id="fast" name="fast" required>')


def test_long_select_leaves_groups_to_wtforms():
    form = _Form()
    form.fast.choices = {"Kiel": [(1, "Workshop")], "Lübeck": [(2, "Besuch")]}
    assert "<optgroup" in form.fast()

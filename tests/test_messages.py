"""Refusals are worded by code from one catalogue (tracker.core.messages): every code a
service raises has its English reason (API, commands) and a page sentence in German and
English, and each formats with the parameters its raise gives."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from wtforms import Form, StringField

from tracker.api.problems import handle_error
from tracker.core.errors import InvalidField
from tracker.core.messages import MESSAGES
from tracker.web.helpers import show_on_form

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "tracker/translations/de/LC_MESSAGES/messages.po"
#: Sentences German writes exactly as English (none today; a name such as "FREQ" would be).
SAME_IN_GERMAN: set[str] = set()


@dataclass(frozen=True)
class Raise:
    where: str
    code: str
    params: tuple[str, ...]


def _raises() -> list[Raise]:
    """Every `InvalidField(field, "code", name=value, ...)` call in tracker/, read from source."""
    found = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(
                node.func, "attr", None)
            if name != "InvalidField":
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert len(node.args) == 2, f"{where}: InvalidField(field, code, **params)"
            code = node.args[1]
            assert isinstance(code, ast.Constant) and isinstance(code.value, str), (
                f"{where}: the code must be written out, so this test can find it")
            assert all(k.arg for k in node.keywords), f"{where}: name each parameter"
            found.append(Raise(where, code.value, tuple(sorted(k.arg for k in node.keywords))))
    return found


RAISES = _raises()


def _german() -> dict[str, object]:
    with open(CATALOG, "rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def test_the_scan_finds_the_raises():
    assert len(RAISES) > 50
    assert Raise("tracker/core/validation.py", "too_long", ("max",)) in {
        Raise(r.where.split(":")[0], r.code, r.params) for r in RAISES}


def test_every_raised_code_is_in_the_catalogue_and_every_entry_is_raised():
    raised = {r.code for r in RAISES}
    assert [r.where for r in RAISES if r.code not in MESSAGES] == []
    assert sorted(set(MESSAGES) - raised) == []


@pytest.mark.parametrize("raised", RAISES, ids=lambda r: f"{r.code}@{r.where}")
def test_each_raise_formats_in_english_and_german(app, raised):
    params = {name: 7 for name in raised.params}
    exc = InvalidField("field", raised.code, **params)
    assert exc.message and "%(" not in exc.message
    assert str(exc) == f"field: {exc.message}"
    with app.test_request_context():
        with force_locale("en"):
            english = exc.sentence()
        with force_locale("de"):
            german = exc.sentence()
    for text in (english, german):
        assert text and "%" not in text, (raised, text)
    assert german != english or english in SAME_IN_GERMAN, (raised, english)


def test_every_sentence_is_translated_and_not_fuzzy(app):
    german = _german()
    with app.test_request_context(), force_locale("en"):
        msgids = {str(m.sentence) for m in MESSAGES.values()}
    for msgid in sorted(msgids):
        entry = german.get(msgid)
        assert entry is not None, f"not in messages.po: {msgid!r}"
        assert entry.string and "fuzzy" not in entry.flags, msgid
        assert entry.string != msgid or msgid in SAME_IN_GERMAN, msgid
        assert set(re.findall(r"%\(\w+\)s", entry.string)) == set(
            re.findall(r"%\(\w+\)s", msgid)), msgid


class TitleForm(Form):
    title = StringField()


def test_a_page_shows_the_sentence_at_the_field_and_the_api_the_reason(app):
    exc = InvalidField("title", "too_long", max=500)
    assert str(exc) == "title: is longer than 500 characters"
    with app.test_request_context():
        with force_locale("de"):
            form = TitleForm()
            show_on_form(form, exc)
            show_on_form(form, InvalidField("owner_id", "deactivated", name="Anna"))
        assert form.title.errors == ["Bitte höchstens 500 Zeichen verwenden."]
        assert form.form_errors == ["Diese Person ist deaktiviert."]
        with force_locale("en"):
            form = TitleForm()
            show_on_form(form, InvalidField("name", "too_long", max=200), {"name": "title"})
        assert form.title.errors == ["Please use at most 200 characters."]
        with force_locale("de"):
            body = handle_error(exc).get_json()
    assert body["detail"] == "title: is longer than 500 characters"
    assert body["errors"] == [{"field": "title", "message": "is longer than 500 characters"}]

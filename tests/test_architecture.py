"""Every write goes through a service: views and commands only call them.

A service validates, checks the version and writes the audit entry in the same transaction;
a view or command that set a model's attribute itself, or added a row to the session, would
skip all three. These tests read the source, so a new view is checked by itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"
DOORS = sorted(PACKAGE.glob("**/views.py")) + [PACKAGE / "cli.py"]

#: What a view may set: a form field's data, errors or choices, and the request's, the
#: response's, flask.g's or a caught error's own attributes; never a record's.
FORM_FIELD_ATTRIBUTES = {"data", "errors", "choices"}
NOT_RECORDS = {"request", "response", "g", "exc"}
#: Session calls that write.
WRITING_CALLS = {"add", "add_all", "delete", "merge", "bulk_save_objects"}
WRITING_STATEMENTS = {"insert", "update", "delete"}


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _writes(path: Path) -> list[str]:
    """Lines of `path` that set a record's attribute or write through the session."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if not (isinstance(part, ast.Attribute) and isinstance(part.ctx, ast.Store)):
                    continue
                if part.attr in FORM_FIELD_ATTRIBUTES or _root_name(part) in NOT_RECORDS:
                    continue
                found.append(f"{path.name}:{node.lineno} sets {ast.unparse(part)}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in WRITING_CALLS and "session" in ast.unparse(node.func.value):
                found.append(f"{path.name}:{node.lineno} calls {ast.unparse(node.func)}")
            if node.func.attr == "execute" and node.args:
                statement = node.args[0]
                if isinstance(statement, ast.Call) and _root_name(statement) in WRITING_STATEMENTS:
                    found.append(f"{path.name}:{node.lineno} executes {_root_name(statement)}")
    return found


@pytest.mark.parametrize("path", DOORS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_views_and_commands_leave_every_write_to_the_services(path):
    assert _writes(path) == []


def test_the_check_finds_a_view_that_writes_itself(tmp_path):
    view = tmp_path / "views.py"
    view.write_text(
        "def complete(task, form):\n"
        "    form.title.data = task.title\n"
        "    task.status = 'done'\n"
        "    db.session.add(task)\n"
        "    db.session.execute(update(Task).values(status='done'))\n"
    )
    assert _writes(view) == [
        "views.py:3 sets task.status",
        "views.py:4 calls db.session.add",
        "views.py:5 executes update",
    ]

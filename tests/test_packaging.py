"""A built wheel carries what the app needs at run time: templates, migrations, static files."""

import zipfile
from pathlib import Path

import pytest


def test_the_wheel_ships_templates_and_migrations(tmp_path):
    builders = pytest.importorskip("hatchling.builders.wheel")
    root = Path(__file__).resolve().parent.parent
    builder = builders.WheelBuilder(str(root))
    [wheel] = list(builder.build(directory=str(tmp_path), versions=["standard"]))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tracker/templates/base.html" in names
    assert "tracker/migrations/script.py.mako" in names
    assert any(n.startswith("tracker/migrations/versions/0001") for n in names)

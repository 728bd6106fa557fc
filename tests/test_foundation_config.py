"""Configuration from the environment, with the contract's defaults."""

from __future__ import annotations

import stat

import pytest

from tracker import config, create_app


def test_defaults(tmp_path):
    settings = config.from_environment(tmp_path, environ={})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    assert settings["TRACKER_TIMEZONE"] == "Europe/Berlin"
    assert settings["TRACKER_BASE_URL"] is None


def test_environment_overrides(tmp_path):
    settings = config.from_environment(tmp_path, environ={
        "TRACKER_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/x",
        "TRACKER_TIMEZONE": "Europe/Helsinki",
        "TRACKER_BASE_URL": "https://tracker.rostock.example/",
        "TRACKER_SECRET_KEY": "s3cret",
    })
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert settings["TRACKER_TIMEZONE"] == "Europe/Helsinki"
    assert settings["TRACKER_BASE_URL"] == "https://tracker.rostock.example"
    assert settings["SECRET_KEY"] == "s3cret"


def test_an_unknown_time_zone_is_refused(tmp_path):
    with pytest.raises(config.ConfigError, match="Mars/Olympus"):
        config.from_environment(tmp_path, environ={"TRACKER_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(config.ConfigError):
        create_app({"TRACKER_TIMEZONE": "../../etc/passwd", "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path):
    settings: dict = {"SECRET_KEY": None}
    config.ensure_secret_key(settings, tmp_path)
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(settings["SECRET_KEY"]) >= 64
    again: dict = {"SECRET_KEY": None}
    config.ensure_secret_key(again, tmp_path)
    assert again["SECRET_KEY"] == settings["SECRET_KEY"]


def test_create_app_has_no_side_effects_at_import():
    import importlib

    import tracker

    importlib.reload(tracker)  # importing builds no app and touches no database
    assert not hasattr(tracker, "app")


def test_the_readme_lists_every_variable_the_app_reads():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = {line.split("`")[1] for line in readme.splitlines() if line.startswith("| `TRACKER_")}
    assert table == set(config.ENVIRONMENT)


def test_a_number_setting_that_is_no_number_is_refused(tmp_path):
    with pytest.raises(config.ConfigError, match="TRACKER_PROXY_FIX"):
        config.from_environment(tmp_path, environ={"TRACKER_PROXY_FIX": "two"})

"""Alembic's environment: the app's engine and metadata, run by Flask-Migrate."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import inspect, text

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def render_item(type_, obj, autogen_context):
    """Write the app's UTC column type as the plain DateTime it is stored as."""
    from tracker.core.model import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def restamp_renamed_revision(connection):
    """A database stamped with a revision's old name is stamped with its new one first."""
    from tracker.core.database import RENAMED_REVISIONS

    if inspect(connection).has_table("alembic_version"):
        for old, new in RENAMED_REVISIONS.items():
            connection.execute(
                text("UPDATE alembic_version SET version_num = :new WHERE version_num = :old"),
                {"old": old, "new": new},
            )
    connection.commit()  # so that the migrations begin (and commit) a transaction of their own


def run_migrations_offline():
    """Write the migrations' SQL without a database (`flask db upgrade --sql`)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Migrate the app's database over its own engine."""

    # An autogenerate that finds no change writes no empty migration.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("compare_type", True)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        restamp_renamed_revision(connection)
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

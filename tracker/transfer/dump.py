"""The whole database as versioned JSON, and back, losslessly.

The file holds every table of the schema, its column names and its rows, in the order
that foreign keys need. Export reads one consistent snapshot; import checks the whole
file before it writes, and writes everything in one transaction.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Time,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from tracker.core import validation
from tracker.core.database import current_revision_name
from tracker.core.errors import InvalidField
from tracker.core.files import atomic_write
from tracker.core.limits import MAX_ID, is_id
from tracker.core.model import UTCDateTime
from tracker.core.progress import Progress
from tracker.extensions import db

FORMAT = "followup-tracker-export"
FORMAT_VERSION = 1
CHUNK = 1000


class ImportRefused(Exception):
    """The file or the database is not fit for an import; nothing was written."""


def _tables() -> list[Table]:
    """Every table that holds data; derived ones (info={"transfer": False}) are rebuilt."""
    return [
        t
        for t in db.metadata.sorted_tables
        if t.name != "alembic_version" and t.info.get("transfer", True)
    ]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def export_database(target: Path | IO[str], progress: Progress | None = None) -> dict[str, int]:
    """Write every table to `target`; returns the row count of each."""
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        conn = conn.execution_options(tracker_read_only=True)
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # One transaction, so a busy server cannot change the data between two tables.
            totals = {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in _tables()
            }
            revision = _schema_revision(conn)
            # A file takes the export's name only once complete: the last backup survives.
            sink = atomic_write(target) if isinstance(target, Path) else nullcontext(target)
            with sink as out:
                out.write("{")
                out.write(f'"format": {json.dumps(FORMAT)}, "format_version": {FORMAT_VERSION},')
                out.write(f' "schema_revision": {json.dumps(revision)},')
                out.write(f' "counts": {json.dumps(totals)}, "tables": {{')
                for i, table in enumerate(_tables()):
                    columns = [c.name for c in table.columns]
                    out.write(("," if i else "") + f"\n{json.dumps(table.name)}: ")
                    out.write(f'{{"columns": {json.dumps(columns)}, "rows": [')
                    order = [c for c in table.primary_key.columns]
                    done = 0
                    # A chunk of rows at a time (a server-side cursor on PostgreSQL),
                    # never a whole table in memory.
                    rows = conn.execute(
                        select(table).order_by(*order).execution_options(yield_per=CHUNK)
                    )
                    for row in rows:
                        out.write(("," if done else "") + "\n")
                        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False))
                        done += 1
                        if progress and done % CHUNK == 0:
                            progress(table.name, done, totals[table.name])
                    if progress:
                        progress(table.name, done, totals[table.name])
                    counts[table.name] = done
                    out.write("]}")
                out.write("}}\n")
    return counts


def _schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at; an export only fits a database at the same."""
    try:
        with conn.begin_nested():
            return conn.scalar(sql("SELECT version_num FROM alembic_version"))
    except (OperationalError, ProgrammingError):
        return None


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return lambda v: datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: date.fromisoformat(v)
    if isinstance(kind, Time):
        return lambda v: time.fromisoformat(v)
    if isinstance(kind, Boolean):
        return lambda v: _typed(v, bool)
    if isinstance(kind, Integer):
        return lambda v: _typed(v, int)
    if isinstance(kind, JSON):
        return lambda v: v
    return lambda v: _typed(v, str)


#: The widest integer an Integer column holds on every database we run on (PostgreSQL int4),
#: so a file taken from SQLite also goes into PostgreSQL.
_INT_RANGE = range(-MAX_ID - 1, MAX_ID + 1)


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{value!r} is not {kind.__name__}")
    if kind is int and value not in _INT_RANGE:
        raise ValueError(f"{value!r} is too large for the database")
    return value


def _read(source: Path) -> dict:
    try:
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError as exc:
        raise ImportRefused(f"{source}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"{source} is not a text file") from exc
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"{source} is not complete JSON (truncated or damaged at line {exc.lineno})"
        ) from exc
    except RecursionError as exc:
        raise ImportRefused(f"{source} is not an export (its JSON is nested too deeply)") from exc
    except ValueError as exc:  # e.g. a number with more digits than Python reads
        raise ImportRefused(f"{source} is not an export ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRefused(f"{source} is not a follow-up tracker export")
    if data.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(
            f"{source} has format version {data.get('format_version')!r}; "
            f"this tracker reads version {FORMAT_VERSION}"
        )
    return data


def _decoded_rows(data: dict) -> dict[str, tuple[list[str], list[dict]]]:
    """Check every table, column, row and value before anything is written."""
    tables, counts = data.get("tables"), data.get("counts")
    if not isinstance(tables, dict) or not isinstance(counts, dict):
        raise ImportRefused("the file has no tables")
    expected = {t.name for t in _tables()}
    if set(tables) != expected:
        missing, extra = expected - set(tables), set(tables) - expected
        raise ImportRefused(
            f"the file's tables do not match this schema (missing: {sorted(missing)}, "
            f"unknown: {sorted(extra)})"
        )
    result = {}
    for table in _tables():
        entry = tables[table.name]
        columns = entry.get("columns") if isinstance(entry, dict) else None
        rows = entry.get("rows") if isinstance(entry, dict) else None
        if columns != [c.name for c in table.columns] or not isinstance(rows, list):
            raise ImportRefused(f"table {table.name}: its columns do not match this schema")
        if counts.get(table.name) != len(rows):
            raise ImportRefused(
                f"table {table.name}: {len(rows)} rows where the file announces "
                f"{counts.get(table.name)} (truncated?)"
            )
        decoders = [_decoder(c) for c in table.columns]
        rules = _rules(table)
        decoded = []
        for n, row in enumerate(rows, 1):
            if not isinstance(row, list) or len(row) != len(columns):
                raise ImportRefused(f"table {table.name}, row {n}: wrong number of values")
            values = {}
            for name, decode, value in zip(columns, decoders, row, strict=True):
                try:
                    values[name] = None if value is None else decode(value)
                except (ValueError, TypeError) as exc:
                    raise ImportRefused(f"table {table.name}, row {n}: {name}: {exc}") from exc
            for name, rule in rules:
                if values[name] is not None:
                    try:
                        rule(values[name])
                    except InvalidField as exc:
                        raise ImportRefused(
                            f"{_row_name(table, n, values)}: {exc.field}: {exc.message} "
                            f"(the file has {_shown(values[name])})"
                        ) from exc
            decoded.append(values)
        rows.clear()  # the raw rows are no longer needed: the file is held only once
        result[table.name] = (columns, decoded)
    _check_references(result)
    return result


def _row_name(table: Table, n: int, values: dict) -> str:
    """'table tasks, row 3 (id 17)': where in the file the operator finds the row."""
    ident = f" (id {values['id']})" if isinstance(values.get("id"), int) else ""
    return f"table {table.name}, row {n}{ident}"


def _shown(value: Any) -> str:
    """A value as an error message quotes it: short, control characters visible."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}… ({len(str(value))} characters)"


#: The CHECK a model builds from its tuple of codes: `CheckConstraint(f"role IN {ROLES!r}")`.
_CHOICE_CHECK = re.compile(r"(\w+) IN (\(.*\))")


def _choices(table: Table) -> dict[str, tuple[str, ...]]:
    """The codes each choice column takes (statuses, roles, kinds), read back from the CHECK
    constraints the models build from their tuples, so a new choice is checked here too."""
    result = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            match = _CHOICE_CHECK.fullmatch(str(constraint.sqltext))
            if match:
                result[match[1]] = tuple(ast.literal_eval(match[2]))
    return result


def _is_id(column: Column[Any]) -> bool:
    """A column that names a record: a primary key, a link, or an `…_id` (the audit trail's)."""
    return bool(column.primary_key or column.foreign_keys or column.name.endswith("_id"))


def _rules(table: Table) -> list[tuple[str, Callable[[Any], object]]]:
    """The services' checks for each column: choices, lengths and characters, id range,
    dates in plausible years. Each raises InvalidField like the services do."""
    choices = _choices(table)
    rules: list[tuple[str, Callable[[Any], object]]] = []
    for column in table.columns:
        name, kind = column.name, column.type
        rule: Callable[[Any], object] | None = None
        if name in choices:
            rule = functools.partial(validation.choice, name, allowed=choices[name])
        elif isinstance(kind, String):
            limit = column.info.get("max_length") or kind.length or sys.maxsize
            rule = functools.partial(validation.text, name, max_length=limit)
        elif isinstance(kind, Integer) and _is_id(column):
            rule = functools.partial(_an_id, name)
        elif isinstance(kind, UTCDateTime):
            rule = functools.partial(validation.aware, name)
        elif isinstance(kind, Date):
            rule = functools.partial(validation.a_date, name)
        if rule is not None:
            rules.append((name, rule))
    return rules


def _an_id(field: str, value: int) -> None:
    """An id the pages and the API can name (`core.limits.is_id`)."""
    if not is_id(value):
        raise InvalidField(field, "not_an_id")


def _check_references(decoded: dict[str, tuple[list[str], list[dict]]]) -> None:
    """Every link names a row of the file, so no page meets a record that is not there."""
    for table in _tables():
        links = [(fk.parent.name, fk.column) for fk in table.foreign_keys]
        for name, target in links:
            present = {row[target.name] for row in decoded[target.table.name][1]}
            for n, row in enumerate(decoded[table.name][1], 1):
                if row[name] is not None and row[name] not in present:
                    raise ImportRefused(
                        f"{_row_name(table, n, row)}: {name}: names {target.table.name} "
                        f"{target.name} {row[name]}, which the file does not hold"
                    )


def database_is_empty() -> bool:
    return all(
        db.session.scalar(select(func.count()).select_from(t)) == 0 for t in _tables()
    )


def import_database(source: Path, progress: Progress | None = None) -> dict[str, int]:
    """Load an export into an empty database, all or nothing."""
    data = _read(source)
    rows_by_table = _decoded_rows(data)
    if not database_is_empty():
        raise ImportRefused("the database is not empty; import only restores into an empty one")
    here = _schema_revision(db.session.connection())
    if current_revision_name(data.get("schema_revision")) != here:
        raise ImportRefused(
            f"the file was exported at schema revision {data.get('schema_revision')!r}, "
            f"this database is at {here!r}: run 'flask --app wsgi db upgrade' on a database "
            "of the exporting version first, or export again with this version"
        )
    db.session.rollback()
    counts = {}
    try:
        with db.engine.begin() as conn:
            for table in _tables():
                _columns, rows = rows_by_table.pop(table.name)
                _insert(conn, table, rows, progress)
                counts[table.name] = len(rows)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
    except (IntegrityError, DataError) as exc:
        raise ImportRefused(f"the data breaks a rule of the schema: {exc.orig}") from exc
    return counts


def _self_references(table: Table) -> list[str]:
    return [
        fk.parent.name for fk in table.foreign_keys if fk.column.table is table
    ]


def _insert(conn: Connection, table: Table, rows: list[dict], progress: Progress | None) -> None:
    """Insert in chunks; links within one table (follows_up_id) are set once all rows exist."""
    own = _self_references(table)
    first = [{**r, **dict.fromkeys(own, None)} for r in rows] if own else rows
    for start in range(0, len(first), CHUNK):
        chunk = first[start : start + CHUNK]
        if conn.dialect.name == "postgresql":
            _copy(conn, table, chunk)
        else:
            conn.execute(insert(table), chunk)
        if progress:
            progress(table.name, min(start + CHUNK, len(rows)), len(rows))
    # Columns with an onupdate default (updated_at) keep their exported value.
    kept = [c.name for c in table.columns if c.onupdate is not None]
    for column in own:
        linked = [
            {"_id": r["id"], "_v": r[column], **{f"_{k}": r[k] for k in kept}}
            for r in rows
            if r[column] is not None
        ]
        if linked:
            conn.execute(
                table.update()
                .where(table.c.id == bindparam("_id"))
                .values({column: bindparam("_v"), **{k: bindparam(f"_{k}") for k in kept}}),
                linked,
            )


def _copy(conn: Connection, table: Table, rows: list[dict]) -> None:
    """PostgreSQL: one COPY per chunk. A statement per row (what executemany sends) would
    fire the statement triggers (the feeds' change counter) once a row, and they slow
    down with every update of the same counter row in one transaction."""
    columns = list(table.columns)
    processors = [c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                  for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([
                value if value is None or process is None else process(value)
                for value, process in zip((row[c.name] for c in columns), processors,
                                          strict=True)
            ])


def _reset_sequences(conn: Connection) -> None:
    for table in _tables():
        if "id" in table.columns and isinstance(table.columns["id"].type, Integer):
            conn.execute(
                sql(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                ),
                {"t": table.name},
            )

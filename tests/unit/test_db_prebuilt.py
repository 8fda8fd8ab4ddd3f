"""`db.Prebuilt`: a statement built once and run on the driver's cursor gives what `connection.execute` gives (the
same rows, keys, types and errors), is heard by the dialect's `do_execute` listeners, and leaves every case it does
not cover to SQLAlchemy."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, StatementError

from library_common import db
from library_common.domain.days import TODAY
from tests.unit.test_db_planned_parameters import ASKED
from tests.unit.test_db_planned_parameters import STATEMENT as PLANNED_STATEMENT

# test_db_planned_parameters' statement (a value passed, a callable asked at each run, a constant) with what the
# layer reads back: JSONB, numeric, a date, a timestamptz, a boolean, the library's day (a callable bind of its own).
STATEMENT = PLANNED_STATEMENT.add_columns(
    bindparam("document", type_=JSONB).label("document"),
    literal(Decimal("1.25"), Numeric(8, 2)).label("amount"),
    literal(date(2026, 12, 4), Date).label("day"),
    literal(datetime.fromisoformat("2026-12-04T10:00:00+00:00"), DateTime(timezone=True)).label("moment"),
    literal(True, Boolean).label("flag"),
    TODAY.label("today"),
)
PREBUILT = db.Prebuilt(STATEMENT)
VALUES = {"asked": 41, "document": {"loan": [1, 2], "note": "it's"}}


def _without_tick(row):
    return {key: value for key, value in row._mapping.items() if key != "tick"}


def test_its_rows_are_sqlalchemys_rows(database_url):
    with db.reading() as connection:
        prebuilt = PREBUILT.one(connection, VALUES)
        again = PREBUILT.one(connection, VALUES)
        executed = connection.execute(STATEMENT, VALUES).one()
    assert list(prebuilt._mapping) == list(executed._mapping)
    assert _without_tick(prebuilt) == _without_tick(executed)
    assert (prebuilt.plus_one, prebuilt.document, prebuilt.amount) == (42, VALUES["document"], Decimal("1.25"))
    assert [type(value) for value in prebuilt] == [type(value) for value in executed]
    assert again.tick == prebuilt.tick + 1  # the callable is asked at each run


def test_a_value_passed_for_a_constant_overrides_it_and_a_missing_one_is_refused(database_url):
    statement = db.Prebuilt(select(bindparam("shown", value="default", type_=String).label("shown"), ASKED))
    with db.reading() as connection:
        assert tuple(statement.one(connection, {"asked": 1})) == ("default", 1)
        assert tuple(statement.one(connection, {"asked": 2, "shown": "given"})) == ("given", 2)
        with pytest.raises(StatementError, match="A value is required for bind parameter 'asked'"):  # SQLAlchemy's
            statement.one(connection, {})


def test_one_and_one_or_none_count_the_rows(database_url):
    rows = db.Prebuilt(select(func.generate_series(1, ASKED).label("n")))
    with db.reading() as connection:
        assert rows.one_or_none(connection, {"asked": 0}) is None
        assert tuple(rows.one(connection, {"asked": 1})) == (1,)
        assert [tuple(row) for row in rows.all(connection, {"asked": 3})] == [(1,), (2,), (3,)]
        with pytest.raises(NoResultFound):
            rows.one(connection, {"asked": 0})
        with pytest.raises(MultipleResultsFound):
            rows.one_or_none(connection, {"asked": 2})


def test_a_refused_write_is_sqlalchemys_error_with_the_servers_fields(database_url):
    with db.writing() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE shelf (code text PRIMARY KEY) ON COMMIT DROP"))
        insert = db.Prebuilt(text("INSERT INTO shelf VALUES (:code)").bindparams(bindparam("code", type_=String)))
        insert.run(connection, {"code": "A1"})
        with pytest.raises(DBAPIError) as refused:
            insert.run(connection, {"code": "A1"})
        connection.rollback()
    assert db.violated_constraint(refused.value) == "shelf_pkey"
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(refused.value)  # as for any statement


def test_a_dead_connection_is_invalidated_so_the_request_may_be_run_again(database_url, engine):
    with pytest.raises(DBAPIError) as died, db.writing() as connection:
        backend = connection.scalar(text("SELECT pg_backend_pid()"))
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        PREBUILT.one(connection, VALUES)
    assert died.value.connection_invalidated
    assert db.is_unavailable(died.value)


def test_the_dialects_do_execute_listeners_hear_it(database_url):
    heard = []

    def listener(_cursor, statement, parameters, _context):
        heard.append((statement, list(parameters)))

    event.listen(db.get_engine(), "do_execute", listener)
    try:
        with db.reading() as connection:
            PREBUILT.one(connection, VALUES)
    finally:
        event.remove(db.get_engine(), "do_execute", listener)
    assert len(heard) == 1
    assert heard[0][0] == STATEMENT.compile(dialect=db.get_engine().dialect).string
    assert heard[0][1][0] == 41


@pytest.mark.parametrize(
    ("case", "through_sqlalchemy"),
    [("connection events", True), ("no transaction", True), ("events no longer listened to", False)],
)
def test_what_it_does_not_cover_runs_through_sqlalchemy(database_url, case, through_sqlalchemy):
    heard, contexts = [], []

    def before_cursor_execute(_connection, _cursor, statement, parameters, _context, _many):
        heard.append(statement)

    def do_execute(_cursor, _statement, _parameters, context):
        contexts.append(context)  # SQLAlchemy's execution context, or None from a Prebuilt's own run

    event.listen(db.get_engine(), "do_execute", do_execute)
    try:
        with db.get_engine().connect() as connection:
            if case != "no transaction":
                event.listen(connection, "before_cursor_execute", before_cursor_execute)
                connection.begin()
            if case == "events no longer listened to":
                event.remove(connection, "before_cursor_execute", before_cursor_execute)
            row = PREBUILT.one(connection, VALUES)
            assert connection.in_transaction()  # SQLAlchemy's autobegin, had there been none
    finally:
        event.remove(db.get_engine(), "do_execute", do_execute)
    assert row.plus_one == 42
    assert len(heard) == (1 if case == "connection events" else 0)
    assert [context is not None for context in contexts] == [through_sqlalchemy]


def _run_through_sqlalchemy(statement: db.Prebuilt, values: dict) -> list[bool]:
    """Whether each execution of the statement's run had SQLAlchemy's execution context (None from its own)."""
    contexts = []

    def do_execute(_cursor, _statement, _parameters, context):
        contexts.append(context)

    event.listen(db.get_engine(), "do_execute", do_execute)
    try:
        with db.writing() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE stamped (code text, stamp int) ON COMMIT DROP"))
            rows = statement.all(connection, values)
    finally:
        event.remove(db.get_engine(), "do_execute", do_execute)
    return rows, [context is not None for context in contexts]


def test_an_in_list_to_expand_runs_through_sqlalchemy(database_url):
    statement = db.Prebuilt(select(literal(1).label("one")).where(literal(1).in_(bindparam("wanted", expanding=True))))
    rows, through_sqlalchemy = _run_through_sqlalchemy(statement, {"wanted": [1, 2]})
    assert [tuple(row) for row in rows] == [(1,)]
    assert through_sqlalchemy == [True, True]  # the CREATE TABLE, then the statement


def test_a_column_default_python_computes_runs_through_sqlalchemy(database_url):
    stamped = Table("stamped", MetaData(), Column("code", String), Column("stamp", Integer, default=lambda: 5))
    statement = db.Prebuilt(
        insert(stamped).values(code=bindparam("given_code", type_=String)).returning(stamped.c.stamp)
    )
    rows, through_sqlalchemy = _run_through_sqlalchemy(statement, {"given_code": "A1"})
    assert [tuple(row) for row in rows] == [(5,)]
    assert through_sqlalchemy == [True, True]

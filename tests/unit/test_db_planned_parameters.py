"""The bound values of a statement run again are built from a plan made once per compiled statement
(`db._PlannedParameters`): the same values SQLAlchemy's own construct_params gives, constants, callable binds and
passed values alike, and SQLAlchemy's own answer in every case the plan does not cover."""

from itertools import count

import pytest
from sqlalchemy import BigInteger, String, bindparam, literal, select
from sqlalchemy.exc import StatementError
from sqlalchemy.sql.compiler import SQLCompiler

from library_common import db

calls = count(1)
ASKED = bindparam("asked", type_=BigInteger)
# A constant (the literal), a callable bind asked at each execution, and a value each execution passes.
STATEMENT = select(
    (ASKED + literal(1)).label("plus_one"),
    bindparam("tick", callable_=lambda: next(calls), type_=BigInteger).label("tick"),
    literal("shelf", String).label("constant"),
)


def _compiled_for(result):
    return result.context.compiled


def test_a_statement_run_again_gets_sqlalchemys_values_from_its_plan(database_url):
    with db.reading() as connection:
        first = connection.execute(STATEMENT, {"asked": 1}).one()
        again = connection.execute(STATEMENT, {"asked": 41})
        compiled = _compiled_for(again)
        row = again.one()
    assert (first.plus_one, row.plus_one, row.constant) == (2, 42, "shelf")
    assert row.tick == first.tick + 1  # the callable is asked again at each execution
    assert compiled._parameter_plan is not None
    own_binds = compiled.cache_key[1]
    planned = compiled.construct_params({"asked": 7}, own_binds, escape_names=False)
    sqlalchemys = SQLCompiler.construct_params(compiled, {"asked": 7}, own_binds, escape_names=False)
    assert planned.pop("tick") + 1 == sqlalchemys.pop("tick")
    assert planned == sqlalchemys


def test_a_value_passed_for_a_constant_overrides_it_as_in_sqlalchemy(database_url):
    statement = select(bindparam("shown", value="default", type_=String).label("shown"), ASKED.label("asked"))
    with db.reading() as connection:
        assert tuple(connection.execute(statement, {"asked": 1}).one()) == ("default", 1)
        assert tuple(connection.execute(statement, {"asked": 2, "shown": "given"}).one()) == ("given", 2)


def test_a_missing_value_gets_sqlalchemys_error(database_url):
    statement = select(ASKED.label("asked"), bindparam("other", type_=BigInteger).label("other"))
    with db.reading() as connection:
        assert tuple(connection.execute(statement, {"asked": 1, "other": 2}).one()) == (1, 2)
        with pytest.raises(StatementError, match="A value is required for bind parameter 'other'"):
            connection.execute(statement, {"asked": 1})


def test_a_statement_built_again_per_execution_binds_its_own_values(database_url):
    with db.reading() as connection:
        values = [connection.execute(select(literal(n).label("n"), ASKED), {"asked": n}).one() for n in (3, 4)]
    assert [tuple(row) for row in values] == [(3, 3), (4, 4)]

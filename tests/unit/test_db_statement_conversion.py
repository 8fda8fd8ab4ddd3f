"""The layer remembers pg8000's placeholder rewriting per statement text; it must rewrite exactly as pg8000 does."""

import pytest
from pg8000 import dbapi, legacy
from sqlalchemy import text

from library_common import db

STATEMENTS = [
    "SELECT 1",
    "SELECT * FROM books WHERE id = %s AND title ILIKE %s",
    "SELECT '%s is not a parameter', \"odd %s name\" FROM books WHERE id = %s",
    "SELECT E'it\\'s %s' -- a comment with %s\n, %s",
    "SELECT $$ %s inside dollars $$, %s",
    "SELECT 100 %% 7 = %s",
    "SELECT count(*)::int FROM loans WHERE user_id = %s",
    # Plain text (no quoting, no comment), which the layer rewrites itself: the same text as pg8000's.
    "SELECT %s - -%s, 7 %% %s, %%s\n%s",
    "SELECT %s--%s\n, %s",
    "SELECT -%%-%s",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_a_statement_is_rewritten_as_pg8000_rewrites_it(statement):
    values = (1,) * statement.count("%s")

    assert db._convert_once_per_statement("format", statement, values) == dbapi.convert_paramstyle(
        "format", statement, values
    )
    # Asked again, it comes from memory and is still the same, with this call's own values.
    assert db._convert_once_per_statement("format", statement, (2,) * len(values)) == dbapi.convert_paramstyle(
        "format", statement, (2,) * len(values)
    )


def test_other_styles_are_left_to_pg8000():
    assert db._convert_once_per_statement("named", "SELECT :a, :b, :a", {"a": 1, "b": 2}) == (
        "SELECT $1, $2, $1",
        (1, 2),
    )


@pytest.mark.parametrize("statement", ["SELECT %d", "SELECT %s, 7 %", "SELECT %\n%s", "SELECT '%s', %d"])
def test_an_unsupported_placeholder_is_still_refused(statement):
    with pytest.raises(dbapi.InterfaceError):
        db._convert_once_per_statement("format", statement, (1,))


def test_the_engine_runs_statements_through_the_remembered_conversion(database_url):
    with db.transaction() as session:
        row = session.execute(text("SELECT :word || :wildcard, 'it''s'"), {"word": "tolk", "wildcard": "%"}).one()

    assert legacy.convert_paramstyle is db._convert_once_per_statement
    assert tuple(row) == ("tolk%", "it's")


def _pg8000_rewrite(statement: str) -> str | None:
    try:
        return dbapi.convert_paramstyle("format", statement, ())[0]
    except dbapi.InterfaceError:
        return None


def test_plain_text_is_rewritten_by_the_layer_itself_exactly_as_pg8000_would():
    # Every string of these characters up to six long: placeholders, escapes, stray percent signs, dashes, lines.
    alphabet = "%s-x\n"
    statements = [""]
    for _ in range(6):
        statements = [prefix + character for prefix in statements for character in alphabet] + statements
    plain = [statement for statement in set(statements) if "--" not in statement]

    assert {statement: db._plain_placeholders(statement) for statement in plain} == {
        statement: _pg8000_rewrite(statement) for statement in plain
    }

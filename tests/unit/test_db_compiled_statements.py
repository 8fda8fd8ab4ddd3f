"""The engine's compiled-statement cache (`db.CompiledStatements`): a statement built once is found by identity, one
built again per request by its structure, and both run with their own values."""

from sqlalchemy import BigInteger, bindparam, literal, select

from library_common import db


def _statement(name: str):
    """A statement whose structure is its column's name (the values bound are not part of it)."""
    return select((bindparam("n", type_=BigInteger) + literal(1)).label(name))


def test_a_statement_run_again_reuses_its_compiled_form(database_url):
    statement = _statement("prebuilt")
    with db.reading() as connection:
        first = connection.execute(statement, {"n": 1})
        again = connection.execute(statement, {"n": 41})
        assert (first.scalar(), again.scalar()) == (2, 42)
    assert again.context.compiled is first.context.compiled


def test_a_statement_built_again_with_the_same_structure_shares_the_compiled_form(database_url):
    with db.reading() as connection:
        first = connection.execute(_statement("per request"), {"n": 1})
        rebuilt = connection.execute(_statement("per request"), {"n": 2})
        assert (first.scalar(), rebuilt.scalar()) == (2, 3)
    assert rebuilt.context.compiled is first.context.compiled


def test_a_different_statement_or_different_parameters_get_their_own_compiled_form(database_url):
    statement = select(bindparam("a", type_=BigInteger, required=False), bindparam("b", type_=BigInteger))
    with db.reading() as connection:
        both = connection.execute(statement, {"a": 1, "b": 2})
        one = connection.execute(statement, {"b": 3})
        other = connection.execute(_statement("other"), {"n": 4})
        assert (tuple(both.one()), one.one()[1], other.scalar()) == ((1, 2), 3, 5)
    assert len({id(both.context.compiled), id(one.context.compiled), id(other.context.compiled)}) == 3


def test_when_full_it_starts_afresh_and_still_finds_every_statement(database_url):
    cache = db.CompiledStatements(size=2)
    compiled = {}
    for name in ("a", "b", "c"):
        compiled[name] = object()
        cache[_key(_statement(name))] = compiled[name]
    for name in ("a", "b", "c"):
        assert cache.get(_key(_statement(name))) is compiled[name]


def _key(statement) -> tuple:
    """The key SQLAlchemy asks the cache for (elements.ClauseElement._compile_w_cache)."""
    return (db.get_engine().dialect, statement._generate_cache_key().key, ("n",), False, False)

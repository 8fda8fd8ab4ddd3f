"""Database access: one lazily created engine per process and a transaction scope.

The engine is created on first use, never at import time, so a SnapStart snapshot holds no socket
that a restored copy could reuse.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache, partial
from itertools import count
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import URL, Connection, Engine, Row, create_engine, event, make_url
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    MultipleResultsFound,
    NoResultFound,
    OperationalError,
)
from sqlalchemy.util import LRUCache

from library_common import kept_connection
from library_common.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

# The user id of the caller on whose behalf the current request writes; read by the audit hook.
current_actor: ContextVar[int | None] = ContextVar("current_actor", default=None)
# A check the request's first transaction runs before its own statements (the caller's token is still current):
# one statement inside a transaction the request opens anyway, instead of a checkout and transaction of its own.
first_transaction_check: ContextVar[Callable[[Connection], None] | None] = ContextVar(
    "first_transaction_check", default=None
)


LOCAL_HOSTS = (None, "", "localhost", "127.0.0.1", "::1")
# Compiled statements a process keeps (SQLAlchemy's default).
COMPILED_STATEMENTS = 500


@lru_cache(maxsize=1)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    # Built once per process: pg8000 would otherwise build a fresh context on every connect.
    return ssl.create_default_context(cafile=ca_bundle)


def tls_for(host: str | None, settings: Settings) -> ssl.SSLContext | bool:
    """Verified TLS to any remote server: the default trust store, where the stack's RDS Proxy certificate (ACM,
    Amazon's public roots) verifies, or DB_CA_BUNDLE alone for a database of your own. None on loopback or a Unix
    socket, where it only costs time (pg8000 takes `None` as "build a default context": "no TLS" is False)."""
    return False if host in LOCAL_HOSTS else _tls_context(settings.db_ca_bundle)


def _rds_url(settings: Settings) -> URL:
    from aws_lambda_powertools.utilities.parameters import get_secret

    credentials = json.loads(get_secret(settings.db_secret_arn, max_age=300))
    return URL.create(
        "postgresql+pg8000",
        username=credentials["username"],
        password=credentials["password"],
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
    )


def engine_url(settings: Settings) -> URL:
    return make_url(settings.database_url) if settings.database_url else _rds_url(settings)


def _plaintext_requested(url: URL) -> tuple[URL, bool]:
    """libpq's `sslmode=disable` on a DATABASE_URL: a local server on a private bridge (`sam local`'s containers
    reach this machine's database on docker's gateway), which has no certificate. pg8000 takes no such option."""
    if url.query.get("sslmode") != "disable":
        return url, False
    return url.difference_update_query(["sslmode"]), True


# What makes pg8000's scanner leave plain text: quotes, quoted identifiers, dollar quoting, comments.
_QUOTING = re.compile(r"['\"$]|--")
_PERCENT = re.compile(r"%(.?)", re.DOTALL)


@lru_cache(maxsize=2048)
def _native_placeholders(statement: str) -> str:
    if _QUOTING.search(statement) is None:
        converted = _plain_placeholders(statement)
        if converted is not None:
            return converted
    from pg8000 import dbapi

    converted, _values = dbapi.convert_paramstyle("format", statement, ())
    return converted


def _plain_placeholders(statement: str) -> str | None:
    """pg8000's rewriting of a statement without quoting or comments, where its scanner only ever meets `%s` (the
    next `$n`) and `%%` (a `%`), by one regular expression instead of a Python loop over every character: ~7 M
    instructions of GET /books' first answer, whose statements are long. None on any other `%`, which pg8000
    refuses with its own error."""
    numbers = count(1)
    refused = []

    def rewrite(match: re.Match[str]) -> str:
        following = match.group(1)
        if following == "s":
            return f"${next(numbers)}"
        if following != "%":
            refused.append(following)
        return "%"

    converted = _PERCENT.sub(rewrite, statement)
    return None if refused else converted


def _convert_once_per_statement(style: str, statement: str, values):
    """pg8000's own conversion, remembered per statement text.

    pg8000 rewrites the `%s` placeholders SQLAlchemy sends into PostgreSQL's `$n` on every execute, scanning the
    text character by character in Python: 0.05-0.25 ms per statement here, half a millisecond of every borrow.
    In the `format` style the rewritten text depends on the text alone and the values pass through unchanged,
    and a function runs the same few dozen statements all its life.
    """
    if style != "format":
        from pg8000 import dbapi

        return dbapi.convert_paramstyle(style, statement, values)
    return _native_placeholders(statement), values


def _remember_statement_conversions() -> None:
    # The connections SQLAlchemy opens are pg8000.legacy's, whose cursors call this module-level name.
    from pg8000 import legacy

    legacy.convert_paramstyle = _convert_once_per_statement


TIMESTAMPTZ_OID = 1184


def _timestamptz(value: str) -> datetime | str:
    """A timestamptz column's text (`2026-12-02 13:11:12.571747+00`) as a datetime. pg8000 parses each one with
    strptime, ~25 us a value and two per book of a page; the server's ISO text is what fromisoformat reads. What
    it cannot read (infinity, years past 9999, BC) goes to pg8000's own parser, which handles those."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        from pg8000.converters import timestamptz_in

        return timestamptz_in(value)


DATE_OID = 1082


def _date(value: str) -> date | str:
    """A date column's text (`2026-12-16`) as a date: pg8000's strptime took ~12 us a value, two per loan of a
    page (the due date and today). What fromisoformat cannot read (infinity, years past 9999) goes to pg8000."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        from pg8000.converters import date_in

        return date_in(value)


def configure_connection(dbapi_connection: Any, _record: Any) -> None:
    """Every new driver connection of the engine: the faster timestamptz and date readers."""
    dbapi_connection.register_in_adapter(TIMESTAMPTZ_OID, _timestamptz)
    dbapi_connection.register_in_adapter(DATE_OID, _date)


class CompiledStatements:
    """The engine's cache of compiled statements, where a statement built once finds its compiled form by identity.

    SQLAlchemy looks a statement's compiled form up by the hash of its cache key, a nested tuple of every column,
    bind and clause of the statement, rebuilt by Python on every execution: 5-47 us for each statement of a borrow
    or a return, more than the rest of SQLAlchemy's work on it. A statement object keeps one cache key object all
    its life (SQLAlchemy memoizes it), so a statement run again (the prebuilt ones, every request) is found by
    that object's identity, its other key parts compared; others are found by hash, as SQLAlchemy would.
    """

    def __init__(self, size: int) -> None:
        self._by_hash: LRUCache[tuple[Any, ...], Compiled] = LRUCache(size)
        # id(cache key) -> (the full key, which keeps the cache key alive so its id is not reused; compiled)
        self._by_identity: dict[int, tuple[tuple[Any, ...], Compiled]] = {}
        self._size = size

    def get(self, key: tuple[Any, ...]) -> Compiled | None:
        found = self._by_identity.get(id(key[1]))
        if found is not None and found[0][1] is key[1] and found[0][0] is key[0] and found[0][2:] == key[2:]:
            return found[1]
        compiled = self._by_hash.get(key)
        if compiled is not None:
            self._remember(key, compiled)
        return compiled

    def __setitem__(self, key: tuple[Any, ...], compiled: Compiled) -> None:
        self._by_hash[key] = compiled
        self._remember(key, compiled)

    def _remember(self, key: tuple[Any, ...], compiled: Compiled) -> None:
        if len(self._by_identity) >= self._size:
            # Statements built per request fill it with objects never run again: start afresh (the prebuilt ones
            # come back at their next run, found once by hash).
            self._by_identity.clear()
        self._by_identity[id(key[1])] = (key, compiled)


class _ParameterPlan(NamedTuple):
    """What a compiled statement's bound values are made of, worked out once: the values its constants carry (a
    status compared with, a literal) and the names of the values each execution must bring."""

    own_binds: Any  # the compiled statement's cache key binds, the ones its constants' values were read from
    constants: dict[str, Any]
    computed: tuple[tuple[str, Any], ...]  # (name, bind) of values a callable gives at each execution
    constant_names: frozenset[str]  # a value passed under one of these overrides the bind's own: not planned
    asked: tuple[tuple[str, str], ...]  # (the bind's key, its name in the statement)


class _PlannedParameters:
    """A compiler whose statements build their bound values from a plan made once per compiled statement.

    SQLAlchemy's construct_params works out, for every bind of a statement on each execution, where its value
    comes from, constants included (each status and literal of a statement's conditions): ~0.15 M instructions of
    every borrow (30 binds in three statements). A statement run again (its compiled form found for the same
    statement object, whose cache key binds are then the very ones it was compiled from) gets the same dictionary
    from the plan: the constants' values copied, a callable bind's value asked of it (the library's time zone),
    the values passed looked up under the bind's key, then its name, as SQLAlchemy does. Any other case (a
    statement built anew, a value missing or overriding a bind's own, escaped names, post-compile rendering) is
    SQLAlchemy's own construct_params."""

    _parameter_plan: _ParameterPlan | None

    def construct_params(self, params=None, extracted_parameters=None, escape_names=True, _check=True, **rest):
        plan = self.__dict__.get("_parameter_plan", _UNPLANNED)
        if plan is _UNPLANNED:
            plan = self._parameter_plan = _parameter_plan(self)
        if (
            plan is None
            or not params
            or extracted_parameters is not plan.own_binds
            or not _check
            or rest.get("_collected_params") is not None
            or (escape_names and self.escaped_bind_names)
            or not plan.constant_names.isdisjoint(params)
        ):
            return super().construct_params(params, extracted_parameters, escape_names, _check=_check, **rest)
        values = dict(plan.constants)
        for name, bind in plan.computed:
            values[name] = bind.effective_value
        for key, name in plan.asked:
            if key in params:
                values[name] = params[key]
            elif name in params:
                values[name] = params[name]
            else:  # SQLAlchemy's own error
                return super().construct_params(params, extracted_parameters, escape_names, _check=_check, **rest)
        return values


_UNPLANNED = object()


def _parameter_plan(compiled: Any) -> _ParameterPlan | None:
    if compiled.cache_key is None or compiled._collect_params or compiled._render_postcompile:
        return None
    matched, _by_key = compiled._cache_key_bind_match
    own_values = {bind: original for original in compiled.cache_key[1] for bind in matched[original]}
    constants: dict[str, Any] = {}
    computed = []
    constant_names: set[str] = set()
    asked = []
    for bind, name in compiled.bind_names.items():
        if bind.required:
            asked.append((bind.key, name))
            continue
        if bind.callable:
            computed.append((name, own_values.get(bind, bind)))
        else:
            constants[name] = own_values.get(bind, bind).value
        constant_names.update((bind.key, name))
    return _ParameterPlan(compiled.cache_key[1], constants, tuple(computed), frozenset(constant_names), tuple(asked))


@cache
def _planned(compiler: type) -> type:
    return type(f"Planned{compiler.__name__}", (_PlannedParameters, compiler), {})


_UNSET = object()


class _Bind(NamedTuple):
    """Where one positional value of a prebuilt statement comes from: the values passed, under the bind's key (which
    also overrides a bind's own value, as in SQLAlchemy), else the bind's constant (processed once) or callable."""

    key: str
    bind: Any
    processor: Callable[[Any], Any] | None
    constant: Any  # _UNSET for a value passed or called for at each run


class _Plan(NamedTuple):
    dialect: Dialect
    sql: str | None  # None: a statement SQLAlchemy runs (values it expands or computes at each execution)
    binds: tuple[_Bind, ...]  # every positional value, for a run that passes a value over a bind's own
    constants: list[Any]  # the values in the statement's order, the constants' (processed) in their places
    passed: tuple[tuple[int, str, Callable[[Any], Any] | None], ...]  # (position, key, processor) of each passed
    called: tuple[tuple[int, Callable[[], Any], Callable[[Any], Any] | None], ...]  # (position, callable, processor)
    required: frozenset[str]  # the keys of the values passed
    own_keys: frozenset[str]  # the keys of binds with a value of their own, which a value passed overrides
    metadata: SimpleResultMetaData
    key_to_index: dict[Any, int]  # the metadata's
    result_types: tuple[Any, ...]  # the type of each result column, by position


class Prebuilt:
    """A Core statement built once (a module constant, or one per variant), compiled once, and run on the driver's
    cursor of a connection in a transaction (`reading()`, `writing()`).

    For such a statement SQLAlchemy's execute (an execution context, a cursor result and its metadata) redoes on
    every run what cannot change: the SQL, the order and processors of its bound values, its result keys: ~100,000
    instructions a statement beyond the driver's own work, ~0.3 M of a borrow's three statements. A Prebuilt works
    that out at its first run; a run then binds the values, calls the driver (through the dialect, whose
    `do_execute` listeners hear it) and builds SQLAlchemy `Row`s. A failure goes through SQLAlchemy's own handling:
    wrapped as `IntegrityError` and the like, a dead connection invalidated (`may_retry` sees it). On a connection
    with events or echo, or outside a transaction, and for a statement with values SQLAlchemy expands or computes
    at each execution (an IN list, a column default in Python), it runs through `connection.execute`."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._plan: _Plan | None = None
        self._row: Callable[[Any], Row] | None = None  # a driver's row as a Row, known at the first run

    def all(self, connection: Connection, values: dict[str, Any]) -> list[Row]:
        if _runs_through_sqlalchemy(connection):
            return list(connection.execute(self.statement, values))
        plan = self._plan
        if plan is None or plan.dialect is not connection.dialect:
            plan = self._plan = _plan(self.statement, connection.dialect)
            self._row = None
        parameters = _parameters(plan, values) if plan.sql is not None else None
        if parameters is None:  # a statement it cannot run itself, or a value missing (SQLAlchemy's own error)
            return list(connection.execute(self.statement, values))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            _execute(plan.dialect, cursor, plan.sql, parameters)
        except BaseException as error:  # noqa: BLE001 - re-raised, wrapped, by SQLAlchemy's handling
            connection._handle_dbapi_exception(error, plan.sql, parameters, cursor, None)
        if self._row is None and cursor.description is not None:
            self._row = partial(Row, plan.metadata, _result_processors(plan, cursor.description), plan.key_to_index)
        return list(map(self._row, _fetched(cursor)))

    def run(self, connection: Connection, values: dict[str, Any]) -> None:
        """A statement run for what it writes (no RETURNING)."""
        self.all(connection, values)

    def one_or_none(self, connection: Connection, values: dict[str, Any]) -> Row | None:
        rows = self.all(connection, values)
        if len(rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return rows[0] if rows else None

    def one(self, connection: Connection, values: dict[str, Any]) -> Row:
        row = self.one_or_none(connection, values)
        if row is None:
            raise NoResultFound("No row was found when one was required")
        return row


def _runs_through_sqlalchemy(connection: Connection) -> bool:
    """What SQLAlchemy's execute does and a Prebuilt's run would not: call execution listeners, echo, autobegin."""
    transaction = connection._transaction  # in_transaction(), without its call
    if connection._echo or transaction is None or not transaction.is_active:
        return True
    if not (connection._has_events or connection.engine._has_events):
        return False
    # Listened to once, an engine says so for the rest of its life: ask whether anything still listens.
    heard = connection.dispatch
    return bool(
        heard.before_execute or heard.after_execute or heard.before_cursor_execute or heard.after_cursor_execute
    )


def _plan(statement: Any, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    if (
        not compiled.positional
        or compiled.post_compile_params  # an IN list to expand
        or compiled.literal_execute_params
        or compiled.insert_prefetch  # a column default Python computes at each execution
        or compiled.update_prefetch
    ):
        return _Plan(dialect, None, (), [], (), (), frozenset(), frozenset(), SimpleResultMetaData([]), {}, ())
    binds = tuple(_bind(compiled.binds[name], compiled._bind_processors.get(name)) for name in compiled.positiontup)
    passed = tuple((position, bind.key, bind.processor) for position, bind in enumerate(binds) if bind.bind.required)
    called = tuple(
        (position, bind.bind.callable, bind.processor)
        for position, bind in enumerate(binds)
        if bind.constant is _UNSET and not bind.bind.required
    )
    columns = compiled._result_columns
    metadata = SimpleResultMetaData([column.keyname for column in columns])
    return _Plan(
        dialect,
        compiled.string,
        binds,
        [bind.constant for bind in binds],
        passed,
        called,
        frozenset(key for _position, key, _processor in passed),
        frozenset(bind.key for bind in binds if not bind.bind.required),
        metadata,
        metadata._key_to_index,
        tuple(column.type for column in columns),
    )


def _bind(bind: Any, processor: Callable[[Any], Any] | None) -> _Bind:
    if bind.required or bind.callable is not None:
        return _Bind(bind.key, bind, processor, _UNSET)
    return _Bind(bind.key, bind, processor, bind.value if processor is None else processor(bind.value))


def _parameters(plan: _Plan, values: dict[str, Any]) -> list[Any] | None:
    """The values in the statement's order, processed; None when a required one is missing. The plan's list of
    constants copied, only the values passed (and a callable's) put in their places."""
    if not plan.own_keys.isdisjoint(values):
        return _parameters_one_by_one(plan.binds, values)
    if not values.keys() >= plan.required:
        return None
    parameters = plan.constants.copy()
    for position, key, processor in plan.passed:
        parameters[position] = values[key] if processor is None else processor(values[key])
    for position, asked, processor in plan.called:  # the bind's effective_value, without its property
        parameters[position] = asked() if processor is None else processor(asked())
    return parameters


def _parameters_one_by_one(binds: tuple[_Bind, ...], values: dict[str, Any]) -> list[Any] | None:
    """The values in the statement's order, a value passed under a bind's key overriding the bind's own."""
    parameters = []
    for key, bind, processor, constant in binds:
        if key in values:
            value = values[key]
        elif constant is not _UNSET:
            parameters.append(constant)
            continue
        elif bind.required:
            return None
        else:
            value = bind.effective_value
        parameters.append(value if processor is None else processor(value))
    return parameters


def _fetched(cursor: Any) -> list[Any] | tuple[()]:
    """The rows pg8000 read, as its cursor holds them (none for a statement without a result): its `description`
    builds a list of 7-tuples to be asked that, and its `fetchall` goes through a Python `__next__` row by row to
    the StopIteration it raises and catches, ~10,000 instructions a statement between them."""
    context = cursor._context
    return () if context is None or context.rows is None else context.rows


def _execute(dialect: Dialect, cursor: Any, sql: str, parameters: list[Any]) -> None:
    """The driver's execute as SQLAlchemy calls it: a `do_execute` listener may run it instead."""
    if dialect._has_events:
        for listener in dialect.dispatch.do_execute:
            if listener(cursor, sql, parameters, None):
                return
    dialect.do_execute(cursor, sql, parameters, None)


def _result_processors(plan: _Plan, description: Any) -> list[Any] | None:
    """The result columns' processors, from their types and the driver's type codes (as SQLAlchemy picks them);
    None where no column needs one (pg8000 converts every type the layer reads itself)."""
    processors = [
        column_type._cached_result_processor(plan.dialect, column[1])
        for column_type, column in zip(plan.result_types, description, strict=True)
    ]
    return processors if any(processors) else None


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    _remember_statement_conversions()
    settings = get_settings()
    url, plaintext = _plaintext_requested(engine_url(settings))
    connect_args = {
        "ssl_context": False if plaintext else tls_for(url.host, settings),
        "timeout": settings.db_timeout_seconds,
    }
    # A Lambda container serves one request at a time: DB_CONNECTIONS (1 unless a function needs two transactions
    # at once), never more, so that reserved concurrency bounds what the RDS Proxy is asked for (see the README).
    pool = {"pool_size": settings.db_connections, "max_overflow": 0}
    # hide_parameters: bind values (emails, password hashes, a book's text) never appear in an exception's text,
    # hence never in a log line or a traceback.
    engine = create_engine(
        url,
        connect_args=connect_args,
        poolclass=kept_connection.ReclaimingPool,
        pool_recycle=kept_connection.RECYCLE_SECONDS,
        hide_parameters=True,
        query_cache_size=0,  # the cache below instead
        execution_options={"compiled_cache": CompiledStatements(COMPILED_STATEMENTS)},
        **pool,
    )
    event.listen(engine, "connect", configure_connection)
    engine.dialect.statement_compiler = _planned(type(engine.dialect).statement_compiler)
    return engine


def drop_connections() -> None:
    """Every open connection of the process closed (the kept one and the pool's), the engine kept: for when the
    server was lost in a way SQLAlchemy did not see."""
    kept_connection.release()
    get_engine().dispose()


def dispose_engine() -> None:
    if get_engine.cache_info().currsize:
        drop_connections()
        get_engine.cache_clear()


# Commits the current request has started. A request whose connection died before any could be run again
# safely: PostgreSQL rolled back whatever it had sent; once a commit has started, it may have gone through.
commits_started: ContextVar[int] = ContextVar("commits_started", default=0)

# SQLSTATEs of a server that is going away or not there yet (shut down by an administrator, crashed, starting), or
# that has no connection slot free (53300: max_connections, a role's or database's CONNECTION LIMIT, RDS Proxy's
# pool). Not 53400 configuration_limit_exceeded: PostgreSQL raises it for a statement (temp_file_limit, too many
# grouping sets) that would fail again however long the caller waited.
UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# SQLSTATEs of a transaction the server rolled back to let another go on: serialization_failure, deadlock_detected.
ROLLED_BACK_STATES = frozenset({"40001", "40P01"})
INTEGRITY_VIOLATION_CLASS = "23"


def server_error_fields(error: DBAPIError) -> dict[str, str]:
    """pg8000 reports every server error as ProgrammingError with PostgreSQL's fields in its first argument. A
    server that refuses a connection (53300) closes its end at once, and pg8000's goodbye on that socket can fail
    as InterfaceError("network error") raised while handling the refusal: the fields are then the refusal's."""
    cause: BaseException | None = error.orig
    while cause is not None:
        details = cause.args[0] if cause.args else None
        if isinstance(details, dict):
            return details
        cause = cause.__cause__ or cause.__context__
    return {}


def is_unavailable(error: DBAPIError) -> bool:
    """The database cannot be reached (refused, reset, restarting), as opposed to refusing a statement."""
    state = server_error_fields(error).get("C", "")
    return (
        error.connection_invalidated
        or isinstance(error, (OperationalError, InterfaceError))
        or state.startswith("08")
        or state in UNAVAILABLE_STATES
    )


def timed_out(error: DBAPIError) -> bool:
    """The socket timeout (DB_TIMEOUT_SECONDS) ran out while connecting or waiting on the server."""
    cause: BaseException | None = error.orig
    while cause is not None:
        if isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def may_retry(error: DBAPIError) -> bool:
    """A connection found dead before the request started any commit: a new connection may run it all again.
    Not one that timed out: that time is spent, and a second wait would outlast the function."""
    return error.connection_invalidated and commits_started.get() == 0 and not timed_out(error)


def _count_commit(_session: Session) -> None:
    commits_started.set(commits_started.get() + 1)


@cache
def listen_to_sessions() -> None:
    """The hooks every ORM session runs (its commits counted, its audit columns filled), set on the Session class
    with the ORM's import, by the first session: a request that runs only Core statements never imports SQLAlchemy's
    ORM (~250 M instructions of a cold start, 13% of the fixed stack's import)."""
    from sqlalchemy.orm import Session

    event.listen(Session, "before_commit", _count_commit)
    event.listen(Session, "before_flush", _fill_audit_columns)


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    listen_to_sessions()
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back when it raises."""
    with _session_factory().begin() as session:
        check = _first_transaction_check()
        if check is not None:
            check(session.connection())
        yield session


@contextmanager
def reading() -> Iterator[Connection]:
    """A unit of work that only reads, with Core statements: a connection in a transaction, without the ORM session
    around it (whose bookkeeping cost ~0.1 ms of every list request). Committed when the block ends, rolled back when
    it raises; run again like any request whose connection was found dead (it changed nothing). Its connection is the
    one the last Core unit of work kept, where there is one (`library_common.kept_connection`)."""
    with kept_connection.unit_connection(get_engine()) as connection, connection.begin():
        check = _first_transaction_check()
        if check is not None:
            check(connection)
        yield connection


# What each open `writing()` block runs once its transaction has committed, by the block's connection.
_AFTER_COMMIT: dict[Connection, list[Callable[[], None]]] = {}


@contextmanager
def writing() -> Iterator[Connection]:
    """A unit of work that writes with Core statements only: a connection in a transaction, without the ORM session
    around it (whose bookkeeping cost every borrow ~0.26 M instructions, ~0.1 ms). Committed when the block ends,
    rolled back when it raises. Its commit counts in `commits_started` as a session's does, and what `after_commit`
    was handed runs once it has committed. No ORM flush runs here: its statements fill the audit columns themselves
    (`ACTOR`). Its connection is the one the last Core unit of work kept, as for `reading()`."""
    with kept_connection.unit_connection(get_engine()) as connection:
        callbacks = _AFTER_COMMIT[connection] = []
        try:
            with connection.begin():
                check = _first_transaction_check()
                if check is not None:
                    check(connection)
                yield connection
                commits_started.set(commits_started.get() + 1)
        finally:
            del _AFTER_COMMIT[connection]
    for callback in callbacks:
        callback()


def after_commit(connection: Connection, callback: Callable[[], None]) -> None:
    """Runs `callback` once the transaction of `connection`, a `writing()` block's, has committed; a rollback
    forgets it. Not within a savepoint, whose own rollback this could not tell: those need the session."""
    if connection.in_nested_transaction():
        raise RuntimeError("after_commit within a savepoint: use db.transaction() and its session")
    _AFTER_COMMIT[connection].append(callback)


def _first_transaction_check() -> Callable[[Connection], None] | None:
    """The request's first-transaction check, taken: the transactions after the first run none."""
    check = first_transaction_check.get()
    if check is not None:
        first_transaction_check.set(None)
    return check


def reset() -> None:
    """Forget the engine and settings, e.g. after a test changes DATABASE_URL."""
    dispose_engine()
    _session_factory.cache_clear()
    get_settings.cache_clear()


def _fill_audit_columns(session: Session, _flush_context: object, _instances: object) -> None:
    from library_common.models.base import Audited

    actor = current_actor.get()
    for instance in session.new:
        if isinstance(instance, Audited):
            instance.created_by = instance.created_by or actor
            instance.updated_by = instance.updated_by or actor
    for instance in session.dirty:
        if isinstance(instance, Audited) and session.is_modified(instance, include_collections=False):
            instance.updated_by = actor


def copy_from(session: Session, statement: str, data: bytes) -> None:
    """Runs `COPY ... FROM STDIN` of `data` on the session's connection. A server error is raised as SQLAlchemy's
    exception, as Session.execute would (a DBAPIError, for integrity_violation and violated_constraint)."""
    connection = session.connection()
    dbapi = connection.dialect.loaded_dbapi
    try:
        # One CopyData message: from a stream pg8000 sends 4 KB a message, and each send gives up the GIL to the
        # caller's other threads (a CSV import validates the next chunk meanwhile) for up to the switch interval.
        connection.connection.dbapi_connection.cursor().execute(statement, stream=[data])
    except dbapi.Error as error:
        raise DBAPIError.instance(statement, None, error, dbapi.Error) from error


def integrity_violation(error: DBAPIError) -> str | None:
    """The SQLSTATE of an integrity constraint violation (class 23: unique 23505, foreign key 23503, not-null
    23502, check 23514, exclusion 23P01), or None for any other error. By the SQLSTATE, not the exception's class:
    pg8000 raises only a unique violation as IntegrityError and every other as ProgrammingError."""
    state = server_error_fields(error).get("C", "")
    return state if state.startswith(INTEGRITY_VIOLATION_CLASS) else None


def violated_constraint(error: DBAPIError) -> str | None:
    """Which constraint (or unique index) a write broke, so a lost race becomes the same answer as the check it
    raced; None when the error is no integrity violation. "n" of the server's error fields is the constraint."""
    return server_error_fields(error).get("n") if integrity_violation(error) else None

"""Whether a caller's access token is still current: one rule, read in one of two places per request.

Every deactivation, demotion or password change bumps the account's token version; a token carrying an older one
has ended. `api` runs `refuse_if_stale_now` as the request's first transaction's first statement (one primary-key
read). A route whose first statement reads a row anyway may read `VERSION_NOW` inside it instead, call
`refuse_if_stale` with what it read, and declare so with `api.checks_token_version_itself`: the request then
skips the separate read (POST /loans does, in `library_loans.borrowing`). A route whose first statement writes
puts `IS_CURRENT` in the WHERE clause of its writes too, so that a stale token's statement writes nothing
(POST /loans/{id}/return, in `library_loans.loans`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, Integer, bindparam, select

from library_common import models
from library_common.errors import Unauthorized

TOKEN_HOLDER = bindparam("token_holder", type_=BigInteger)
USERS = models.users
# The caller's token version as the account has it now; None once the account is gone. As a scalar subquery
# (`VERSION_NOW.scalar_subquery()`) it rides along in a statement a route runs anyway. Over the table, not the
# mapped class: a request that reads only rows then never has the ORM configure every mapper of the layer.
VERSION_NOW = select(USERS.c.token_version).where(USERS.c.id == TOKEN_HOLDER)
# The version the caller's token carries, and the condition that it is still the account's.
HELD_VERSION = bindparam("held_token_version", type_=Integer)
IS_CURRENT = VERSION_NOW.scalar_subquery() == HELD_VERSION


def revoked() -> Unauthorized:
    """The refusal of a token that has ended (or whose account is gone)."""
    return Unauthorized("This session has ended; sign in again", code="TOKEN_REVOKED")


def refuse_if_stale(token_version: int, version_now: int | None) -> None:
    """A token is current while its version is the account's; an inactive account's own refusals (e.g.
    BORROWING_BLOCKED) stay the routes' to give."""
    if version_now != token_version:
        raise revoked()


def refuse_if_stale_now(connection: Connection, user_id: int, token_version: int) -> None:
    """The check as a statement of its own (on the connection: the ORM has nothing to do for one column)."""
    refuse_if_stale(token_version, connection.execute(VERSION_NOW, {"token_holder": user_id}).scalar())

"""`db.server_error_fields`: PostgreSQL's fields of an error, also when pg8000 masks a refused connection with the
"network error" of its own goodbye on the socket the server has already closed (as `connect` does on a 53300)."""

from pg8000.exceptions import DatabaseError, InterfaceError
from sqlalchemy.exc import DBAPIError

from library_common import db

REFUSAL = {"S": "FATAL", "C": "53300", "M": "too many connections for role"}


def _masked_refusal() -> InterfaceError:
    try:
        try:
            raise DatabaseError(REFUSAL)
        except DatabaseError:
            try:
                raise BrokenPipeError(32, "Broken pipe")
            except BrokenPipeError as broken:
                raise InterfaceError("network error") from broken
    except InterfaceError as masked:
        return masked


def test_the_fields_of_a_refusal_pg8000_masked_with_its_goodbyes_network_error():
    error = DBAPIError.instance("connect", None, _masked_refusal(), InterfaceError)
    assert db.server_error_fields(error)["C"] == "53300"
    assert db.is_unavailable(error)


def test_an_error_without_a_server_behind_it_has_no_fields():
    error = DBAPIError.instance("connect", None, InterfaceError("network error"), InterfaceError)
    assert db.server_error_fields(error) == {}

"""All tables of the library, on `METADATA`; the ORM's classes mapped onto them load at the first use of one.

`models.books` is the Core table, `models.Book` the class mapped onto it. Importing this package declares the
tables alone. The class names load `library_common.models.mapped` and with it SQLAlchemy's ORM: ~250 M
instructions of a cold start (13% of the fixed stack's import), ~85 M more to map the classes and ~75 M to configure
them at their first use, which the requests that run Core statements over the tables never need. Write
`models.Book` where the class is used: `from library_common.models import Book` at a module's top loads the ORM
with the module.
"""

from typing import Any

from library_common.models.base import METADATA, Audited
from library_common.models.catalogue import books, catalogue_counts, import_jobs, reviews
from library_common.models.circulation import fines, holds, idempotency_records, loan_counts, loans, policies
from library_common.models.identity import (
    ROLES,
    group_permissions,
    login_attempts,
    password_reset_requests,
    password_reset_tokens,
    permission_groups,
    permissions,
    refresh_tokens,
    user_groups,
    users,
)
from library_common.models.notices import notifications

__all__ = [
    "METADATA",
    "ROLES",
    "Audited",
    "Base",
    "Book",
    "CatalogueCount",
    "Fine",
    "Hold",
    "IdempotencyRecord",
    "ImportJob",
    "Loan",
    "LoanCount",
    "LoginAttempt",
    "Notification",
    "PasswordResetRequest",
    "PasswordResetToken",
    "Permission",
    "PermissionGroup",
    "Policy",
    "RefreshToken",
    "Review",
    "User",
    "books",
    "catalogue_counts",
    "fines",
    "group_permissions",
    "holds",
    "idempotency_records",
    "import_jobs",
    "loan_counts",
    "loans",
    "login_attempts",
    "notifications",
    "password_reset_requests",
    "password_reset_tokens",
    "permission_groups",
    "permissions",
    "policies",
    "refresh_tokens",
    "reviews",
    "user_groups",
    "users",
]
# What `__all__` names beyond the tables: the classes `library_common.models.mapped` defines, loaded at the first use
# of one of them.
MAPPED = frozenset(__all__) - set(globals())


def __getattr__(name: str) -> Any:
    if name not in MAPPED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from library_common.models import mapped

    # Kept as the package's own names: the next use is a plain attribute read.
    globals().update({mapped_name: getattr(mapped, mapped_name) for mapped_name in MAPPED})
    return globals()[name]

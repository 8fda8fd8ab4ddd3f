"""SQLAlchemy's ORM classes, each mapped onto its table (`__table__`) of the tables' modules.

Declaring the schema through annotated `mapped_column`s cost every function's cold start about 40% more for the
same tables, in scanning the annotations and copying the columns. Loaded at the first use of a class
(`library_common.models`): importing this module imports the ORM and maps every class.
"""

from sqlalchemy.orm import DeclarativeBase, relationship

from library_common.models import catalogue, circulation, identity, notices
from library_common.models.base import METADATA, Audited


class Base(DeclarativeBase):
    metadata = METADATA


class Book(Audited, Base):
    __table__ = catalogue.books


class Review(Audited, Base):
    __table__ = catalogue.reviews


class CatalogueCount(Base):
    """How many books are not archived: one row (id 1), kept by triggers on `books` (see migration 0001).

    The unfiltered catalogue list reads its total here instead of counting every row on every request.
    """

    __table__ = catalogue.catalogue_counts


class ImportJob(Audited, Base):
    """A CSV import uploaded to S3 and run by the uploads function; `GET /books/imports/{id}` reports it."""

    __table__ = catalogue.import_jobs


class Policy(Audited, Base):
    """The library's lending rules: a single row (id 1), editable through PATCH /policies."""

    __table__ = circulation.policies


class Loan(Audited, Base):
    __table__ = circulation.loans


class LoanCount(Base):
    """Loans begun per title per UTC calendar month, kept by triggers on `loans` (see migration 0001).

    The most-borrowed report sums whole months here instead of counting every loan of a long range.
    """

    __table__ = circulation.loan_counts


class Hold(Audited, Base):
    """A member's place in a title's queue; positions are derived from `queued_on`, so they are always dense."""

    __table__ = circulation.holds


class Fine(Audited, Base):
    """The late fee of one loan; accrues while the loan is overdue, then is paid or waived by staff."""

    __table__ = circulation.fines


class IdempotencyRecord(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed to retries."""

    __table__ = circulation.idempotency_records


class Permission(Audited, Base):
    __table__ = identity.permissions


class PermissionGroup(Audited, Base):
    __table__ = identity.permission_groups

    permissions = relationship(Permission, secondary=identity.group_permissions, lazy="selectin")


class User(Audited, Base):
    __table__ = identity.users

    groups = relationship(PermissionGroup, secondary=identity.user_groups, lazy="selectin")


class RefreshToken(Audited, Base):
    """Opaque refresh tokens, stored only as a SHA-256 hash; a family is one login's chain of rotations."""

    __table__ = identity.refresh_tokens


class LoginAttempt(Base):
    """Failed logins per email and client address, kept in the database so the lockout holds across containers."""

    __table__ = identity.login_attempts


class PasswordResetToken(Base):
    """A single-use password reset token, stored only as its SHA-256; a newer request replaces it."""

    __table__ = identity.password_reset_tokens


class PasswordResetRequest(Base):
    """Every reset request, known email or not, so that requests are rate-limited per email and per address."""

    __table__ = identity.password_reset_requests


class Notification(Audited, Base):
    __table__ = notices.notifications

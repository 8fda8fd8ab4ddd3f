"""The states a record can be in. The model's CHECK constraints and every comparison use these values."""

from __future__ import annotations

from enum import StrEnum


class LoanStatus(StrEnum):
    """Derived, never stored: from the return and the due date (see `domain.loans`)."""

    ACTIVE = "active"
    OVERDUE = "overdue"
    RETURNED = "returned"


class HoldStatus(StrEnum):
    WAITING = "waiting"
    READY = "ready"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# A hold in the queue or on the hold shelf: at most one per member and title.
ACTIVE_HOLD_STATUSES = (HoldStatus.WAITING, HoldStatus.READY)


class FineStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    WAIVED = "waived"


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class NoticeKind(StrEnum):
    """What a notice is about: its templates are `library_common/templates/<kind>.txt` and `.html`."""

    BORROW_RECEIPT = "borrow_receipt"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    HOLD_READY = "hold_ready"
    HOLD_EXPIRED = "hold_expired"
    FINE_CHARGED = "fine_charged"
    ACCOUNT_ACTIVATED = "account_activated"
    FAILED_LOGINS = "failed_logins"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"


class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Role(StrEnum):
    ADMIN = "admin"
    LIBRARIAN = "librarian"
    MEMBER = "member"


def values(statuses: type[StrEnum]) -> tuple[str, ...]:
    """The plain values, for a CHECK constraint's `IN (...)`."""
    return tuple(status.value for status in statuses)

"""All tables of the library; importing this registers every model on `Base.metadata`."""

from library_common.models.base import Audited, Base
from library_common.models.catalogue import Book, ImportJob, Review
from library_common.models.circulation import Fine, Hold, IdempotencyRecord, Loan, Policy
from library_common.models.identity import (
    ROLES,
    LoginAttempt,
    PasswordResetRequest,
    PasswordResetToken,
    Permission,
    PermissionGroup,
    RefreshToken,
    User,
    group_permissions,
    user_groups,
)
from library_common.models.notices import Notification

__all__ = [
    "ROLES",
    "Audited",
    "Base",
    "Book",
    "Fine",
    "Hold",
    "IdempotencyRecord",
    "ImportJob",
    "Loan",
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
    "group_permissions",
    "user_groups",
]

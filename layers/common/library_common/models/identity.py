"""Users, roles, permissions, permission groups, refresh tokens and login attempts."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)

from library_common.domain import emails
from library_common.domain.statuses import Role, values
from library_common.models.base import METADATA, audit_columns

ROLES = values(Role)

group_permissions = Table(
    "group_permissions",
    METADATA,
    Column("group_id", BigInteger, ForeignKey("permission_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("permission_id", BigInteger, ForeignKey("permissions.id", ondelete="CASCADE"), primary_key=True),
)

user_groups = Table(
    "user_groups",
    METADATA,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", BigInteger, ForeignKey("permission_groups.id", ondelete="CASCADE"), primary_key=True),
)

users = Table(
    "users",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(emails.MAX_LENGTH), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False, server_default=Role.MEMBER.value),
    Column("is_active", Boolean, nullable=False, server_default="false"),
    Column("membership_date", Date, nullable=False, server_default=func.current_date()),
    # Set on the first admin, whose password a deployment generated: every route but a password change refuses.
    Column("must_change_password", Boolean, nullable=False, server_default="false"),
    # Carried in every access token; bumping it (deactivation, role, groups, password) ends those tokens.
    Column("token_version", Integer, nullable=False, server_default="0"),
    *audit_columns(),
    CheckConstraint(f"role IN {ROLES}", name="role"),
    Index("uq_users_email_lower", func.lower(text("email")), unique=True),
)

permissions = Table(
    "permissions",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("code", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("is_builtin", Boolean, nullable=False, server_default="false"),
    *audit_columns(),
)

permission_groups = Table(
    "permission_groups",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("is_builtin", Boolean, nullable=False, server_default="false"),
    *audit_columns(),
)

refresh_tokens = Table(
    "refresh_tokens",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("family_id", Uuid, nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    *audit_columns(),
)

login_attempts = Table(
    "login_attempts",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("client_address", String(64), nullable=False, server_default=""),
    Column("attempted_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_login_attempts_email_attempted_on", "email", "attempted_on"),
    Index("ix_login_attempts_email_address_attempted_on", "email", "client_address", "attempted_on"),
)

password_reset_tokens = Table(
    "password_reset_tokens",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

password_reset_requests = Table(
    "password_reset_requests",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("client_address", String(64), nullable=False),
    Column("requested_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_password_reset_requests_email_requested_on", "email", "requested_on"),
    Index("ix_password_reset_requests_address_requested_on", "client_address", "requested_on"),
)

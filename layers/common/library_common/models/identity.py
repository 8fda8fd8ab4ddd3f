"""Users, roles, permissions, permission groups, refresh tokens and login attempts."""

import uuid
from datetime import date, datetime

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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library_common.domain.statuses import Role, values
from library_common.models.base import Audited, Base

ROLES = values(Role)

group_permissions = Table(
    "group_permissions",
    Base.metadata,
    Column("group_id", BigInteger, ForeignKey("permission_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("permission_id", BigInteger, ForeignKey("permissions.id", ondelete="CASCADE"), primary_key=True),
)

user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", BigInteger, ForeignKey("permission_groups.id", ondelete="CASCADE"), primary_key=True),
)


class User(Audited, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), server_default=Role.MEMBER.value)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="false")
    membership_date: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    # Set on the first admin, whose password a deployment generated: every route but a password change refuses.
    must_change_password: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Carried in every access token; bumping it (deactivation, role, groups, password) ends those tokens.
    token_version: Mapped[int] = mapped_column(Integer, server_default="0")

    groups: Mapped[list["PermissionGroup"]] = relationship(secondary=user_groups, lazy="selectin")


class Permission(Audited, Base):
    __tablename__ = "permissions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    is_builtin: Mapped[bool] = mapped_column(Boolean, server_default="false")


class PermissionGroup(Audited, Base):
    __tablename__ = "permission_groups"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, server_default="")
    is_builtin: Mapped[bool] = mapped_column(Boolean, server_default="false")

    permissions: Mapped[list[Permission]] = relationship(secondary=group_permissions, lazy="selectin")


class RefreshToken(Audited, Base):
    """Opaque refresh tokens, stored only as a SHA-256 hash; a family is one login's chain of rotations."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed logins per email and client address, kept in the database so the lockout holds across containers."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_attempted_on", "email", "attempted_on"),
        Index("ix_login_attempts_email_address_attempted_on", "email", "client_address", "attempted_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64), server_default="")
    attempted_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PasswordResetToken(Base):
    """A single-use password reset token, stored only as its SHA-256; a newer request replaces it."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PasswordResetRequest(Base):
    """Every reset request, known email or not, so that requests are rate-limited per email and per address."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        Index("ix_password_reset_requests_email_requested_on", "email", "requested_on"),
        Index("ix_password_reset_requests_address_requested_on", "client_address", "requested_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64))
    requested_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

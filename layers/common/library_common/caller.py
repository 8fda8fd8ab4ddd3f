"""Who is calling: built from the authorizer context, or from a bearer token on a public route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from library_common.domain.statuses import Role
from library_common.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Caller:
    user_id: int | None = None
    role: str | None = None
    permissions: frozenset[str] = frozenset()
    # The account's password was generated for it (the first admin): every route but changing it refuses.
    must_change_password: bool = False
    # The token's version and expiry (epoch seconds), which the functions check: see `api`.
    token_version: int = 0
    expires_at: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def has(self, permission: str) -> bool:
        return self.is_admin or permission in self.permissions

    def require_login(self) -> int:
        if self.user_id is None:
            raise Unauthorized()
        return self.user_id

    def require(self, permission: str) -> int:
        user_id = self.require_login()
        if not self.has(permission):
            raise Forbidden(f"This needs the '{permission}' permission")
        return user_id

    def listing_scope(self, requested_user_id: int | None, permission: str, records: str) -> int | None:
        """Whose records a list shows: any member's (or everyone's, None) with `permission`, else only the caller's."""
        user_id = self.require_login()
        if self.has(permission):
            return requested_user_id
        if requested_user_id not in (None, user_id):
            raise Forbidden(f"Only your own {records}, unless you hold '{permission}'")
        return user_id

    def require_self_or(self, owner_id: int, permission: str) -> int:
        user_id = self.require_login()
        if user_id != owner_id and not self.has(permission):
            raise Forbidden(f"Only the owner or a holder of '{permission}' may do this")
        return user_id


ANONYMOUS = Caller()


def from_claims(claims: dict[str, Any]) -> Caller:
    return Caller(
        user_id=int(claims["sub"]),
        role=claims["role"],
        permissions=frozenset(claims.get("perms", ())),
        must_change_password=bool(claims.get("pwc")),
        token_version=int(claims.get("ver", 0)),
        expires_at=int(claims["exp"]),
    )


def from_authorizer_context(context: dict[str, Any]) -> Caller | None:
    """API Gateway passes authorizer context values as strings; permissions travel comma-separated."""
    user_id = context.get("user_id")
    if not user_id:
        return None
    permissions = context.get("permissions") or ""
    return Caller(
        user_id=int(user_id),
        role=context.get("role"),
        permissions=frozenset(p for p in permissions.split(",") if p),
        must_change_password=str(context.get("must_change_password")).lower() == "true",
        token_version=int(context.get("token_version") or 0),
        expires_at=int(context["expires_at"]) if context.get("expires_at") else None,
    )

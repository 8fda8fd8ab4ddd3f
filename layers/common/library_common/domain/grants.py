"""Who may grant what: a caller gives others only permissions they hold themselves.

Granting happens through groups: creating a group, adding permissions to one, putting a user in one (directly, or
by a role change that joins the built-in `librarians` group). Each of those is refused when it would give someone
a permission the caller lacks, so `users.manage` or `groups.manage` is never a path to more than the holder has.
Built-in groups are for admins alone: they are the library's defaults, and every librarian is in one.
"""

from __future__ import annotations

from collections.abc import Iterable

from library_common.caller import Caller
from library_common.errors import Forbidden


def ensure_can_grant(caller: Caller, permissions: Iterable[str]) -> None:
    """403 `CANNOT_GRANT` naming the permissions the caller would give away without holding them."""
    if caller.is_admin:
        return
    lacking = sorted(set(permissions) - caller.permissions)
    if lacking:
        raise Forbidden(f"You cannot grant permissions you do not hold: {', '.join(lacking)}", code="CANNOT_GRANT")


def ensure_can_change_builtin_group(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("Only an admin may change a built-in group", code="ADMIN_ONLY")

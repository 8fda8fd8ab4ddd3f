"""The permission codes: the route guards check these constants, and the first migration creates exactly
these rows (its list is checked against this one by a test, since a migration must not change when code does)."""

from __future__ import annotations

BOOKS_CREATE = "books.create"
BOOKS_UPDATE = "books.update"
BOOKS_DELETE = "books.delete"
BOOKS_IMPORT = "books.import"
USERS_VIEW = "users.view"
USERS_MANAGE = "users.manage"
GROUPS_MANAGE = "groups.manage"
LOANS_MANAGE = "loans.manage"
LOANS_VIEW_ALL = "loans.view_all"
FINES_MANAGE = "fines.manage"
REPORTS_VIEW = "reports.view"
POLICIES_MANAGE = "policies.manage"

BUILT_IN = {
    BOOKS_CREATE: "Create books",
    BOOKS_UPDATE: "Update books, covers and reviews",
    BOOKS_DELETE: "Delete or archive books",
    BOOKS_IMPORT: "Import books from CSV",
    USERS_VIEW: "View users",
    USERS_MANAGE: "Create, update and deactivate users",
    GROUPS_MANAGE: "Manage permissions and permission groups",
    LOANS_MANAGE: "Lend, return and renew for any member; manage holds",
    LOANS_VIEW_ALL: "View every member's loans",
    FINES_MANAGE: "View, pay and waive fines",
    REPORTS_VIEW: "View reports",
    POLICIES_MANAGE: "Change lending policies",
}
# The built-in `librarians` group gets every built-in permission but these.
NOT_FOR_LIBRARIANS = (USERS_MANAGE, GROUPS_MANAGE, POLICIES_MANAGE)

"""Every route of API.md x {anonymous, member, librarian, admin}: the documented status, over HTTP.

One row per route (a route may have extra rows for variants, e.g. registering with staff fields). Each case
runs against a fresh `World`: two admins, a librarian (in `librarians`), the calling member, another member
(`{other}`) with a custom group `{group}`, and whatever a row's `arrange` adds. Paths and bodies name those
with `{placeholders}`. To cover a new route, append a Row; `test_every_template_route_has_a_row` fails until
every route in template.yaml has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text

from devtools import template
from tests.http.client import call

pytestmark = pytest.mark.http

ROLES = ("anonymous", "member", "librarian", "admin")
CONSOLE_PAGE = 200 if (template.ROOT / "functions/console/library_console/static/index.html").is_file() else 503


class World:
    """The people and things a case needs, created straight in the database."""

    def __init__(self, users, engine):
        self.users = users
        self.engine = engine
        self.admin = users.create("admin", email="admin@example.org")
        # A second admin, so an admin may close their own account; circulation() lends it the held book.
        self.second_admin = users.create("admin", email="second-admin@example.org")
        self.librarian = users.create("librarian", email="librarian@example.org")
        self.member = users.create("member", email="member@example.org")
        self.other = users.create("member", email="other@example.org", name="Otto")
        self.ids: dict[str, int] = {
            "other": self.other["id"],
            "group": self.sql_id("INSERT INTO permission_groups (name) VALUES ('auditors') RETURNING id"),
        }

    def sql_id(self, statement: str, **params: Any) -> int:
        with self.engine.begin() as connection:
            return connection.execute(text(statement), params).scalar()

    def caller(self, role: str) -> dict[str, Any] | None:
        return None if role == "anonymous" else getattr(self, role)

    def token(self, role: str) -> str | None:
        user = self.caller(role)
        return self.users.token(user) if user else None

    def refresh_token(self, user: dict[str, Any], api: str) -> str:
        credentials = {"email": user["email"], "password": user["password"]}
        return call(api, "POST", "/auth/login", json_body=credentials).body["data"]["refresh_token"]


Body = dict[str, Any] | Callable[[World, str, str], dict[str, Any]] | None


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the path as template.yaml declares it
    expected: tuple[int, int, int, int]  # anonymous, member, librarian, admin
    url: str | None = None  # the path called, with {placeholders} from World.ids; default: the route
    body: Body = None  # a JSON body, or body(world, role, api_url)
    arrange: Callable[[World], None] | None = None
    variant: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None  # a raw body (send its Content-Type in `headers`) instead of `body`

    @property
    def name(self) -> str:
        return f"{self.method} {self.route}" + (f" ({self.variant})" if self.variant else "")


def registration(**extra: Any) -> dict[str, Any]:
    return {"name": "Newcomer", "email": "newcomer@example.org", "password": "a long passphrase", **extra}


def own_refresh_token(world: World, role: str, api: str) -> dict[str, Any]:
    user = world.caller(role) or world.other
    return {"refresh_token": world.refresh_token(user, api)}


def circulation(world: World) -> None:
    """{book}: on the shelf; {loan}: `other` borrowing a copy; {fine}: unpaid, for a late loan returned;
    {held_book}: its one copy out (to the second admin) with `other` waiting in {hold}."""
    with world.engine.begin() as connection:

        def insert(statement: str, **params: Any) -> int:
            return connection.execute(text(statement + " RETURNING id"), params).scalar()

        other, lender = world.other["id"], world.second_admin["id"]
        world.ids["book"] = insert("INSERT INTO books (title, author, quantity) VALUES ('Dune', 'Frank Herbert', 3)")
        lent = insert(
            "INSERT INTO books (title, author, quantity, copies_on_loan) VALUES ('Emma', 'Jane Austen', 2, 1)"
        )
        world.ids["loan"] = insert(
            "INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, current_date + 14)", u=other, b=lent
        )
        fined = insert("INSERT INTO books (title, author) VALUES ('Ulysses', 'James Joyce')")
        late = insert(
            "INSERT INTO loans (user_id, book_id, borrowed_on, due_date, returned_on) "
            "VALUES (:u, :b, now() - interval '20 days', current_date - 6, now() - interval '2 days')",
            u=other,
            b=fined,
        )
        world.ids["fine"] = insert(
            "INSERT INTO fines (loan_id, user_id, amount) VALUES (:l, :u, 1.00)", l=late, u=other
        )
        world.ids["held_book"] = insert(
            "INSERT INTO books (title, author, quantity, copies_on_loan) VALUES ('Solaris', 'Stanislaw Lem', 1, 1)"
        )
        insert(
            "INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, current_date + 14)",
            u=lender,
            b=world.ids["held_book"],
        )
        world.ids["hold"] = insert(
            "INSERT INTO holds (user_id, book_id) VALUES (:u, :b)", u=other, b=world.ids["held_book"]
        )


def catalogue(world: World) -> None:
    """{book}: returned by the member, the librarian and the admin (so each may review it), reviewed by
    `other` in {review}; {job}: a CSV import waiting for its upload."""
    with world.engine.begin() as connection:

        def insert(statement: str, **params: Any) -> int:
            return connection.execute(text(statement + " RETURNING id"), params).scalar()

        book = world.ids["book"] = insert(
            "INSERT INTO books (title, author, quantity, review_count, rating_total) "
            "VALUES ('Dune', 'Frank Herbert', 2, 1, 4)"
        )
        for reader in (world.member, world.librarian, world.admin, world.other):
            insert(
                "INSERT INTO loans (user_id, book_id, borrowed_on, due_date, returned_on) "
                "VALUES (:u, :b, now() - interval '10 days', current_date + 4, now() - interval '1 day')",
                u=reader["id"],
                b=book,
            )
        world.ids["review"] = insert(
            "INSERT INTO reviews (book_id, user_id, rating, comment) VALUES (:b, :u, 4, 'Spice!')",
            b=book,
            u=world.other["id"],
        )
        world.ids["job"] = insert("INSERT INTO import_jobs (object_key) VALUES ('imports/matrix.csv')")


AUTH = [
    Row("POST", "/auth", (201, 201, 201, 201), body=registration()),
    Row("POST", "/auth", (403, 403, 403, 201), body=registration(role="librarian"), variant="with staff fields"),
    Row(
        "POST",
        "/auth/login",
        (200, 200, 200, 200),
        body={"email": "other@example.org", "password": "correct horse battery"},
    ),
    Row("POST", "/auth/refresh", (200, 200, 200, 200), body=own_refresh_token),
    Row("POST", "/auth/password-reset", (202, 202, 202, 202), body={"email": "someone@example.org"}),
    Row(
        "POST",
        "/auth/password-reset/confirm",
        (401, 401, 401, 401),
        body={"token": "not a code anyone was sent", "password": "a long passphrase"},
    ),
    Row("POST", "/auth/logout", (401, 200, 200, 200), body=own_refresh_token),
    Row("GET", "/auth", (401, 200, 200, 200)),
    Row("PATCH", "/auth", (401, 200, 200, 200), body={"name": "Renamed"}),
    Row("PATCH", "/auth", (401, 403, 403, 200), body={"role": "librarian"}, variant="own role"),
    Row("DELETE", "/auth", (401, 200, 200, 200)),
    Row("GET", "/users", (401, 403, 200, 200)),
    Row(
        "POST",
        "/users",
        (401, 403, 403, 201),
        body={"name": "Staff", "email": "staff@example.org", "password": "a long passphrase", "role": "librarian"},
    ),
    Row("GET", "/users/{id}", (401, 403, 200, 200), url="/users/{other}"),
    Row("PATCH", "/users/{id}", (401, 403, 403, 200), url="/users/{other}", body={"name": "Otto Renamed"}),
    Row("DELETE", "/users/{id}", (401, 403, 403, 200), url="/users/{other}"),
    Row("GET", "/users/{id}/loans", (401, 403, 200, 200), url="/users/{other}/loans"),
    Row("GET", "/permissions", (401, 403, 403, 200)),
    Row("POST", "/permissions", (401, 403, 403, 201), body={"code": "reports.export", "name": "Export reports"}),
    Row("GET", "/groups", (401, 403, 403, 200)),
    Row("POST", "/groups", (401, 403, 403, 201), body={"name": "cataloguers", "permissions": ["books.create"]}),
    Row("GET", "/groups/{id}", (401, 403, 403, 200), url="/groups/{group}"),
    Row("PATCH", "/groups/{id}", (401, 403, 403, 200), url="/groups/{group}", body={"permissions": ["reports.view"]}),
    Row("DELETE", "/groups/{id}", (401, 403, 403, 200), url="/groups/{group}"),
]

A_BOOK = {"title": "Dune", "author": "Frank Herbert", "quantity": 3}

CATALOGUE = [
    Row("GET", "/books", (200, 200, 200, 200), arrange=catalogue),
    Row("GET", "/book", (200, 200, 200, 200), arrange=catalogue),
    Row("POST", "/books", (401, 403, 201, 201), body=A_BOOK),
    Row("GET", "/books/{book_id}", (200, 200, 200, 200), url="/books/{book}", arrange=catalogue),
    Row("PUT", "/books/{book_id}", (401, 403, 200, 200), url="/books/{book}", body=A_BOOK, arrange=catalogue),
    Row(
        "PATCH",
        "/books/{book_id}",
        (401, 403, 200, 200),
        url="/books/{book}",
        body={"genre": "Science Fiction"},
        arrange=catalogue,
    ),
    Row("DELETE", "/books/{book_id}", (401, 403, 200, 200), url="/books/{book}", arrange=catalogue),
    Row(
        "POST",
        "/books/import",
        (401, 403, 200, 200),
        data=b"title,author\nEmma,Jane Austen\n",
        headers={"Content-Type": "text/csv"},
    ),
    # No imports or covers bucket exists locally: staff get the documented 503 STORAGE_NOT_CONFIGURED.
    Row("POST", "/books/imports", (401, 403, 503, 503)),
    Row("GET", "/books/imports/{job_id}", (401, 403, 200, 200), url="/books/imports/{job}", arrange=catalogue),
    Row(
        "POST",
        "/books/{book_id}/cover",
        (401, 403, 503, 503),
        url="/books/{book}/cover",
        body={"content_type": "image/png"},
        arrange=catalogue,
    ),
    Row("GET", "/books/{book_id}/reviews", (200, 200, 200, 200), url="/books/{book}/reviews", arrange=catalogue),
    Row(
        "POST",
        "/books/{book_id}/reviews",
        (401, 201, 201, 201),
        url="/books/{book}/reviews",
        body={"rating": 5, "comment": "A classic"},
        arrange=catalogue,
    ),
    Row("GET", "/reviews", (401, 200, 200, 200), arrange=catalogue),
    Row(
        "GET", "/reviews", (401, 403, 200, 200), url="/reviews?user_id={other}", arrange=catalogue, variant="another's"
    ),
    Row("DELETE", "/reviews/{review_id}", (401, 403, 200, 200), url="/reviews/{review}", arrange=catalogue),
    Row("GET", "/isbn-check", (200, 200, 200, 200), url="/isbn-check?isbn=0-441-17271-7", arrange=catalogue),
    Row("GET", "/genres", (200, 200, 200, 200), arrange=catalogue),
    Row("GET", "/authors", (200, 200, 200, 200), arrange=catalogue),
    Row("POST", "/library/chat", (401, 200, 200, 200), body={"message": "Is Dune available?"}, arrange=catalogue),
]

SERVICE = [
    Row("GET", "/health", (200, 200, 200, 200)),
    Row("GET", "/openapi.json", (200, 200, 200, 200)),
    Row("GET", "/docs", (200, 200, 200, 200)),
    # The console's page: 503 with a how-to page where it was not built (no Node on the machine).
    Row("GET", "/", (CONSOLE_PAGE,) * 4),
    Row("GET", "/assets/{proxy+}", (404, 404, 404, 404), url="/assets/no-such-file.js"),
]

CIRCULATION = [
    Row("POST", "/loans", (401, 201, 201, 201), body=lambda w, r, a: {"book_id": w.ids["book"]}, arrange=circulation),
    Row("GET", "/loans", (401, 200, 200, 200), arrange=circulation),
    Row("GET", "/loans/{loan_id}", (401, 403, 200, 200), url="/loans/{loan}", arrange=circulation),
    Row("POST", "/loans/{loan_id}/return", (401, 403, 200, 200), url="/loans/{loan}/return", arrange=circulation),
    Row("POST", "/loans/{loan_id}/renew", (401, 403, 200, 200), url="/loans/{loan}/renew", arrange=circulation),
    Row(
        "POST",
        "/holds",
        (401, 201, 201, 201),
        body=lambda w, r, a: {"book_id": w.ids["held_book"]},
        arrange=circulation,
    ),
    Row("GET", "/holds", (401, 200, 200, 200), arrange=circulation),
    Row("DELETE", "/holds/{hold_id}", (401, 403, 200, 200), url="/holds/{hold}", arrange=circulation),
    Row("GET", "/fines", (401, 200, 200, 200), arrange=circulation),
    Row("POST", "/fines/{fine_id}/pay", (401, 403, 200, 200), url="/fines/{fine}/pay", arrange=circulation),
    Row("POST", "/fines/{fine_id}/waive", (401, 403, 200, 200), url="/fines/{fine}/waive", arrange=circulation),
    Row("GET", "/policies", (200, 200, 200, 200)),
    Row("PATCH", "/policies", (401, 403, 403, 200), body={"max_loans": 4}),
    Row("GET", "/reports/most-borrowed", (401, 403, 200, 200), arrange=circulation),
    Row("GET", "/reports/overdue", (401, 403, 200, 200), arrange=circulation),
    Row("GET", "/reports/summary", (401, 403, 200, 200), arrange=circulation),
    Row("GET", "/reports/loans-per-day", (401, 403, 200, 200), arrange=circulation),
    Row("GET", "/reports/overdue-by-days-late", (401, 403, 200, 200), arrange=circulation),
    Row("GET", "/reports/hold-queues", (401, 403, 200, 200), arrange=circulation),
    Row("GET", "/notifications", (401, 200, 200, 200)),
]

ROWS = AUTH + CATALOGUE + CIRCULATION + SERVICE


def _body(row: Row, world: World, role: str, api: str) -> Any:
    return row.body(world, role, api) if callable(row.body) else row.body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_each_route_answers_each_caller_as_documented(local_api, users, engine, row, role):
    world = World(users, engine)
    if row.arrange is not None:
        row.arrange(world)
    url = (row.url or row.route).format(**world.ids)
    reply = call(
        local_api,
        row.method,
        url,
        json_body=_body(row, world, role, local_api),
        data=row.data,
        headers=row.headers,
        token=world.token(role),
    )
    expected = row.expected[ROLES.index(role)]
    assert reply.status == expected, f"{row.name} as {role}: {reply.status} {reply.text[:300]}"
    if reply.headers.get("Content-Type", "").startswith("application/json") and row.route != "/openapi.json":
        assert reply.body["status"] == expected


def test_every_template_route_has_a_row():
    declared = {(route.method, route.path) for route in template.load().routes}
    covered = {(row.method, row.route) for row in ROWS}
    assert declared - covered == set(), "append a Row for each new route"
    assert covered - declared == set(), "a Row names a route the template does not declare"

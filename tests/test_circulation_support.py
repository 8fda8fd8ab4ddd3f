"""Arranging circulation tests (books, policies, overdue loans) and the copy-accounting check they all end with.

The check: for every title, the loan and hold-shelf counters equal its open loans and ready holds, and
shelf + on loan + on hold shelf = quantity with no part negative. The tests at the bottom prove it can fail.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from library_common import db
from library_common.domain.fines import fine_upsert
from library_common.models import Book, Fine, Loan

COPY_ACCOUNTING = text(
    """
    SELECT b.id, b.quantity, b.copies_on_loan, b.copies_on_hold_shelf,
           (SELECT count(*) FROM loans l WHERE l.book_id = b.id AND l.returned_on IS NULL) AS open_loans,
           (SELECT count(*) FROM holds h WHERE h.book_id = b.id AND h.status = 'ready') AS ready_holds
    FROM books b ORDER BY b.id
    """
)


def add_book(quantity: int = 1, *, title: str = "Dune", author: str = "Frank Herbert") -> int:
    with db.transaction() as session:
        book = Book(title=title, author=author, quantity=quantity)
        session.add(book)
        session.flush()
        return book.id


def charge_fine(loan_id: int) -> str | None:
    """Charges one loan's late fee with the statement the return and the daily job build (`fines.fine_upsert`), as
    of its return or today: the amount charged, or None (not late, settled, or already at that figure)."""
    charged = fine_upsert(Loan.id == loan_id, audited=False).returning(Fine.__table__.c.amount)
    with db.transaction() as session:
        amount = session.execute(charged).scalar_one_or_none()
    return None if amount is None else str(amount)


def set_policy(engine, **values: Any) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE policies SET {assignments} WHERE id = 1"), values)


def make_overdue(engine, loan_id: int, days_late: int) -> None:
    """Moves a loan's dates back so that it is `days_late` days past its due date today (UTC)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE loans SET due_date = (now() AT TIME ZONE 'UTC')::date - CAST(:days AS integer), "
                "borrowed_on = now() - make_interval(days => CAST(:days AS integer) + 14) WHERE id = :id"
            ),
            {"id": loan_id, "days": days_late},
        )


def copy_accounting_problems(engine) -> list[str]:
    problems = []
    with engine.connect() as connection:
        for book in connection.execute(COPY_ACCOUNTING):
            shelf = book.quantity - book.copies_on_loan - book.copies_on_hold_shelf
            if book.copies_on_loan != book.open_loans:
                problems.append(f"book {book.id}: copies_on_loan {book.copies_on_loan} != open loans {book.open_loans}")
            if book.copies_on_hold_shelf != book.ready_holds:
                problems.append(
                    f"book {book.id}: copies_on_hold_shelf {book.copies_on_hold_shelf} != ready holds "
                    f"{book.ready_holds}"
                )
            if min(shelf, book.copies_on_loan, book.copies_on_hold_shelf) < 0:
                problems.append(f"book {book.id}: a negative part in {shelf} + {book.copies_on_loan} + ...")
            if shelf + book.copies_on_loan + book.copies_on_hold_shelf != book.quantity:
                problems.append(f"book {book.id}: the parts do not add up to quantity {book.quantity}")
    return problems


def assert_copies_add_up(engine) -> None:
    problems = copy_accounting_problems(engine)
    assert not problems, "\n".join(problems)


def authorizer_for(user: dict[str, Any], engine) -> dict[str, str]:
    """The context the API's authorizer would pass for this user, for handler tests."""
    with engine.connect() as connection:
        if user["role"] == "admin":
            rows = connection.execute(text("SELECT code FROM permissions"))
        else:
            rows = connection.execute(
                text(
                    "SELECT DISTINCT p.code FROM permissions p JOIN group_permissions gp ON gp.permission_id = p.id "
                    "JOIN user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = :u"
                ),
                {"u": user["id"]},
            )
        permissions = sorted(row[0] for row in rows)
    return {
        "principalId": str(user["id"]),
        "user_id": str(user["id"]),
        "role": user["role"],
        "permissions": ",".join(permissions),
    }


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])


def test_the_accounting_check_passes_when_counters_match_loans_and_holds(users, engine):
    member = users.create("member")
    book_id = add_book(quantity=2)
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET copies_on_loan = 1 WHERE id = :b"), {"b": book_id})
        connection.execute(
            text("INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, current_date + 14)"),
            {"u": member["id"], "b": book_id},
        )
    assert copy_accounting_problems(engine) == []


def test_the_accounting_check_catches_a_counter_out_of_step(users, engine):
    book_id = add_book(quantity=2)
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET copies_on_hold_shelf = 1 WHERE id = :b"), {"b": book_id})
    assert copy_accounting_problems(engine) == [f"book {book_id}: copies_on_hold_shelf 1 != ready holds 0"]

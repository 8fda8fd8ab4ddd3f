"""The shared circulation rules: when a member is blocked, and what a late return costs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from library_common.domain.standing import block_reason
from tests.test_circulation_support import add_book, charge_fine, make_overdue, set_policy


@pytest.mark.parametrize(
    ("is_active", "has_overdue", "unpaid", "threshold", "blocked_because"),
    [
        (True, False, "0.00", "5.00", None),
        (True, False, "4.99", "5.00", None),
        (True, False, "5.00", "5.00", "unpaid fines of USD 5.00 reach the limit of USD 5.00"),
        (True, False, "0.00", "0.00", None),
        (True, False, "0.25", "0.00", "unpaid fines of USD 0.25 reach the limit of USD 0.00"),
        (True, True, "0.00", "5.00", "an overdue loan must be returned first"),
        (False, False, "0.00", "5.00", "the account is not active"),
    ],
)
def test_block_reason(is_active, has_overdue, unpaid, threshold, blocked_because):
    reason = block_reason(
        is_active=is_active, has_overdue=has_overdue, unpaid=Decimal(unpaid), threshold=Decimal(threshold)
    )
    assert reason == blocked_because


@pytest.mark.parametrize(
    ("currency", "unpaid", "threshold", "blocked_because"),
    [
        ("EUR", "5.00", "5.00", "unpaid fines of EUR 5.00 reach the limit of EUR 5.00"),
        ("JPY", "500", "300", "unpaid fines of JPY 500 reach the limit of JPY 300"),
        ("KWD", "1.5", "1.25", "unpaid fines of KWD 1.500 reach the limit of KWD 1.250"),
    ],
)
def test_a_fines_block_names_the_amounts_in_the_librarys_currency(
    library_setting, currency, unpaid, threshold, blocked_because
):
    library_setting("LIBRARY_CURRENCY", currency)
    reason = block_reason(is_active=True, has_overdue=False, unpaid=Decimal(unpaid), threshold=Decimal(threshold))
    assert reason == blocked_because


@pytest.fixture
def loan(users, engine):
    """An open loan of a new title (returned by the test when it needs to be)."""
    member = users.create("member")
    book_id = add_book()
    with engine.begin() as connection:
        loan_id = connection.execute(
            text("INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, current_date + 14) RETURNING id"),
            {"u": member["id"], "b": book_id},
        ).scalar()
        connection.execute(text("UPDATE books SET copies_on_loan = 1 WHERE id = :b"), {"b": book_id})
    return loan_id


@pytest.mark.parametrize(
    ("days_late", "rate", "cap", "expected"),
    [
        (0, "0.25", "10.00", None),
        (1, "0.25", "10.00", "0.25"),
        (39, "0.25", "10.00", "9.75"),
        (41, "0.25", "10.00", "10.00"),
        (5, "0.00", "10.00", None),
        (5, "1.10", "3.00", "3.00"),
    ],
)
def test_the_fine_is_the_rate_times_the_days_late_capped(engine, loan, days_late, rate, cap, expected):
    set_policy(engine, fine_per_day=rate, fine_cap=cap)
    make_overdue(engine, loan, days_late)
    assert charge_fine(loan) == expected


def test_a_fine_grows_while_unpaid_and_a_settled_fine_is_final(engine, loan):
    make_overdue(engine, loan, 2)
    assert charge_fine(loan) == "0.50"
    assert charge_fine(loan) is None  # already at that figure
    make_overdue(engine, loan, 3)
    assert charge_fine(loan) == "0.75"
    with engine.begin() as connection:
        connection.execute(text("UPDATE fines SET status = 'waived' WHERE loan_id = :l"), {"l": loan})
    make_overdue(engine, loan, 9)
    assert charge_fine(loan) is None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT amount FROM fines")).scalar() == Decimal("0.75")


def test_a_returned_loan_is_fined_for_the_days_until_its_return(engine, loan):
    make_overdue(engine, loan, 10)
    with engine.begin() as connection:
        # Returned four days after it was due, six days ago.
        connection.execute(text("UPDATE loans SET returned_on = now() - interval '6 days' WHERE id = :l"), {"l": loan})
        connection.execute(text("UPDATE books SET copies_on_loan = 0"))
    assert charge_fine(loan) == "1.00"

"""Reviews: only members who have borrowed the book, one per member per book, and the book's rating totals.

`books.review_count` and `books.rating_total` change in the same transaction as the review, by relative
updates, so concurrent reviews of one book cannot lose a count.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert

from library_books.logic.books import require_live_book
from library_common import models
from library_common.caller import Caller
from library_common.domain import catalogue
from library_common.domain.catalogue import book_not_found
from library_common.domain.permissions import BOOKS_UPDATE, USERS_VIEW
from library_common.envelope import page_of
from library_common.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@cache  # built by the first request that reads reviews (it loads the ORM), then the same objects a process
def _shown() -> tuple[ColumnElement[Any], ...]:
    return (
        models.Review.id,
        models.Review.book_id,
        models.Review.user_id,
        models.User.name.label("user_name"),
        models.Review.rating,
        models.Review.comment,
        models.Review.created_on,
    )


def list_reviews(session: Session, book_id: int, page: int, page_size: int) -> dict[str, Any]:
    """Newest first."""
    require_live_book(session, book_id)
    total = session.scalar(select(func.count()).where(models.Review.book_id == book_id)) or 0
    rows = session.execute(
        select(*_shown())
        .join(models.User, models.User.id == models.Review.user_id)
        .where(models.Review.book_id == book_id)
        .order_by(models.Review.created_on.desc(), models.Review.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total)


def list_member_reviews(
    session: Session, who: Caller, requested_user_id: int | None, page: int, page_size: int
) -> dict[str, Any]:
    """One member's reviews of live books, newest first, each with the book's title: the caller's own by default,
    another member's only with users.view."""
    user_id = who.listing_scope(requested_user_id or who.require_login(), USERS_VIEW, "reviews")
    mine = (models.Review.user_id == user_id, catalogue.is_live(models.Book))
    total = session.scalar(
        select(func.count())
        .select_from(models.Review)
        .join(models.Book, models.Book.id == models.Review.book_id)
        .where(*mine)
    )
    rows = session.execute(
        select(*_shown(), models.Book.title.label("book_title"))
        .join(models.User, models.User.id == models.Review.user_id)
        .join(models.Book, models.Book.id == models.Review.book_id)
        .where(*mine)
        .order_by(models.Review.created_on.desc(), models.Review.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total or 0)


def add_review(session: Session, book_id: int, user_id: int, rating: int, comment: str | None) -> dict[str, Any]:
    # Counting first also locks the book row, so the review and the totals move together.
    counted = session.execute(
        update(models.Book)
        .where(models.Book.id == book_id, catalogue.is_live(models.Book))
        .values(review_count=models.Book.review_count + 1, rating_total=models.Book.rating_total + rating)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:
        raise book_not_found()
    if not session.scalar(select(exists().where(models.Loan.user_id == user_id, models.Loan.book_id == book_id))):
        raise Forbidden("Only members who have borrowed this book can review it", code="NOT_A_BORROWER")
    review_id = session.scalar(
        insert(models.Review)
        .values(
            book_id=book_id, user_id=user_id, rating=rating, comment=comment, created_by=user_id, updated_by=user_id
        )
        .on_conflict_do_nothing(index_elements=["book_id", "user_id"])
        .returning(models.Review.id)
    )
    if review_id is None:
        raise Conflict("You have already reviewed this book", code="ALREADY_REVIEWED")
    return _review(session, review_id)


def _review(session: Session, review_id: int) -> dict[str, Any]:
    row = session.execute(
        select(*_shown())
        .join(models.User, models.User.id == models.Review.user_id)
        .where(models.Review.id == review_id)
    ).one()
    return dict(row._mapping)


def remove_review(session: Session, caller: Caller, review_id: int) -> dict[str, Any]:
    """The reviewer, or staff holding books.update, may remove a review."""
    review = session.scalars(select(models.Review).where(models.Review.id == review_id).with_for_update()).one_or_none()
    if review is None:
        raise NotFound("Review not found", code="REVIEW_NOT_FOUND")
    caller.require_self_or(review.user_id, BOOKS_UPDATE)
    session.execute(
        update(models.Book)
        .where(models.Book.id == review.book_id)
        .values(review_count=models.Book.review_count - 1, rating_total=models.Book.rating_total - review.rating)
        .execution_options(synchronize_session=False)
    )
    session.delete(review)
    session.flush()
    return {"id": review_id, "book_id": review.book_id}

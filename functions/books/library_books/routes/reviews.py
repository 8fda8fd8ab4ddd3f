"""/books/{id}/reviews, /reviews (a member's own) and /reviews/{id}."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_books.logic import reviews
from library_books.routes.params import BookId
from library_books.schemas import MemberReview, Review, ReviewIn, ReviewRemoved
from library_common import db
from library_common.api import SECURED, caller
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, created, ok

router = APIGatewayRouter()
TAGS = ["Reviews"]


@router.get("/books/<book_id>/reviews", summary="A book's reviews, newest first", tags=TAGS)
def list_reviews(book_id: BookId, page: PageNumber = 1, page_size: PageSize = 20) -> Response[Envelope[Page[Review]]]:
    with db.transaction() as session:
        return ok(reviews.list_reviews(session, book_id, page, page_size))


@router.get(
    "/reviews",
    summary="A member's reviews, newest first",
    description=(
        "The caller's own reviews by default; another member's (`user_id`) with `users.view` (403 otherwise). "
        "Reviews of archived books are left out. Each carries the book's `book_title`."
    ),
    tags=TAGS,
    security=SECURED,
)
def list_member_reviews(
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Needs users.view unless it is yourself")] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[MemberReview]]]:
    with db.transaction() as session:
        return ok(reviews.list_member_reviews(session, caller(), user_id, page, page_size))


@router.post(
    "/books/<book_id>/reviews",
    summary="Review a book you have borrowed",
    status_code=201,
    description=(
        "Rating 1 to 5, comment optional (at most 2,000 characters). Only members who have borrowed the book "
        "(403 `NOT_A_BORROWER`); one review per member per book (409 `ALREADY_REVIEWED`). The book's "
        "`average_rating` and `review_count` change with it."
    ),
    tags=TAGS,
    security=SECURED,
)
def add_review(book_id: BookId, review: ReviewIn) -> Response[Envelope[Review]]:
    user_id = caller().require_login()
    with db.transaction() as session:
        return created(reviews.add_review(session, book_id, user_id, review.rating, review.comment), "Review added")


@router.delete(
    "/reviews/<review_id>",
    summary="Remove a review",
    description="By its author, or by staff with `books.update`.",
    tags=TAGS,
    security=SECURED,
)
def remove_review(review_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response[Envelope[ReviewRemoved]]:
    who = caller()
    who.require_login()
    with db.transaction() as session:
        return ok(reviews.remove_review(session, who, review_id), "Review removed")

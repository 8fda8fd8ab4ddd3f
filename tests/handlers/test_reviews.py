"""Reviews: borrowers only, one per member per book, the book's rating kept with them."""

from __future__ import annotations

from sqlalchemy import text

from tests.test_books_support import add_book, anonymous, invoke, lend


def review(users, user, book_id: int, rating: int, comment: str | None = "Loved it"):
    return invoke(
        "add_review",
        users=users,
        user=user,
        path_parameters={"book_id": str(book_id)},
        body={"rating": rating, "comment": comment},
    )


def shown(book_id: int) -> tuple:
    book = anonymous("get_book", path_parameters={"book_id": str(book_id)})[1]["data"]
    return book["average_rating"], book["review_count"]


def test_borrowers_review_once_and_the_book_shows_the_average(users, engine):
    ada, bea = users.create("member", name="Ada"), users.create("member", name="Bea")
    book_id = add_book()
    lend(engine, book_id, ada["id"], returned=True)
    lend(engine, book_id, bea["id"])

    status, body = review(users, ada, book_id, 5)
    assert status == 201
    assert {key: body["data"][key] for key in ("book_id", "user_id", "user_name", "rating", "comment")} == {
        "book_id": book_id,
        "user_id": ada["id"],
        "user_name": "Ada",
        "rating": 5,
        "comment": "Loved it",
    }
    assert review(users, bea, book_id, 4, None)[0] == 201
    status, body = review(users, ada, book_id, 1)
    assert status == 409 and body["code"] == "ALREADY_REVIEWED"
    assert shown(book_id) == (4.5, 2)

    status, body = anonymous("list_reviews", path_parameters={"book_id": str(book_id)})
    assert status == 200 and body["data"]["total"] == 2
    assert [item["user_name"] for item in body["data"]["items"]] == ["Bea", "Ada"]


def test_only_members_who_borrowed_the_book_may_review_it(users, engine):
    reader, stranger = users.create("member"), users.create("librarian")
    book_id, other_book = add_book(), add_book(title="Emma", author="Jane Austen")
    lend(engine, other_book, stranger["id"])
    status, body = review(users, stranger, book_id, 5)
    assert status == 403 and body["code"] == "NOT_A_BORROWER"
    assert shown(book_id) == (None, 0)
    lend(engine, book_id, reader["id"])
    assert review(users, reader, book_id, 3)[0] == 201


def test_review_input_and_unknown_books(users, engine):
    reader = users.create("member")
    book_id = add_book()
    lend(engine, book_id, reader["id"])
    for rating in (0, 6):
        assert review(users, reader, book_id, rating)[0] == 422
    assert review(users, reader, book_id, 4, "x" * 2001)[0] == 422
    assert review(users, reader, 999_999, 4)[1]["code"] == "BOOK_NOT_FOUND"
    assert anonymous("list_reviews", path_parameters={"book_id": "999999"})[0] == 404


def test_the_author_or_staff_remove_a_review_and_the_totals_follow(users, engine):
    ada, bea, other = users.create("member"), users.create("member"), users.create("member")
    librarian = users.create("librarian")
    book_id = add_book()
    for member in (ada, bea):
        lend(engine, book_id, member["id"], returned=True)
    ada_review = review(users, ada, book_id, 5)[1]["data"]["id"]
    bea_review = review(users, bea, book_id, 2)[1]["data"]["id"]

    status, body = invoke("delete_review", users=users, user=other, path_parameters={"review_id": str(ada_review)})
    assert status == 403
    status, body = invoke("delete_review", users=users, user=ada, path_parameters={"review_id": str(ada_review)})
    assert status == 200 and body["data"] == {"id": ada_review, "book_id": book_id}
    assert shown(book_id) == (2.0, 1)
    assert (
        invoke("delete_review", users=users, user=librarian, path_parameters={"review_id": str(bea_review)})[0] == 200
    )
    assert shown(book_id) == (None, 0)
    status, body = invoke("delete_review", users=users, user=ada, path_parameters={"review_id": str(ada_review)})
    assert status == 404 and body["code"] == "REVIEW_NOT_FOUND"


def my_reviews(users, user, **query) -> tuple[int, dict]:
    return invoke("list_member_reviews", users=users, user=user, query={k: str(v) for k, v in query.items()})


def test_a_member_lists_their_own_reviews_newest_first_with_each_books_title(users, engine):
    ada, bea = users.create("member", name="Ada"), users.create("member", name="Bea")
    dune, emma, archived = add_book(), add_book(title="Emma", author="Jane Austen"), add_book(title="Gone")
    for book_id in (dune, emma, archived):
        lend(engine, book_id, ada["id"], returned=True)
    lend(engine, dune, bea["id"])
    for book_id, rating in ((dune, 5), (emma, 3), (archived, 4)):
        review(users, ada, book_id, rating)
    review(users, bea, dune, 1)
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET archived_on = now() WHERE id = :id"), {"id": archived})

    status, body = my_reviews(users, ada)
    assert status == 200
    assert (body["data"]["total"], body["data"]["page"], body["data"]["page_size"]) == (2, 1, 20)
    assert [(item["book_title"], item["rating"], item["user_id"]) for item in body["data"]["items"]] == [
        ("Emma", 3, ada["id"]),
        ("Dune", 5, ada["id"]),
    ]
    status, body = my_reviews(users, ada, page=2, page_size=1)
    assert [item["book_title"] for item in body["data"]["items"]] == ["Dune"] and body["data"]["total"] == 2
    assert [item["rating"] for item in my_reviews(users, bea)[1]["data"]["items"]] == [1]
    assert my_reviews(users, ada, user_id=ada["id"])[1]["data"]["total"] == 2


def test_another_members_reviews_need_users_view(users, engine):
    ada, bea, librarian = users.create("member"), users.create("member"), users.create("librarian")
    book_id = add_book()
    lend(engine, book_id, ada["id"], returned=True)
    review(users, ada, book_id, 4)

    status, body = my_reviews(users, bea, user_id=ada["id"])
    assert status == 403 and body["code"] == "FORBIDDEN" and "users.view" in body["message"]
    status, body = my_reviews(users, librarian, user_id=ada["id"])
    assert status == 200 and [item["user_id"] for item in body["data"]["items"]] == [ada["id"]]
    assert my_reviews(users, librarian)[1]["data"]["total"] == 0  # without user_id: the librarian's own
    assert anonymous("list_member_reviews")[0] == 401
    for bad in ({"user_id": 0}, {"page_size": 101}, {"page": 0}):
        assert my_reviews(users, ada, **bad)[0] == 422


def test_the_list_member_reviews_event_lists_user_1s_reviews(users, engine):
    admin = users.create("admin")
    assert admin["id"] == 1
    book_id = add_book()
    lend(engine, book_id, admin["id"], returned=True)
    review(users, admin, book_id, 5)
    status, body = invoke("list_member_reviews")
    assert status == 200 and [item["book_title"] for item in body["data"]["items"]] == ["Dune"]

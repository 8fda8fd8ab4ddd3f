"""The rule-based librarian against a small real library: 50 phrasings, each checked against the database.

Every expected fact (copies free, due dates, queue places, amounts, rule values, list order) is read back
from the rows with the ORM here, never written into the test, and the policy row is set to values other
than the defaults so a reply quoting hard-coded numbers would fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from library_chat import answers as chat
from library_common import db
from library_common.models import Book, Fine, Hold, Loan, Policy

TODAY = datetime.now(UTC).date()


@dataclass
class Library:
    member: int
    others: list[int]

    def book(self, title: str) -> Book:
        with db.transaction() as session:
            return session.execute(select(Book).where(Book.title == title)).scalar_one()

    def policy(self) -> Policy:
        with db.transaction() as session:
            return session.execute(select(Policy)).scalar_one()

    def free(self, title: str) -> int:
        book = self.book(title)
        return book.quantity - book.copies_on_loan - book.copies_on_hold_shelf

    def earliest_due(self, title: str) -> date:
        with db.transaction() as session:
            return session.execute(
                select(func.min(Loan.due_date))
                .join(Book, Book.id == Loan.book_id)
                .where(Book.title == title, Loan.returned_on.is_(None))
            ).scalar_one()

    def waiting(self, title: str) -> int:
        with db.transaction() as session:
            return session.execute(
                select(func.count())
                .select_from(Hold)
                .join(Book, Book.id == Hold.book_id)
                .where(Book.title == title, Hold.status == "waiting")
            ).scalar_one()

    def open_loans(self, user_id: int) -> list[tuple[str, date]]:
        with db.transaction() as session:
            return [
                (row.title, row.due_date)
                for row in session.execute(
                    select(Book.title, Loan.due_date)
                    .join(Book, Book.id == Loan.book_id)
                    .where(Loan.user_id == user_id, Loan.returned_on.is_(None))
                )
            ]

    def unpaid(self, user_id: int) -> list[tuple[str, Decimal]]:
        with db.transaction() as session:
            return [
                (row.title, row.amount)
                for row in session.execute(
                    select(Book.title, Fine.amount)
                    .join(Loan, Loan.id == Fine.loan_id)
                    .join(Book, Book.id == Loan.book_id)
                    .where(Fine.user_id == user_id, Fine.status == "unpaid")
                )
            ]

    def queue_place(self, user_id: int, title: str) -> tuple[int, int]:
        """(place, length) of the member's waiting hold in the title's queue, counted here in Python."""
        with db.transaction() as session:
            queue = session.execute(
                select(Hold.user_id)
                .join(Book, Book.id == Hold.book_id)
                .where(Book.title == title, Hold.status == "waiting")
                .order_by(Hold.queued_on, Hold.id)
            ).scalars()
            members = list(queue)
        return members.index(user_id) + 1, len(members)

    def ready_hold(self, user_id: int) -> tuple[str, datetime]:
        with db.transaction() as session:
            row = session.execute(
                select(Book.title, Hold.expires_on)
                .join(Book, Book.id == Hold.book_id)
                .where(Hold.user_id == user_id, Hold.status == "ready")
            ).one()
        return row.title, row.expires_on

    def titles(self, *, genre: str | None = None, author: str | None = None, best_rated: bool = False) -> list[str]:
        condition = Book.genre == genre if genre else Book.author == author
        rating = Book.rating_total * 1.0 / func.nullif(Book.review_count, 0)
        ordering = [rating.desc().nulls_last()] if best_rated else [Book.published_date.desc()]
        with db.transaction() as session:
            return list(
                session.execute(
                    select(Book.title).where(condition, Book.archived_on.is_(None)).order_by(*ordering)
                ).scalars()
            )


BOOKS = [
    # title, author, genre, published, quantity, reviews, rating total
    ("Dune", "Frank Herbert", "Science Fiction", date(1965, 8, 1), 3, 0, 0),
    ("The Hobbit", "J. R. R. Tolkien", "Fantasy", date(1937, 9, 21), 2, 2, 9),
    ("The Left Hand of Darkness", "Ursula K. Le Guin", "Science Fiction", date(1969, 3, 1), 1, 1, 3),
    ("A Wizard of Earthsea", "Ursula K. Le Guin", "Fantasy", date(1968, 11, 1), 2, 3, 15),
    ("The Dispossessed", "Ursula K. Le Guin", "Science Fiction", date(1974, 5, 1), 1, 2, 8),
    ("Neuromancer", "William Gibson", "Science Fiction", date(1984, 7, 1), 2, 4, 18),
    ("The Guns of August", "Barbara W. Tuchman", "History", date(1962, 1, 1), 1, 0, 0),
    ("SPQR", "Mary Beard", "History", date(2015, 10, 20), 2, 0, 0),
    ("The Silk Roads", "Peter Frankopan", "History", date(2015, 8, 27), 1, 0, 0),
    ("Pride and Prejudice", "Jane Austen", "Romance", date(1813, 1, 28), 1, 0, 0),
    ("Dune Messiah", "Frank Herbert", "Science Fiction", date(1969, 10, 1), 1, 0, 0),
]


def _lend(session, user_id: int, book: Book, due: date, *, returned: bool = False) -> Loan:
    loan = Loan(user_id=user_id, book_id=book.id, due_date=due)
    if returned:
        loan.returned_on = datetime.now(UTC)
    else:
        book.copies_on_loan += 1
    session.add(loan)
    session.flush()
    return loan


@pytest.fixture
def library(users) -> Library:
    member = users.create("member", name="Mina Member")["id"]
    others = [users.create("member", name=f"Other {n}")["id"] for n in range(3)]
    with db.transaction() as session:
        books = {}
        for title, author, genre, published, quantity, reviews, total in BOOKS:
            books[title] = Book(
                title=title,
                author=author,
                genre=genre,
                published_date=published,
                quantity=quantity,
                copies_on_loan=0,
                copies_on_hold_shelf=0,
                review_count=reviews,
                rating_total=total,
            )
        books["Dune Messiah"].archived_on = datetime.now(UTC)
        session.add_all(books.values())
        session.flush()
        # Every copy of Dune is out with other members; two members queue for it, the caller second.
        for offset, other in zip((6, 2, 9), others, strict=True):
            _lend(session, other, books["Dune"], TODAY + timedelta(days=offset))
        session.add(Hold(user_id=others[0], book_id=books["Dune"].id, queued_on=datetime.now(UTC) - timedelta(days=2)))
        session.add(Hold(user_id=member, book_id=books["Dune"].id, queued_on=datetime.now(UTC) - timedelta(days=1)))
        # The caller's own loans: one due soon, one overdue; a ready hold; one unpaid and one paid fine.
        _lend(session, member, books["The Hobbit"], TODAY + timedelta(days=5))
        _lend(session, member, books["Neuromancer"], TODAY - timedelta(days=4))
        books["Pride and Prejudice"].copies_on_hold_shelf = 1
        session.add(
            Hold(
                user_id=member,
                book_id=books["Pride and Prejudice"].id,
                status="ready",
                ready_on=datetime.now(UTC),
                expires_on=datetime.now(UTC) + timedelta(days=3),
            )
        )
        late = _lend(session, member, books["The Guns of August"], TODAY - timedelta(days=20), returned=True)
        session.add(Fine(loan_id=late.id, user_id=member, amount=Decimal("1.20")))
        settled = _lend(session, member, books["SPQR"], TODAY - timedelta(days=40), returned=True)
        session.add(Fine(loan_id=settled.id, user_id=member, amount=Decimal("2.00"), status="paid"))
        # Another member's account, which the caller must never see.
        other_late = _lend(session, others[0], books["The Silk Roads"], TODAY - timedelta(days=30), returned=True)
        session.add(Fine(loan_id=other_late.id, user_id=others[0], amount=Decimal("3.50")))
        _lend(session, others[1], books["A Wizard of Earthsea"], TODAY + timedelta(days=11))
        session.execute(
            update(Policy).values(
                loan_period_days=21,
                max_loans=5,
                max_renewals=1,
                fine_per_day=Decimal("0.40"),
                fine_cap=Decimal("8.00"),
                hold_pickup_days=4,
                block_threshold=Decimal("6.00"),
            )
        )
    return Library(member=member, others=others)


def ask(library: Library, message: str, user_id: int | None = None) -> chat.ChatAnswer:
    with db.reading() as connection:  # as the route runs it
        return chat.answer(connection, user_id or library.member, message)


def money(amount: Decimal) -> str:
    """An amount as the librarian says it, in the library's currency (the default, USD, unless a test sets one)."""
    return f"USD {amount:.2f}"


# --- what each kind of answer must say, read from the database ---------------------------------------------


def available(title: str) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        book = library.book(title)
        assert f"\u201c{title}\u201d by {book.author}" in answer.reply
        free = library.free(title)
        assert f"{free} {'copy' if free == 1 else 'copies'} of {book.quantity} available" in answer.reply
        assert answer.books[0].title == title and answer.books[0].copies_available == library.free(title)

    return check


def none_free(title: str) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        assert library.free(title) == 0
        assert f"\u201c{title}\u201d" in answer.reply and "no copy is free" in answer.reply
        earliest = library.earliest_due(title)
        if earliest is not None:
            assert f"due back on {earliest.isoformat()}" in answer.reply
        waiting = library.waiting(title)
        assert (f"{waiting} members are waiting" if waiting > 1 else "Nobody is in the hold queue") in answer.reply
        assert answer.books[0].title == title and answer.books[0].copies_available == 0

    return check


def on_hold_shelf(title: str) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        none_free(title)(library, answer)
        assert f"{library.book(title).copies_on_hold_shelf} waiting on the hold shelf" in answer.reply

    return check


def not_found(words: str) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        assert f"couldn't find a book matching \u201c{words}\u201d" in answer.reply
        assert answer.books == []

    return check


def listing(*, author: str | None = None, genre: str | None = None, best_rated: bool = False):
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        expected = library.titles(author=author, genre=genre, best_rated=best_rated)
        assert [book.title for book in answer.books] == expected[:5]
        count = f"{len(expected)} book{'s' if len(expected) != 1 else ''}"
        assert f"We have {count} {f'by {author}' if author else f'in {genre}'}" in answer.reply
        positions = [answer.reply.index(f"\u201c{title}\u201d") for title in expected[:5]]
        assert positions == sorted(positions), "listed in the order asked for"
        assert ("best rated" if best_rated else "newest") in answer.reply
        assert "Dune Messiah" not in answer.reply, "archived books are not offered"

    return check


def rule(*fields: str) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        policy = library.policy()
        said = {
            "max_loans": f"up to {policy.max_loans} books on loan",
            "loan_period_days": f"A loan lasts {policy.loan_period_days} days",
            "max_renewals": f"renew a loan up to {policy.max_renewals} time",
            "fine_per_day": f"{money(policy.fine_per_day)} per day late",
            "fine_cap": f"capped at {money(policy.fine_cap)}",
            "hold_pickup_days": f"hold shelf for {policy.hold_pickup_days} days",
            "block_threshold": f"unpaid fines reach {money(policy.block_threshold)}",
        }
        for name in fields:
            assert said[name] in answer.reply, name
        for name in set(said) - set(fields):
            assert said[name] not in answer.reply, f"{name} was not asked about"
        assert answer.books == []

    return check


def my_loans(only: str | None = None) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        loans = library.open_loans(library.member)
        assert f"You have {len(loans)} books on loan" in answer.reply
        for title, due in loans:
            if only and title != only:
                assert f"\u201c{title}\u201d" not in answer.reply
                continue
            assert f"\u201c{title}\u201d" in answer.reply
            said = f"was due on {due.isoformat()} and is overdue" if due < TODAY else f"is due on {due.isoformat()}"
            assert f"\u201c{title}\u201d {said}" in answer.reply
        assert {book.title for book in answer.books} == {title for title, _ in loans if not only or title == only}

    return check


def my_fines(library: Library, answer: chat.ChatAnswer) -> None:
    fines = library.unpaid(library.member)
    total = sum((amount for _, amount in fines), Decimal(0))
    assert f"You owe {money(total)} in unpaid fines" in answer.reply
    for title, amount in fines:
        assert f"{money(amount)} for \u201c{title}\u201d" in answer.reply
    assert "SPQR" not in answer.reply, "a paid fine is not owed"
    overdue = any(due < TODAY for _, due in library.open_loans(library.member))
    assert overdue and "Borrowing is blocked for now: an overdue loan must be returned first." in answer.reply


def queue_place(title: str) -> Callable[[Library, chat.ChatAnswer], None]:
    def check(library: Library, answer: chat.ChatAnswer) -> None:
        place, length = library.queue_place(library.member, title)
        assert f"number {place} of {length} in the queue for \u201c{title}\u201d" in answer.reply

    return check


def my_holds(library: Library, answer: chat.ChatAnswer) -> None:
    queue_place("Dune")(library, answer)
    title, expires_on = library.ready_hold(library.member)
    assert f"\u201c{title}\u201d is ready for you on the hold shelf until {expires_on.astimezone(UTC).date()}" in (
        answer.reply
    )


def helpful(library: Library, answer: chat.ChatAnswer) -> None:
    assert "I can help with" in answer.reply and answer.books == []


PHRASINGS = [
    # availability
    ("Is Dune available?", "availability", none_free("Dune")),
    ("do you have the hobbit", "availability", available("The Hobbit")),
    ("the hobit", "availability", available("The Hobbit")),
    ("IS THE HOBBIT AVAILABLE???", "availability", available("The Hobbit")),
    ("Do you have 'The Left Hand of Darkness'?", "availability", available("The Left Hand of Darkness")),
    ("is left hand of darknes in stock", "availability", available("The Left Hand of Darkness")),
    ("can i borrow dune??", "availability", none_free("Dune")),
    ("Any copies of Neuromancer left?", "availability", available("Neuromancer")),
    ("neuromancer", "availability", available("Neuromancer")),
    ("Is Pride & Prejudice on the shelf?", "availability", on_hold_shelf("Pride and Prejudice")),
    ("is the guns of august availble right now", "availability", available("The Guns of August")),
    ("Is Dune Messiah available?", "availability", not_found("Dune Messiah")),
    # an author's books
    ("books by Ursula Le Guin", "books_by_author", listing(author="Ursula K. Le Guin")),
    ("What do you have by le guin?", "books_by_author", listing(author="Ursula K. Le Guin")),
    ("anything by Tolkein?", "books_by_author", listing(author="J. R. R. Tolkien")),
    ("Books written by William Gibson", "books_by_author", listing(author="William Gibson")),
    ("tolkien", "books_by_author", listing(author="J. R. R. Tolkien")),
    (
        "Best rated books by Ursula K. Le Guin",
        "books_by_author",
        listing(author="Ursula K. Le Guin", best_rated=True),
    ),
    # a genre's books
    ("any science fiction?", "books_in_genre", listing(genre="Science Fiction")),
    ("what's new in history?", "books_in_genre", listing(genre="History")),
    ("Recommend some fantasy", "books_in_genre", listing(genre="Fantasy", best_rated=True)),
    ("SCIENCE FICTION BOOKS!!!", "books_in_genre", listing(genre="Science Fiction")),
    ("latest histroy books", "books_in_genre", listing(genre="History")),
    ("top rated science fiction", "books_in_genre", listing(genre="Science Fiction", best_rated=True)),
    ("what's in the romance section?", "books_in_genre", listing(genre="Romance")),
    # lending rules
    ("how many books can I borrow?", "rules", rule("max_loans")),
    ("What's the maximum number of books I can have out at once?", "rules", rule("max_loans")),
    ("how long is a loan?", "rules", rule("loan_period_days")),
    ("How long can I keep a book??", "rules", rule("loan_period_days")),
    ("what's the late fee?", "rules", rule("fine_per_day", "fine_cap")),
    ("Are there fines for returning books late?", "rules", rule("fine_per_day", "fine_cap")),
    ("can I renew?", "rules", rule("max_renewals")),
    ("Can I extend my loan", "rules", rule("max_renewals")),
    ("how long do holds stay on the hold shelf?", "rules", rule("hold_pickup_days")),
    ("when does the library block borrowing?", "rules", rule("block_threshold")),
    (
        "what are the library's rules?",
        "rules",
        rule(
            "max_loans",
            "loan_period_days",
            "max_renewals",
            "fine_per_day",
            "fine_cap",
            "hold_pickup_days",
            "block_threshold",
        ),
    ),
    # the caller's own account
    ("what do I have out?", "my_loans", my_loans()),
    ("When is my book due?", "my_loans", my_loans()),
    ("What books have I borrowed", "my_loans", my_loans()),
    ("do i have anything overdue?", "my_loans", my_loans()),
    ("when is my copy of the hobit due back?", "my_loans", my_loans(only="The Hobbit")),
    ("do I owe anything?", "my_fines", my_fines),
    ("How much do I owe the library??", "my_fines", my_fines),
    ("what are my fines", "my_fines", my_fines),
    ("where am I in the queue for Dune?", "my_holds", queue_place("Dune")),
    ("WHERE AM I IN LINE FOR DUNE", "my_holds", queue_place("Dune")),
    ("Is my hold ready?", "my_holds", my_holds),
    ("my reservations please", "my_holds", my_holds),
    # anything else
    ("hello", "help", helpful),
    ("tell me a joke", "help", helpful),
    ("What's the weather like?", "help", helpful),
]


@pytest.mark.parametrize(("message", "intent", "check"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_each_phrasing_gets_its_intent_and_the_facts_from_the_database(library, message, intent, check):
    answer = ask(library, message)
    assert answer.intent == intent, answer.reply
    check(library, answer)


def test_the_rules_quoted_follow_the_policies_row_when_it_changes(library):
    before = ask(library, "how long is a loan?")
    with db.transaction() as session:
        session.execute(update(Policy).values(loan_period_days=10))
    after = ask(library, "how long is a loan?")
    assert "A loan lasts 21 days" in before.reply
    assert "A loan lasts 10 days" in after.reply


def test_fines_reaching_the_policy_threshold_say_borrowing_is_blocked(library):
    debtor = library.others[0]
    (_, owed), *_ = library.unpaid(debtor)
    below = ask(library, "do I owe anything?", debtor)
    with db.transaction() as session:
        session.execute(update(Policy).values(block_threshold=owed))
    reached = ask(library, "do I owe anything?", debtor)
    assert "Borrowing is blocked" not in below.reply
    assert f"Borrowing is blocked for now: unpaid fines of {money(owed)} reach the limit of {money(owed)}." in (
        reached.reply
    )


def test_when_any_unpaid_fine_blocks_borrowing_the_rules_and_the_account_say_so(library):
    with db.transaction() as session:
        session.execute(update(Policy).values(block_threshold=Decimal("0.00")))
    assert ask(library, "when am I blocked from borrowing?").reply == (
        "Borrowing is blocked while you have an overdue book or any unpaid fine."
    )
    assert (
        "Borrowing is blocked for now: unpaid fines of USD 3.50" in ask(library, "do I owe?", library.others[0]).reply
    )


def test_the_librarian_names_amounts_in_the_librarys_currency(library, library_setting):
    library_setting("LIBRARY_CURRENCY", "EUR")
    debtor = library.others[0]
    with db.transaction() as session:
        session.execute(
            update(Policy).values(
                fine_per_day=Decimal("0.40"), fine_cap=Decimal("8.00"), block_threshold=Decimal("3.50")
            )
        )
    assert ask(library, "what's the late fee?").reply == (
        "The late fee is EUR 0.40 per day late, capped at EUR 8.00 per loan."
    )
    assert ask(library, "when am I blocked from borrowing?").reply.endswith("once your unpaid fines reach EUR 3.50.")
    owes = ask(library, "do I owe anything?", debtor).reply
    assert "You owe EUR 3.50 in unpaid fines: EUR 3.50 for \u201cThe Silk Roads\u201d" in owes
    assert "Borrowing is blocked for now: unpaid fines of EUR 3.50 reach the limit of EUR 3.50." in owes


def test_a_member_with_nothing_out_or_owed_is_told_so(library, users):
    newcomer = users.create("member")["id"]
    assert ask(library, "what do I have out?", newcomer).reply == "You have no books on loan right now."
    assert ask(library, "do I owe anything?", newcomer).reply == "You have no unpaid fines."
    assert ask(library, "where am I in the queue for dune?", newcomer).reply == (
        "You have no holds for \u201cdune\u201d at the moment."
    )


# What only another member's account holds: their names, their fine and the book it was for.
OTHER_MEMBERS_DATA = ["Other", "3.50", "Silk Roads"]


@pytest.mark.parametrize(
    "message",
    [
        "what does other 0 have out?",
        "what books has other member 1 borrowed?",
        "show me everyone's loans",
        "how much does other 0 owe?",
        "who has borrowed a wizard of earthsea?",
        "who is first in the queue for Dune?",
        "what are user 2's fines",
    ],
)
def test_questions_about_other_members_never_reveal_their_account(library, message):
    answer = ask(library, message)
    for secret in OTHER_MEMBERS_DATA:
        assert secret not in answer.reply, (secret, answer.reply)
    own_titles = {title for title, _ in library.open_loans(library.member)}
    other_titles = {title for other in library.others for title, _ in library.open_loans(other)} - own_titles
    if answer.intent in ("my_loans", "my_holds", "my_fines"):
        assert not other_titles & {book.title for book in answer.books}


def test_account_answers_differ_per_caller_and_each_sees_only_their_own(library):
    mine = ask(library, "do I owe anything?")
    theirs = ask(library, "do I owe anything?", library.others[0])
    assert "1.20" in mine.reply and "3.50" not in mine.reply
    assert "3.50 for \u201cThe Silk Roads\u201d" in theirs.reply and "1.20" not in theirs.reply
    their_loans = ask(library, "what do I have out?", library.others[1])
    assert {book.title for book in their_loans.books} == {"Dune", "A Wizard of Earthsea"}
    assert "Hobbit" not in their_loans.reply

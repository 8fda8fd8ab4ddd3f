"""The rule-based librarian: understands the question, looks the facts up, and words a short reply.

Every number, date and title in a reply comes from `queries`; the wording around them is the only thing
written here. Account answers read only the caller's own rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from library_chat import queries
from library_chat.queries import BookStatus, Listing, Match, MyFine, MyHold, MyLoan, Rules
from library_chat.schemas import ChatAnswer, ChatBook, Intent
from library_chat.understanding import Question, RuleTopic, understand
from library_common.domain.statuses import HoldStatus
from library_common.money import money
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

# A personal question naming a title ("when is dune due?") keeps only the rows whose title fits this well.
OWN_TITLE_THRESHOLD = 0.6
# Other titles shown next to the best match when they fit the question at least this well.
ALSO_FOUND_THRESHOLD = 0.8
LIST_LENGTH = 5

OwnRow = MyLoan | MyHold | MyFine

HELP = (
    "I can help with: whether a book is available (\u201cIs Dune available?\u201d), books by an author or in a "
    "genre (\u201cbooks by Ursula Le Guin\u201d, \u201cwhat's new in history?\u201d), the lending rules (\u201chow "
    "many books can I borrow?\u201d, \u201cwhat's the late fee?\u201d), and your own loans, holds and fines "
    "(\u201cwhen is my book due?\u201d, \u201cwhere am I in the queue for Dune?\u201d, \u201cdo I owe anything?\u201d)."
)


def answer(connection: Connection, user_id: int, message: str) -> ChatAnswer:
    question = understand(message)
    if question.kind == "rules":
        return _reply("rules", _rules_text(queries.lending_rules(connection), question.topics))
    if question.kind == "my_loans":
        return _my_loans(queries.my_loans(connection, user_id, question.subject), question.subject)
    if question.kind == "my_holds":
        return _my_holds(queries.my_holds(connection, user_id, question.subject), question.subject)
    if question.kind == "my_fines":
        return _my_fines(queries.my_fines(connection, user_id), queries.borrowing_block(connection, user_id))
    if question.kind == "catalogue" and question.subject:
        return _catalogue(connection, question, question.subject)
    return _reply("help", f"Hello! {HELP}")


def _reply(intent: Intent, text: str, books: Iterable[BookStatus | OwnRow] = ()) -> ChatAnswer:
    """The answer, with each book it names once, in the order named."""
    listed: dict[int, ChatBook] = {}
    for book in books:
        book_id = book.id if isinstance(book, BookStatus) else book.book_id
        listed.setdefault(
            book_id,
            ChatBook(id=book_id, title=book.title, author=book.author, copies_available=book.copies_available),
        )
    return ChatAnswer(reply=text, intent=intent, books=list(listed.values()))


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def _money(amount: Decimal) -> str:
    return money(amount, get_settings().library_currency)


def _quoted(title: str) -> str:
    return f"\u201c{title}\u201d"


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# Catalogue: availability, an author's books, a genre's books.


def _catalogue(connection: Connection, question: Question, subject: str) -> ChatAnswer:
    if "author" in question.cues:
        author = queries.find_author(connection, subject)
        if author is None:
            return _reply("books_by_author", f"I couldn't find an author matching {_quoted(subject)} in the catalogue.")
        return _author_books(connection, author, question)

    genre = queries.find_genre(connection, subject)
    if genre is not None and "genre" in question.cues:
        return _genre_books(connection, genre, question)
    # A lookup tolerant of typos cannot beat a match of every word, so it only runs while none is known.
    exact = genre is not None and genre.word_similarity == 1
    titles = queries.find_titles(connection, subject, limit=LIST_LENGTH, fuzzy=not exact)
    exact = exact or bool(titles and titles[0][1].word_similarity == 1)
    author = queries.find_author(connection, subject, fuzzy=not exact)
    candidates: list[tuple[tuple[float, float], int, str]] = []
    if titles:
        candidates.append((titles[0][1].strength, 3, "title"))
    if author is not None:
        candidates.append((author.strength, 2, "author"))
    if genre is not None:
        candidates.append((genre.strength, 1, "genre"))
    if not candidates:
        if "title" in question.cues:
            return _reply(
                "availability",
                f"I couldn't find a book matching {_quoted(subject)} in the catalogue. "
                "Check the spelling, or ask me for an author's books or a genre.",
            )
        return _reply("help", f"I couldn't find {_quoted(subject)} in the catalogue. {HELP}")
    _, _, best = max(candidates)
    if best == "genre" and genre is not None:
        return _genre_books(connection, genre, question)
    if best == "author" and author is not None:
        return _author_books(connection, author, question)
    return _availability(titles)


def _availability(titles: list[tuple[BookStatus, Match]]) -> ChatAnswer:
    book, _ = titles[0]
    also = [other for other, match in titles[1:] if match.word_similarity >= ALSO_FOUND_THRESHOLD]
    text = f"{_quoted(book.title)} by {book.author}: {_availability_text(book)}"
    if also:
        others = [f"{_quoted(other.title)} by {other.author} ({other.copies_available} available)" for other in also]
        text += f" I also found {_joined(others)}."
    return _reply("availability", text, [book, *also])


def _availability_text(book: BookStatus) -> str:
    if book.quantity == 0:
        return "the library has no copies of it at the moment."
    if book.copies_available > 0:
        return f"yes, {_plural(book.copies_available, 'copy', 'copies')} of {book.quantity} available right now."
    parts = [f"no copy is free right now ({_plural(book.on_loan, 'copy', 'copies')} on loan"]
    if book.on_hold_shelf:
        parts[0] += f", {book.on_hold_shelf} waiting on the hold shelf for the member next in line"
    parts[0] += ")."
    if book.next_due_date is not None:
        parts.append(f"The earliest is due back on {book.next_due_date.isoformat()}.")
    if book.holds_waiting:
        waiting = _plural(book.holds_waiting, "member is", "members are")
        parts.append(f"{waiting} waiting in the hold queue.")
    else:
        parts.append("Nobody is in the hold queue yet.")
    return " ".join(parts)


def _book_line(book: BookStatus, order: str) -> str:
    details = [str(book.published_date.year)] if book.published_date else []
    if order == "best_rated" and book.average_rating is not None:
        details.append(f"rated {book.average_rating:.1f}/5 from {_plural(book.review_count, 'review')}")
    details.append(f"{book.copies_available} available" if book.copies_available else "none available")
    return f"{_quoted(book.title)} ({', '.join(details)})"


def _listing_text(listing: Listing, what: str, order: str) -> str:
    ranking = "best rated" if order == "best_rated" else "newest"
    lines = "; ".join(_book_line(book, order) for book in listing.books)
    if listing.total <= len(listing.books):
        return f"We have {_plural(listing.total, 'book')} {what}, {ranking} first: {lines}."
    return f"We have {_plural(listing.total, 'book')} {what}. The {len(listing.books)} {ranking}: {lines}."


def _author_books(connection: Connection, author: Match, question: Question) -> ChatAnswer:
    listing = queries.books_by_author(connection, author.name, question.order, LIST_LENGTH)
    return _reply("books_by_author", _listing_text(listing, f"by {listing.name}", question.order), listing.books)


def _genre_books(connection: Connection, genre: Match, question: Question) -> ChatAnswer:
    listing = queries.books_in_genre(connection, genre.name, question.order, LIST_LENGTH)
    return _reply("books_in_genre", _listing_text(listing, f"in {listing.name}", question.order), listing.books)


# Lending rules, always from the current policies row.


def _rule_sentence(rules: Rules, topic: RuleTopic) -> str:
    if topic == "max_loans":
        return f"You can have up to {_plural(rules.max_loans, 'book')} on loan at a time."
    if topic == "loan_period":
        return f"A loan lasts {_plural(rules.loan_period_days, 'day')}."
    if topic == "renewals":
        if rules.max_renewals == 0:
            return "Loans can't be renewed at the moment."
        times = _plural(rules.max_renewals, "time")
        period = _plural(rules.loan_period_days, "day")
        return f"Yes, you can renew a loan up to {times}, {period} each time, unless someone is waiting for the book."
    if topic == "fines":
        if rules.fine_per_day == 0:
            return "There are no late fees at the moment."
        return (
            f"The late fee is {_money(rules.fine_per_day)} per day late, capped at {_money(rules.fine_cap)} per loan."
        )
    if topic == "hold_pickup":
        return (
            "When a book you reserved comes in, it waits for you on the hold shelf for "
            f"{_plural(rules.hold_pickup_days, 'day')}."
        )
    if rules.block_threshold == 0:
        return "Borrowing is blocked while you have an overdue book or any unpaid fine."
    return (
        "Borrowing is blocked while you have an overdue book, or once your unpaid fines reach "
        f"{_money(rules.block_threshold)}."
    )


def _rules_text(rules: Rules, topics: tuple[RuleTopic, ...]) -> str:
    return " ".join(_rule_sentence(rules, topic) for topic in topics)


# The caller's own account.


def _own(rows: list, subject: str | None) -> tuple[list, str]:
    """The rows a personal question is about: those whose title fits the named subject, else all of them."""
    if not subject:
        return rows, ""
    named = [row for row in rows if row.title_match >= OWN_TITLE_THRESHOLD]
    return (named, "") if named else (rows, f"I don't see {_quoted(subject)} among them. ")


def _my_loans(loans: list[MyLoan], subject: str | None) -> ChatAnswer:
    if not loans:
        return _reply("my_loans", "You have no books on loan right now.")
    shown, note = _own(loans, subject)
    lines = [
        f"{_quoted(loan.title)} was due on {loan.due_date.isoformat()} and is overdue"
        if loan.overdue
        else f"{_quoted(loan.title)} is due on {loan.due_date.isoformat()}"
        for loan in shown
    ]
    text = f"You have {_plural(len(loans), 'book')} on loan. {note}{_joined(lines)}."
    return _reply("my_loans", text, shown)


def _my_holds(holds: list[MyHold], subject: str | None) -> ChatAnswer:
    if not holds:
        named = f" for {_quoted(subject)}" if subject else ""
        return _reply("my_holds", f"You have no holds{named} at the moment.")
    shown, note = _own(holds, subject)
    lines = []
    for hold in shown:
        if hold.status == HoldStatus.READY:
            until = f" until {hold.pickup_by}" if hold.pickup_by else ""
            lines.append(f"{_quoted(hold.title)} is ready for you on the hold shelf{until}")
        else:
            place = f"number {hold.position} of {hold.queue_length}"
            lines.append(f"you are {place} in the queue for {_quoted(hold.title)}")
    text = f"You have {_plural(len(holds), 'hold')}. {note}{_capitalised(_joined(lines))}."
    return _reply("my_holds", text, shown)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _my_fines(fines: list[MyFine], block: str | None) -> ChatAnswer:
    if fines:
        total = sum((fine.amount for fine in fines), Decimal(0))
        lines = [f"{_money(fine.amount)} for {_quoted(fine.title)} (due {fine.due_date.isoformat()})" for fine in fines]
        text = f"You owe {_money(total)} in unpaid fines: {_joined(lines)}."
    else:
        text = "You have no unpaid fines."
    if block:
        text += f" Borrowing is blocked for now: {block}."
    return _reply("my_fines", text, fines)

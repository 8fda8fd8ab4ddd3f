"""What a member's question asks, decided by keywords and patterns alone (no database, no model).

`understand` turns a message into a `Question`: the kind of answer wanted, the words that name a book,
author or genre (the "subject", matched against the catalogue later), which lending rules are asked
about, and whether a list should be newest or best rated first. Whether the subject names a title, an
author or a genre is settled by the catalogue itself (see `librarian`); here only cues are collected.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["catalogue", "rules", "my_loans", "my_holds", "my_fines", "help"]
# "author": asked for books *by* someone; "title" / "genre": words that suggest a book's or a genre's name.
Cue = Literal["title", "author", "genre"]
RuleTopic = Literal["max_loans", "loan_period", "renewals", "fines", "hold_pickup", "blocking"]
RULE_TOPICS: tuple[RuleTopic, ...] = ("max_loans", "loan_period", "renewals", "fines", "hold_pickup", "blocking")


@dataclass(frozen=True)
class Question:
    kind: Kind
    subject: str | None = None
    cues: frozenset[Cue] = frozenset()
    topics: tuple[RuleTopic, ...] = ()
    order: Literal["newest", "best_rated"] = "newest"


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b(?:{alternative})\b" for alternative in alternatives))


# Keywords a typo is corrected to (only words of five letters or more, so short titles such as "Dune" stay put).
KEYWORDS = _vocabulary(
    "available availability borrow borrowed borrowing renew renewal renewals queue reservation reservations "
    "overdue checked penalty genre author written recommend maximum reserve library copies allowed policy "
    "policies period limit fines balance unpaid newest latest popular position waiting"
)

PERSONAL = _pattern(r"i", "me", "my", "mine", "im", "ive", "myself")
POSSESSIVE = _pattern("my", "mine")
HYPOTHETICAL = _pattern(
    "if", "would", "will", "per day", "a day", "each day", "how much is", "whats the", "what is the"
)

MONEY = _pattern(
    "owe", "owing", "fines?", "fined", "fees?", "balance", "debts?", "charges?", "charged", "unpaid", "outstanding"
)
QUEUE = _pattern(
    "queue?",
    "que",
    "line",
    "waiting list",
    "wait list",
    "holds?",
    "reservations?",
    "reserved",
    "position",
    "spot",
    "place",
    "next",
    "ahead of me",
)
HOW_TO = _pattern("how (do|can|long)", "can i", "could i", "how does", "what happens")
LOANS = _pattern(
    "out",
    "borrowed",
    "borrowing",
    "loans?",
    "checked out",
    "check outs?",
    "checkouts?",
    "due",
    "overdue",
    "have (got )?(at home|on loan|with me)",
    "return",
    "books?",
    "have",
)

RULES: dict[RuleTopic, re.Pattern[str]] = {
    "max_loans": _pattern(
        r"how many (?!days|weeks)(\w+ ){0,3}(can|may|could) (i|we|members?|you|one) "
        r"(\w+ ){0,2}(borrow|take|have|check|get|loan)",
        r"how many (\w+ ){0,2}(am i|are we|is one) allowed",
        r"(borrowing|loan|checkout|book|books) limit",
        r"limit (on|of|for|to) (the )?(number of )?(books|loans|items)",
        r"max(imum)? (number of )?(books|loans|items|titles)",
        r"(books|loans|items) at (once|a time|the same time)",
    ),
    "loan_period": _pattern(
        r"how long (\w+ ){0,4}(loan|loans|keep|borrow|borrowing|have (a|the|my|it|them|books?))",
        r"loan (period|length|duration|time|term)",
        r"how many (days|weeks) (\w+ ){0,5}(keep|borrow|loan|have)",
        r"(length|duration) of (a |the )?loans?",
    ),
    "renewals": _pattern(r"renew\w*", r"extend\w*", "extension", r"keep (\w+ ){0,3}longer"),
    "fines": _pattern(
        r"(late|overdue) (fees?|fines?|charges?|penalt\w+|returns?)",
        "fines?",
        "fees?",
        r"penalt\w+",
        "fined",
        r"charge\w*",
        r"(return|bring)\w* (\w+ ){0,3}late",
    ),
    "hold_pickup": _pattern(
        "hold shelf",
        r"pick (\w+ )?up",
        "pickup",
        r"collect\w*",
        r"how long (\w+ ){0,3}(holds?|reservations?) (stay|last|kept|wait)",
    ),
    "blocking": _pattern(r"block\w*", r"suspend\w*", "barred", "banned", r"stop\w* me (from )?borrowing"),
}
ALL_RULES = _pattern("rules", "policy", "policies", "terms", "conditions")

GENRE_CUE = _pattern(
    "genres?",
    "section",
    "category",
    r"(new|newest|latest|recent|best|top|good|popular|highest rated|best rated) (\w+ ){0,2}(in|books|novels|titles)",
    r"(books|novels|anything|something|titles|stuff) (in|about|on)",
    r"recommend\w*",
)
TITLE_CUE = _pattern(
    "available",
    "availability",
    "in stock",
    "on the shelf",
    "on shelf",
    "can i (borrow|get|take|check out|reserve)",
    "do you (have|stock|carry)",
    "have you got",
    "is there",
    "are there",
    "copy",
    "copies",
    "in the library",
)
BEST_RATED = _pattern("best", "top", "highest", "good", "great", "popular", r"recommend\w*", "rated", "rating")
GREETING = _pattern("hi", "hello", "hey", "thanks", "thank you", "help", "good (morning|afternoon|evening)")

# Words trimmed from either end of a question to leave the words that name a book, an author or a genre.
FILLER = _vocabulary(
    """
    a about after again all am an and any anybody anyone anything are at available availability be been book books
    borrow borrowed borrowing by can check checked copies copy could currently do does did for from get got has have
    hello help hey hi how i in is it know latest let library like list loan loaned looking may me might more my new
    newest novel novels now of on out please read reading recent recently right shelf show some something still
    stock take tell thanks the there theres these this title titles to today want what whats when where which who
    whos would wrote written yet you your genre genres section category author authors writer best top good great
    popular recommend recommended rated rating highest any works stuff else other queue line position place spot
    hold holds reservation reservations reserved waiting list am due overdue return returned when im ive will next
    checkout checkouts loans we us our ya u please pls plz okay ok back put make join find search look need ready
    """
)
# Words that introduce the subject of a personal question: "where am I in the queue FOR <title>".
SUBJECT_MARKERS = frozenset({"for", "on", "of", "is", "called", "named"})


def words_of(message: str) -> list[str]:
    """The message's words as written, punctuation dropped; apostrophes too, so "what's" reads "whats"."""
    text = re.sub(r"['\u2019`]", "", unicodedata.normalize("NFKC", message))
    return re.findall(r"[^\W_]+", text)


def _corrected(word: str) -> str:
    if len(word) < 5 or word in FILLER or word in KEYWORDS:
        return word
    close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.8)
    return close[0] if close else word


def _trimmed(original: list[str], corrected: list[str]) -> list[str]:
    start, end = 0, len(original)
    while start < end and corrected[start] in FILLER:
        start += 1
    while end > start and corrected[end - 1] in FILLER:
        end -= 1
    return original[start:end]


def _subject_of(original: list[str], corrected: list[str]) -> str | None:
    """The words left once question words and keywords are trimmed from both ends, as the member wrote them."""
    words = _trimmed(original, corrected) or _trimmed(original, [word.casefold() for word in original])
    return " ".join(words) or None


def _personal_subject(original: list[str], corrected: list[str]) -> str | None:
    """In "when is my copy of dune due", the subject follows the last marker word: "dune"."""
    markers = [index for index, word in enumerate(corrected) if word in SUBJECT_MARKERS]
    if not markers:
        return None
    start = markers[-1] + 1
    return _subject_of(original[start:], corrected[start:])


def _author_subject(original: list[str], corrected: list[str]) -> tuple[str | None, str | None]:
    """Splits "<what> by <who>": the author words after "by" and the title words before it, if any."""
    if "by" not in corrected:
        return None, None
    index = len(corrected) - 1 - corrected[::-1].index("by")
    return _subject_of(original[index + 1 :], corrected[index + 1 :]), _subject_of(original[:index], corrected[:index])


def _rule_topics(text: str) -> tuple[RuleTopic, ...]:
    return tuple(topic for topic in RULE_TOPICS if RULES[topic].search(text))


def understand(message: str) -> Question:
    original = words_of(message)
    corrected = [_corrected(word.casefold()) for word in original]
    text = " ".join(corrected)
    personal = bool(PERSONAL.search(text))
    hypothetical = bool(HYPOTHETICAL.search(text)) or bool(HOW_TO.search(text))

    if personal and MONEY.search(text) and not hypothetical:
        return Question("my_fines")
    if personal and QUEUE.search(text) and not hypothetical:
        return Question("my_holds", subject=_personal_subject(original, corrected))
    topics = _rule_topics(text)
    if topics:
        return Question("rules", topics=topics)
    if ALL_RULES.search(text):
        return Question("rules", topics=RULE_TOPICS)
    if personal and LOANS.search(text) and (POSSESSIVE.search(text) or not TITLE_CUE.search(text)):
        return Question("my_loans", subject=_personal_subject(original, corrected))

    order: Literal["newest", "best_rated"] = "best_rated" if BEST_RATED.search(text) else "newest"
    author, title = _author_subject(original, corrected)
    if author and not title:
        return Question("catalogue", subject=author, cues=frozenset({"author"}), order=order)
    subject = title or _subject_of(original, corrected)
    if subject is None or (GREETING.search(text) and not TITLE_CUE.search(text) and len(original) <= 3):
        return Question("help")
    cues: set[Cue] = set()
    if TITLE_CUE.search(text):
        cues.add("title")
    if GENRE_CUE.search(text):
        cues.add("genre")
    return Question("catalogue", subject=subject, cues=frozenset(cues), order=order)

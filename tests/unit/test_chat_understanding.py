"""The chat's understanding layer alone: no database, only keywords, patterns and trimming."""

import pytest

from library_chat.understanding import understand, words_of


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        ("Is the Lord of the Rings available right now?", "Lord of the Rings"),
        ("what's new in Science Fiction??", "Science Fiction"),
        ("Can I borrow Dune, please?", "Dune"),
        ("is the borrowers available", "borrowers"),
    ],
)
def test_the_subject_is_what_is_left_between_the_question_words_as_written(message, subject):
    assert understand(message).subject == subject


def test_punctuation_and_apostrophes_are_dropped_and_case_kept():
    assert words_of("What's   new in “History”?!") == ["Whats", "new", "in", "History"]


@pytest.mark.parametrize("word", ["dune", "history", "fantasy", "romance", "poetry", "thriller", "mystery", "hobbit"])
def test_typo_correction_leaves_catalogue_words_alone(word):
    question = understand(f"is {word} available")
    assert question.kind == "catalogue" and question.subject == word


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("is dune availble", "catalogue"),
        ("how many books can I borow", "rules"),
        ("can I reneww?", "rules"),
        ("where am I in the queu for dune", "my_holds"),
    ],
)
def test_typos_in_question_words_are_forgiven(message, kind):
    assert understand(message).kind == kind


def test_a_book_by_an_author_asks_for_the_book_and_books_by_an_author_for_the_author():
    assert understand("is Dune by Frank Herbert available?").subject == "Dune"
    question = understand("any books by Frank Herbert?")
    assert (question.subject, question.cues) == ("Frank Herbert", {"author"})


@pytest.mark.parametrize(
    ("message", "topics"),
    [
        ("how long can I keep a book and can I renew it?", ("loan_period", "renewals")),
        ("what if I bring it back late", ("fines",)),
        ("how many days can I keep it", ("loan_period",)),
    ],
)
def test_every_rule_asked_about_is_answered(message, topics):
    question = understand(message)
    assert (question.kind, question.topics) == ("rules", topics)


def test_who_wrote_a_book_asks_about_the_book():
    question = understand("Who wrote Dune?")
    assert (question.kind, question.subject, question.cues) == ("catalogue", "Dune", frozenset())


def test_a_hypothetical_about_fines_asks_for_the_rule_not_the_account():
    assert understand("how much will I be fined if I'm late?").kind == "rules"
    assert understand("how much do I owe?").kind == "my_fines"

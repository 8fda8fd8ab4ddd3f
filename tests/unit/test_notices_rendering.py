"""The templates render the same notice, and key it the same, in Python (one request) and in SQL (the daily job's
bulk insert)."""

from datetime import date
from decimal import Decimal
from string import Template

import pytest
from sqlalchemy import Date, Numeric, String, cast, literal, select

from library_common import db, notices
from library_common.domain.statuses import NoticeKind, values

AWKWARD = 'Ada <Lovelace> & "Bob" O\'Brien $5 \\ 100%'


def _sql_render(kind: str, context: dict[str, object]) -> tuple[str, str, str]:
    def column(value: object):
        if isinstance(value, date):
            return notices.date_text(cast(literal(value.isoformat()), Date))
        if isinstance(value, Decimal):
            return notices.money_text(cast(literal(str(value)), Numeric))
        return literal(str(value), String)

    subject, text_body, html_body = notices.render_sql(kind, {k: column(v) for k, v in context.items()})
    with db.transaction() as session:
        return tuple(session.execute(select(subject, text_body, html_body)).one())


CONTEXTS = {
    "due_soon": {"name": AWKWARD, "title": AWKWARD, "author": "A", "due_date": date(2026, 3, 9)},
    "overdue": {
        "name": "Ada",
        "title": AWKWARD,
        "author": "A",
        "due_date": date(2026, 3, 1),
        "days_late": 9,
        "fine": Decimal("2.25"),
        "fine_per_day": Decimal("0.25"),
        "fine_cap": Decimal("10.00"),
        "reminder": 2,
        "reminders": 4,
    },
    "hold_expired": {"name": "Ada", "title": AWKWARD, "author": AWKWARD, "pickup_by": date(2026, 3, 4)},
    "fine_charged": {
        "name": "Ada",
        "title": AWKWARD,
        "author": "A",
        "amount": Decimal("1.50"),
        "due_date": date(2026, 3, 1),
        "returned_on": date(2026, 3, 7),
    },
    "borrow_receipt": {"name": "Ada", "title": AWKWARD, "author": "A", "due_date": date(2026, 3, 1)},
}


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_sql_rendering_matches_python_rendering(database_url, library_setting, kind, currency):
    library_setting("LIBRARY_CURRENCY", currency)
    context = CONTEXTS[kind]
    assert _sql_render(kind, context) == notices.render(kind, context)


@pytest.mark.parametrize(
    ("currency", "written"),
    [("USD", "USD 1.50"), ("EUR", "EUR 1.50"), ("GBP", "GBP 1.50"), ("JPY", "JPY 2"), ("KWD", "KWD 1.500")],
)
def test_a_fine_charged_notice_writes_the_fee_in_the_currency(database_url, library_setting, currency, written):
    """With the currency's minor unit (ISO 4217): none for the yen (1.50 rounds half up, as PostgreSQL rounds), three
    for the Kuwaiti dinar. The daily job renders this notice in SQL: both say the same."""
    library_setting("LIBRARY_CURRENCY", currency)
    context = {**CONTEXTS["fine_charged"], "title": "Dune"}
    subject, text_body, html_body = notices.render("fine_charged", context)
    assert subject == f'A late fee of {written} for "Dune"'
    assert f"A late fee of {written} has been charged to your account." in text_body
    assert f"A late fee of <strong>{written}</strong> has been charged" in html_body
    assert _sql_render("fine_charged", context) == (subject, text_body, html_body)


def test_an_overdue_notice_writes_every_amount_in_the_librarys_currency(database_url, library_setting):
    library_setting("LIBRARY_CURRENCY", "EUR")
    _, text_body, _ = notices.render("overdue", CONTEXTS["overdue"])
    assert "The late fee so far is EUR 2.25 (EUR 0.25 a day, at most EUR 10.00)." in text_body


def test_every_notice_kind_has_a_subject_line_and_both_bodies_and_every_template_is_a_kind():
    kinds = {path.stem for path in notices.TEMPLATES.glob("*.txt")}
    assert kinds == set(values(NoticeKind))
    assert {path.stem for path in notices.TEMPLATES.glob("*.html")} == kinds
    for kind in kinds:
        assert (notices.TEMPLATES / f"{kind}.txt").read_text().startswith("Subject: ")
        assert (notices.TEMPLATES / f"{kind}.html").is_file()
        assert "name" in notices.notice_template(kind).placeholders


def test_a_long_title_is_cut_to_the_subject_column():
    subject, text_body, _ = notices.render("due_soon", {**CONTEXTS["due_soon"], "title": "x" * 500})
    assert len(subject) == notices.SUBJECT_MAX_LENGTH and "x" * 500 in text_body


def test_sql_rendering_names_a_missing_value():
    with pytest.raises(KeyError, match="due_date"):
        notices.render_sql("due_soon", {"name": literal("a"), "title": literal("b"), "author": literal("c")})


@pytest.mark.parametrize(
    ("user_id", "kind", "subject", "occurrence"),
    [(7, "borrow_receipt", "loan:12", ""), (2**40, "overdue", "loan:3", "2026-03-08"), (1, "due_soon", AWKWARD, ":")],
)
def test_a_notices_dedupe_key_is_the_same_in_python_and_in_sql(database_url, user_id, kind, subject, occurrence):
    """A request queues a notice with the Python key, the daily job with the SQL one: a difference would send twice."""
    key = notices.dedupe_key_sql(literal(user_id), kind, literal(subject, String), literal(occurrence, String))
    with db.transaction() as session:
        assert session.scalar(select(key)) == notices.dedupe_key(user_id, kind, subject, occurrence)


@pytest.mark.parametrize(
    "source", ["Dear $name, ${title} is due", "$$5 a day for $name", "$name", "no placeholder", "${a}${b}$$", ""]
)
def test_a_template_is_filled_as_string_template_substitutes_it(source):
    """`render` and its SQL twin join the template's pieces, read once, rather than run Template.substitute."""
    template = Template(source)
    values = {"name": AWKWARD, "title": "Dune", "a": "1", "b": "$b"}
    assert notices._filled(template, values) == template.substitute(values)


def test_a_template_with_a_stray_delimiter_is_refused_as_string_template_refuses_it():
    with pytest.raises(ValueError, match="invalid placeholder"):
        notices._filled(Template("costs $ 5"), {})

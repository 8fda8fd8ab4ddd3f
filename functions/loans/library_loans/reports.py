"""Reports for staff holding reports.view: most borrowed titles, loans per day, overdue loans (listed and by days
late), hold queues, and the library at a glance."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Date, Select, cast, func, literal, or_, select, union_all

from library_common import models
from library_common.domain import catalogue, fines, loans
from library_common.domain.days import TODAY, day_of, start_of
from library_common.domain.policy import THE_POLICY
from library_common.domain.statuses import FineStatus, HoldStatus, Role
from library_common.envelope import page_of
from library_common.errors import ValidationFailed
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# A year and a day: any calendar year fits, and the answer stays a few kilobytes.
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
# The zone of the months `loan_counts` counts (its triggers are migration 0001's).
MONTHLY_COUNTS_TIME_ZONE = "UTC"


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _loans_between(first: date | None, stop: date | None) -> Select:
    """Loans begun from day `first` up to (not including) day `stop`, counted per title one by one."""
    conditions = []
    if first is not None:
        conditions.append(models.Loan.borrowed_on >= start_of(first))
    if stop is not None:
        conditions.append(models.Loan.borrowed_on < start_of(stop))
    return select(models.Loan.book_id, func.count().label("loans")).where(*conditions).group_by(models.Loan.book_id)


def _months_between(first: date | None, stop: date | None) -> Select:
    """Loans begun in the whole months from `first` up to (not including) `stop`, from the monthly counts."""
    conditions = []
    if first is not None:
        conditions.append(models.LoanCount.month >= first)
    if stop is not None:
        conditions.append(models.LoanCount.month < stop)
    return select(models.LoanCount.book_id, models.LoanCount.loans).where(*conditions)


def most_borrowed(session: Session, *, start: date | None, end: date | None, limit: int) -> list[dict[str, Any]]:
    """Titles by the number of loans that began between `start` and `end` (the library's days, both included).

    Whole calendar months inside the range are summed from the monthly counts; only the days before the first
    whole month and after the last one are counted loan by loan. The counts are of UTC months (the triggers of
    migration 0001 keep them), so a library in another time zone counts every loan one by one.
    """
    stop = end + timedelta(days=1) if end is not None else None
    whole_from = start if start is None or start.day == 1 else _next_month(start)
    whole_to = stop.replace(day=1) if stop is not None else None
    months_are_library_months = get_settings().library_time_zone == MONTHLY_COUNTS_TIME_ZONE
    if not months_are_library_months or (whole_from is not None and whole_to is not None and whole_from >= whole_to):
        parts = [_loans_between(start, stop)]
    else:
        parts = [_months_between(whole_from, whole_to)]
        if start is not None and start < whole_from:
            parts.append(_loans_between(start, whole_from))
        if stop is not None and whole_to < stop:
            parts.append(_loans_between(whole_to, stop))
    counted = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    loans = func.sum(counted.c.loans).label("loans")
    ranked = (
        select(counted.c.book_id, loans)
        .group_by(counted.c.book_id)
        .having(loans > 0)
        .order_by(loans.desc(), counted.c.book_id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.book_id, models.Book.title, models.Book.author, ranked.c.loans)
        .join(models.Book, models.Book.id == ranked.c.book_id)
        .order_by(ranked.c.loans.desc(), ranked.c.book_id)
    )
    return [dict(row._mapping) for row in rows]


OverdueOrdering = Literal[
    "days_late",
    "-days_late",
    "due_date",
    "-due_date",
    "title",
    "-title",
    "member_name",
    "-member_name",
    "member_email",
    "-member_email",
    "fine_so_far",
    "-fine_so_far",
]
DEFAULT_OVERDUE_ORDERING: OverdueOrdering = "-days_late"


def _overdue_sort_keys(days_late: ColumnElement[Any]) -> dict[str, ColumnElement[Any]]:
    """What each ordering of the overdue report sorts by; names and titles whatever their case."""
    return {
        "days_late": days_late,
        "due_date": models.Loan.due_date,
        "title": func.lower(models.Book.title),
        "member_name": func.lower(models.User.name),
        "member_email": func.lower(models.User.email),
        "fine_so_far": fines.fine_amount(days_late),
    }


def overdue(
    session: Session, *, ordering: OverdueOrdering = DEFAULT_OVERDUE_ORDERING, page: int, page_size: int
) -> dict[str, Any]:
    """Loans still out past their due date with the member's contact and the fee so far, in `ordering` (a column,
    `-` for descending; the longest overdue first by default), ties by loan."""
    late = loans.is_overdue()
    days_late = fines.late_days(TODAY, models.Loan.due_date)
    key = _overdue_sort_keys(days_late)[ordering.lstrip("-")]
    total = session.scalar(select(func.count()).select_from(models.Loan).where(late))
    rows = session.execute(
        select(
            models.Loan.id.label("loan_id"),
            models.Loan.book_id,
            models.Book.title,
            models.Loan.user_id,
            models.User.name.label("member_name"),
            models.User.email.label("member_email"),
            models.Loan.borrowed_on,
            models.Loan.due_date,
            days_late.label("days_late"),
            fines.fine_amount(days_late).label("fine_so_far"),
        )
        .join(models.Book, models.Book.id == models.Loan.book_id)
        .join(models.User, models.User.id == models.Loan.user_id)
        .join(models.Policy, THE_POLICY)
        .where(late)
        .order_by(key.desc() if ordering.startswith("-") else key, models.Loan.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total)


def summary(session: Session) -> dict[str, Any]:
    live = catalogue.is_live(models.Book)
    counts = session.execute(
        select(
            select(func.count()).where(live).scalar_subquery().label("titles"),
            select(func.coalesce(func.sum(models.Book.quantity), 0)).where(live).scalar_subquery().label("copies"),
            select(func.coalesce(func.sum(models.Book.copies_on_loan), 0)).scalar_subquery().label("on_loan"),
            select(func.coalesce(func.sum(models.Book.copies_on_hold_shelf), 0))
            .scalar_subquery()
            .label("on_hold_shelf"),
            select(func.count()).where(loans.is_overdue()).scalar_subquery().label("overdue"),
            select(func.count())
            .where(models.Hold.status == HoldStatus.WAITING)
            .scalar_subquery()
            .label("holds_waiting"),
            select(func.count())
            .where(models.User.role == Role.MEMBER, models.User.is_active.is_(True))
            .scalar_subquery()
            .label("active_members"),
            select(func.coalesce(func.sum(models.Fine.amount), 0))
            .where(models.Fine.status == FineStatus.UNPAID)
            .scalar_subquery()
            .label("fines_outstanding"),
            _fines_accruing().label("fines_accruing"),
        )
    ).one()
    return dict(counts._mapping)


def _fines_accruing() -> ColumnElement[Any]:
    """What loans still out past their due date owe today beyond their fine as charged so far (at the last daily
    job; nothing before it). A waived fine owes nothing more."""
    owed = fines.fine_amount(fines.late_days(TODAY, models.Loan.due_date))
    beyond_charged = func.greatest(owed - func.coalesce(models.Fine.amount, 0), 0)
    return (
        select(func.coalesce(func.sum(beyond_charged), 0))
        .select_from(models.Loan)
        .join(models.Policy, THE_POLICY)
        .outerjoin(models.Fine, models.Fine.loan_id == models.Loan.id)
        .where(loans.is_overdue(), or_(models.Fine.id.is_(None), models.Fine.status == FineStatus.UNPAID))
        .scalar_subquery()
    )


def _day_range(session: Session, start: date | None, end: date | None) -> tuple[date, date]:
    """The days a loans-per-day report covers: `end` defaults to the library's today, `start` to the days before."""
    end = end or session.scalar(select(TODAY))
    # Never before the calendar's first day (a `to` in year 1's first weeks).
    start = start or date.fromordinal(max(1, end.toordinal() - (DEFAULT_RANGE_DAYS - 1)))
    if start > end:
        raise ValidationFailed(errors=[{"field": "from", "message": "must not be after `to`"}])
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(errors=[{"field": "from", "message": f"the range is at most {MAX_RANGE_DAYS} days"}])
    return start, end


def loans_per_day(session: Session, *, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """Loans begun on each of the library's days from `start` to `end` (both included), days without a loan as 0."""
    start, end = _day_range(session, start, end)
    # Grouped over a subquery's column: the zone is a bound parameter, and PostgreSQL would not see a GROUP BY
    # expression with its own parameter as the selected one.
    begun = (
        select(day_of(models.Loan.borrowed_on).label("day"))
        .where(models.Loan.borrowed_on >= start_of(start), models.Loan.borrowed_on < start_of(end + timedelta(days=1)))
        .subquery()
    )
    counted = select(begun.c.day, func.count().label("loans")).group_by(begun.c.day).subquery()
    days = select(
        cast(func.generate_series(literal(start), literal(end), timedelta(days=1)), Date).label("day")
    ).subquery()
    rows = session.execute(
        select(days.c.day, func.coalesce(counted.c.loans, 0).label("loans"))
        .outerjoin(counted, counted.c.day == days.c.day)
        .order_by(days.c.day)
    )
    return [dict(row._mapping) for row in rows]


# The overdue histogram's bins, in whole days late: (first day, last day or None for "and more").
DAYS_LATE_BINS: tuple[tuple[int, int | None], ...] = ((1, 7), (8, 14), (15, 30), (31, 60), (61, None))


def overdue_by_days_late(session: Session) -> list[dict[str, Any]]:
    """Loans still out past their due date, counted per bin of days late (every bin, empty ones as 0)."""
    days_late = fines.late_days(TODAY, models.Loan.due_date)
    in_bin = [days_late >= first if last is None else days_late.between(first, last) for first, last in DAYS_LATE_BINS]
    counts = session.execute(
        select(*(func.count().filter(condition) for condition in in_bin)).where(loans.is_overdue())
    ).one()
    return [
        {"from_days": first, "to_days": last, "loans": count}
        for (first, last), count in zip(DAYS_LATE_BINS, counts, strict=True)
    ]


def hold_queues(session: Session, *, limit: int) -> list[dict[str, Any]]:
    """Titles by the number of members waiting for them (the longest queues first)."""
    waiting = func.count().label("waiting")
    queues = (
        select(models.Hold.book_id, waiting)
        .where(models.Hold.status == HoldStatus.WAITING)
        .group_by(models.Hold.book_id)
        .order_by(waiting.desc(), models.Hold.book_id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(queues.c.book_id, models.Book.title, models.Book.author, queues.c.waiting)
        .join(models.Book, models.Book.id == queues.c.book_id)
        .order_by(queues.c.waiting.desc(), queues.c.book_id)
    )
    return [dict(row._mapping) for row in rows]

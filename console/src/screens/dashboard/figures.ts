/** The report routes' answers (GET /reports/...) and how the dashboard asks for their order and labels them. */
export interface Summary {
    titles: number;
    copies: number;
    on_loan: number;
    on_hold_shelf: number;
    overdue: number;
    holds_waiting: number;
    active_members: number;
    fines_outstanding: string;
    fines_accruing: string;
}

export interface DayCount {
    day: string;
    loans: number;
}

export interface BorrowCount {
    book_id: number;
    title: string;
    author: string;
    loans: number;
}

export interface DaysLateCount {
    from_days: number;
    to_days: number | null;
    loans: number;
}

export interface HoldQueue {
    book_id: number;
    title: string;
    author: string;
    waiting: number;
}

export interface OverdueLoan {
    loan_id: number;
    book_id: number;
    title: string;
    user_id: number;
    member_name: string;
    member_email: string;
    borrowed_on: string;
    due_date: string;
    days_late: number;
    fine_so_far: string;
}

/** The days the period charts cover, YYYY-MM-DD, both included. */
export interface Period {
    from: string;
    to: string;
}

/** What loans per day is asked: the period chosen, else nothing, for the API to default it to the library's days. */
export function perDayQuery(chosen: Period | null): Partial<Period> {
    return chosen ?? {};
}

/** The period shown: the one the librarian chose, else the library's default as loans per day answered it (asked
 * without `from` and `to`, it covers the days up to the library's today, in the library's time zone, which the
 * browser's clock and zone know nothing of): its first and last day. Null until that answer. */
export function periodShown(chosen: Period | null, perDay: DayCount[] | undefined): Period | null {
    if (chosen) return chosen;
    if (!perDay || perDay.length === 0) return null;
    return { from: perDay[0].day, to: perDay[perDay.length - 1].day };
}

export function binLabel(bin: DaysLateCount): string {
    return bin.to_days === null ? `${bin.from_days}+ days` : `${bin.from_days}-${bin.to_days} days`;
}

/** The overdue report's columns, each one of the route's `ordering` values. */
export type Column = 'title' | 'member_name' | 'member_email' | 'due_date' | 'days_late' | 'fine_so_far';

/** The overdue report's `ordering` for a column and direction: the column, `-` first for descending. */
export function overdueOrdering(column: Column, direction: 'asc' | 'desc'): string {
    return direction === 'desc' ? `-${column}` : column;
}

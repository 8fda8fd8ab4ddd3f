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

/** A UTC calendar day `days` before today, as YYYY-MM-DD (the reports' days are UTC days). */
export function daysAgo(days: number, from = new Date()): string {
    const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() - days));
    return day.toISOString().slice(0, 10);
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

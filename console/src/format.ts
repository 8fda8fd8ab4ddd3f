/** How dates read in the console. */

/** A publication date: the year alone when only the year is known (imports store 1937 as 1937-01-01). */
export function publicationDate(value: string | null | undefined): string {
    if (!value) return '-';
    if (value.endsWith('-01-01')) return value.slice(0, 4);
    return new Date(`${value}T00:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC' });
}

/** A due date (YYYY-MM-DD) as the browser's locale writes dates, e.g. 16/12/2026. */
export function calendarDate(value: string): string {
    return new Date(`${value}T00:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC' });
}

/** How dates read, and are typed, in the console: the browser's locale, one formatter for both (en-GB: 16/12/2026). */

type DayPart = 'day' | 'month' | 'year';

export interface DayPattern {
    /** The parts in the order the locale writes them. */
    order: DayPart[];
    separator: string;
    /** e.g. dd/mm/yyyy */
    placeholder: string;
}

const dayFormat = (locale?: string) => new Intl.DateTimeFormat(locale, { timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric' });
const DAY_FORMAT = dayFormat();
const SHORT_DAY_FORMAT = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', day: '2-digit', month: '2-digit' });
const utcDay = (value: string) => new Date(`${value}T00:00:00Z`);

/** A publication date: the year alone when only the year is known (imports store 1937 as 1937-01-01). */
export function publicationDate(value: string | null | undefined): string {
    if (!value) return '-';
    if (value.endsWith('-01-01')) return value.slice(0, 4);
    return calendarDate(value);
}

/** A day (YYYY-MM-DD) as the browser's locale writes dates, e.g. 16/12/2026. */
export function calendarDate(value: string): string {
    return DAY_FORMAT.format(utcDay(value));
}

/** A day without its year, for a chart's axis: 16/12. */
export function shortCalendarDate(value: string): string {
    return SHORT_DAY_FORMAT.format(utcDay(value));
}

/** The order and separator of a day as `calendarDate` writes it in `locale` (the browser's by default). */
export function dayPattern(locale?: string): DayPattern {
    const parts = dayFormat(locale).formatToParts(new Date(Date.UTC(2001, 10, 23)));
    const order = parts.map(part => part.type).filter((type): type is DayPart => type === 'day' || type === 'month' || type === 'year');
    const separator = parts.find(part => part.type === 'literal')?.value ?? '/';
    const shown: Record<DayPart, string> = { day: 'dd', month: 'mm', year: 'yyyy' };
    return { order, separator, placeholder: order.map(part => shown[part]).join(separator) };
}

export const DAY_PATTERN = dayPattern();

/** A day typed as `calendarDate` writes it (any separator, day and month with or without a leading zero, a
 * four-digit year) as YYYY-MM-DD; null when it is not a day of the calendar. */
export function parseCalendarDate(text: string, pattern: DayPattern = DAY_PATTERN): string | null {
    const numbers = text.trim().split(/\D+/).filter(Boolean);
    if (numbers.length !== 3 || numbers[pattern.order.indexOf('year')].length !== 4) return null;
    const value: Record<DayPart, number> = { day: 0, month: 0, year: 0 };
    pattern.order.forEach((part, index) => (value[part] = Number(numbers[index])));
    const day = new Date(Date.UTC(value.year, value.month - 1, value.day));
    if (day.getUTCFullYear() !== value.year || day.getUTCMonth() !== value.month - 1 || day.getUTCDate() !== value.day) return null;
    return day.toISOString().slice(0, 10);
}

/** The library's currency as GET /policies names it: the ISO 4217 code and the digits of its minor unit. */
export interface Currency {
    code: string;
    /** ISO 4217's, which the notices write with; the browser's CLDR data differs for some (IQD 0, not 3; HUF 0). */
    minorDigits: number;
}

/** An amount (the API's decimal string, "0.75") in the library's currency as notices write it, the ISO code first
 * and the currency's minor-unit digits (USD 0.75, JPY 1, IQD 1.500), in the browser's locale; the amount alone
 * until the currency is known. */
export function money(amount: string | number, currency: Currency | null | undefined, locale?: string): string {
    if (!currency) return String(amount);
    const digits = currency.minorDigits;
    return new Intl.NumberFormat(locale, { style: 'currency', currency: currency.code, currencyDisplay: 'code', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(amount));
}

/** The step of an amount typed: the currency's minor unit (JPY 1), never finer than the API's two decimals (KWD 0.01). */
export function moneyStep(minorDigits: number | undefined): string {
    const digits = Math.min(minorDigits ?? 2, 2);
    return (10 ** -digits).toFixed(digits);
}

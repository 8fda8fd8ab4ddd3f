import { describe, expect, it } from 'vitest';

import { dayPattern, money, parseCalendarDate } from '../src/format';

describe('days as the locale writes them', () => {
    const british = dayPattern('en-GB');
    const american = dayPattern('en-US');

    it('learns the order and separator of the locale', () => {
        expect(british).toEqual({ order: ['day', 'month', 'year'], separator: '/', placeholder: 'dd/mm/yyyy' });
        expect(american.placeholder).toBe('mm/dd/yyyy');
        expect(dayPattern('de-DE').placeholder).toBe('dd.mm.yyyy');
    });

    it('reads a typed day in that order', () => {
        expect(parseCalendarDate('03/11/2026', british)).toBe('2026-11-03');
        expect(parseCalendarDate('3/11/2026', british)).toBe('2026-11-03');
        expect(parseCalendarDate('11/03/2026', american)).toBe('2026-11-03');
        expect(parseCalendarDate('03.11.2026', dayPattern('de-DE'))).toBe('2026-11-03');
        expect(parseCalendarDate('29/02/2024', british)).toBe('2024-02-29');
    });

    it('refuses what is not a day of the calendar, or not finished', () => {
        for (const typed of ['31/02/2026', '13/13/2026', '03/11/26', '03/11', '', '2026-11-03']) {
            expect(parseCalendarDate(typed, british)).toBeNull();
        }
    });
});

describe('money in the library currency', () => {
    it('writes the ISO code first, with the currency minor unit, as the notices do', () => {
        const spaced = (text: string) => text.replace(/\u00a0/g, ' ');
        expect(spaced(money('0.75', 'USD', 'en-GB'))).toBe('USD 0.75');
        expect(spaced(money('1234.50', 'EUR', 'en-GB'))).toBe('EUR 1,234.50');
        expect(spaced(money('1.50', 'JPY', 'en-GB'))).toBe('JPY 2');
        expect(spaced(money('1.50', 'KWD', 'en-GB'))).toBe('KWD 1.500');
    });

    it('writes the amount alone until the currency is known', () => {
        expect(money('0.75', undefined)).toBe('0.75');
    });
});

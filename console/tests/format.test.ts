import { describe, expect, it } from 'vitest';

import { dayPattern, parseCalendarDate } from '../src/format';

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

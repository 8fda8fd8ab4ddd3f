import { describe, expect, it } from 'vitest';

import { dayPattern, money, moneyStep, parseCalendarDate } from '../src/format';

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
    const spaced = (text: string) => text.replace(/\u00a0/g, ' ');

    it('writes the ISO code first, with the currency minor unit, as the notices do', () => {
        expect(spaced(money('0.75', { code: 'USD', minorDigits: 2 }, 'en-GB'))).toBe('USD 0.75');
        expect(spaced(money('1234.50', { code: 'EUR', minorDigits: 2 }, 'en-GB'))).toBe('EUR 1,234.50');
        expect(spaced(money('1.50', { code: 'JPY', minorDigits: 0 }, 'en-GB'))).toBe('JPY 2');
        expect(spaced(money('1.50', { code: 'KWD', minorDigits: 3 }, 'en-GB'))).toBe('KWD 1.500');
    });

    it("writes the server's minor digits where the browser's CLDR data has others", () => {
        // ISO 4217 (money.py, the notices): IQD 3, HUF 2; CLDR: 0 for both.
        expect(spaced(money('1.50', { code: 'IQD', minorDigits: 3 }, 'en-GB'))).toBe('IQD 1.500');
        expect(spaced(money('1.50', { code: 'HUF', minorDigits: 2 }, 'en-GB'))).toBe('HUF 1.50');
    });

    it('writes the amount alone until the currency is known', () => {
        expect(money('0.75', undefined)).toBe('0.75');
    });

    it("steps an amount typed by the currency's minor unit, never finer than the API's cents", () => {
        expect(moneyStep(0)).toBe('1');
        expect(moneyStep(2)).toBe('0.01');
        expect(moneyStep(3)).toBe('0.01');
        expect(moneyStep(undefined)).toBe('0.01');
    });
});

import { HttpError } from 'ra-core';
import { describe, expect, it } from 'vitest';

import { explain } from '../src/messages';
import { binLabel, overdueOrdering, perDayQuery, periodShown } from '../src/screens/dashboard/figures';

describe('the overdue report', () => {
    it('asks the API for a column, descending with a leading minus', () => {
        expect(overdueOrdering('days_late', 'desc')).toBe('-days_late');
        expect(overdueOrdering('member_name', 'asc')).toBe('member_name');
    });
});

describe('the period the charts cover', () => {
    // The library's today as loans per day answered it: already the 2nd in a library east of UTC, whatever the
    // browser's clock or zone say.
    const libraryDays = [
        { day: '2026-02-01', loans: 0 },
        { day: '2026-02-15', loans: 4 },
        { day: '2026-03-02', loans: 1 },
    ];

    it('leaves the default period to the API: loans per day is asked without from and to', () => {
        expect(perDayQuery(null)).toEqual({});
        expect(perDayQuery({ from: '2026-01-01', to: '2026-01-31' })).toEqual({ from: '2026-01-01', to: '2026-01-31' });
    });

    it("is the library's days loans per day answered, from its first day to its last", () => {
        expect(periodShown(null, libraryDays)).toEqual({ from: '2026-02-01', to: '2026-03-02' });
    });

    it('is unknown until that answer, and the period chosen once there is one', () => {
        expect(periodShown(null, undefined)).toBeNull();
        expect(periodShown(null, [])).toBeNull();
        expect(periodShown({ from: '2025-12-01', to: '2025-12-31' }, libraryDays)).toEqual({ from: '2025-12-01', to: '2025-12-31' });
    });
});

describe('report helpers', () => {
    it('names a days-late bin, the last one open-ended', () => {
        expect(binLabel({ from_days: 8, to_days: 14, loans: 2 })).toBe('8-14 days');
        expect(binLabel({ from_days: 61, to_days: null, loans: 0 })).toBe('61+ days');
    });

    it('says which field a 422 is about', () => {
        const refused = new HttpError('Validation failed', 422, { code: 'VALIDATION_ERROR', message: 'Validation failed', errors: { from: 'the range is at most 366 days' } });
        expect(explain(refused)).toBe('Validation failed: from the range is at most 366 days.');
    });
});

import { HttpError } from 'ra-core';
import { describe, expect, it } from 'vitest';

import { explain } from '../src/messages';
import { binLabel, daysAgo, overdueOrdering } from '../src/screens/dashboard/figures';

describe('the overdue report', () => {
    it('asks the API for a column, descending with a leading minus', () => {
        expect(overdueOrdering('days_late', 'desc')).toBe('-days_late');
        expect(overdueOrdering('member_name', 'asc')).toBe('member_name');
    });
});

describe('report helpers', () => {
    it('counts days back in UTC days, across a month end', () => {
        expect(daysAgo(0, new Date('2026-03-01T23:30:00Z'))).toBe('2026-03-01');
        expect(daysAgo(1, new Date('2026-03-01T00:10:00Z'))).toBe('2026-02-28');
    });

    it('names a days-late bin, the last one open-ended', () => {
        expect(binLabel({ from_days: 8, to_days: 14, loans: 2 })).toBe('8-14 days');
        expect(binLabel({ from_days: 61, to_days: null, loans: 0 })).toBe('61+ days');
    });

    it('says which field a 422 is about', () => {
        const refused = new HttpError('Validation failed', 422, { code: 'VALIDATION_ERROR', message: 'Validation failed', errors: { from: 'the range is at most 366 days' } });
        expect(explain(refused)).toBe('Validation failed: from the range is at most 366 days.');
    });
});

import { HttpError } from 'ra-core';
import { describe, expect, it } from 'vitest';

import { explain } from '../src/messages';
import { binLabel, daysAgo, sortedLoans } from '../src/screens/dashboard/figures';

const loan = (member_name: string, days_late: number, fine_so_far: string) => ({
    loan_id: days_late,
    book_id: 1,
    title: 'Dune',
    user_id: 1,
    member_name,
    member_email: `${member_name.toLowerCase()}@library.test`,
    borrowed_on: '2026-11-01T10:00:00Z',
    due_date: '2026-11-15',
    days_late,
    fine_so_far,
});

describe('the overdue report', () => {
    const loans = [loan('Otto', 9, '2.25'), loan('Ada', 40, '10.00'), loan('Ben', 12, '3.00')];

    it('sorts numbers as numbers and names as words, either way', () => {
        expect(sortedLoans(loans, 'days_late', 'desc').map(row => row.days_late)).toEqual([40, 12, 9]);
        expect(sortedLoans(loans, 'fine_so_far', 'asc').map(row => row.fine_so_far)).toEqual(['2.25', '3.00', '10.00']);
        expect(sortedLoans(loans, 'member_name', 'asc').map(row => row.member_name)).toEqual(['Ada', 'Ben', 'Otto']);
        expect(loans.map(row => row.member_name)).toEqual(['Otto', 'Ada', 'Ben']);
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

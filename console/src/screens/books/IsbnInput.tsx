/** The ISBN field, checked as it is typed: the API's verdict (GET /isbn-check) under the field. */
import { useEffect, useState } from 'react';
import { TextInput, useRecordContext } from 'react-admin';
import { useFormContext, useWatch } from 'react-hook-form';

import { useLibrary } from '../../library';
import type { IsbnCheck } from '../../providers/dataProvider';

const TYPING_PAUSE_MS = 350;

function verdictText(verdict: IsbnCheck, ownId: unknown): { text: string; ok: boolean } {
    if (!verdict.valid) return { text: verdict.message, ok: false };
    if (verdict.book && verdict.book.id !== ownId) {
        return { text: `Already in the catalogue: ${verdict.book.title} by ${verdict.book.author}`, ok: false };
    }
    return { text: `Valid ISBN (stored as ${verdict.isbn_13})`, ok: true };
}

export function IsbnInput() {
    const library = useLibrary();
    const record = useRecordContext();
    const typed: string | undefined = useWatch({ name: 'isbn' });
    const { clearErrors } = useFormContext();
    const [verdict, setVerdict] = useState<{ text: string; ok: boolean } | null>(null);

    useEffect(() => {
        // The API's refusal of the last save was about the previous value: the new one gets its own verdict.
        clearErrors('isbn');
        const value = (typed ?? '').trim();
        if (!value) {
            setVerdict(null);
            return;
        }
        let current = true;
        const timer = setTimeout(() => {
            library
                .checkIsbn(value)
                .then(answer => current && setVerdict(verdictText(answer, record?.id)))
                .catch(() => current && setVerdict(null));
        }, TYPING_PAUSE_MS);
        return () => {
            current = false;
            clearTimeout(timer);
        };
    }, [typed, library, record?.id, clearErrors]);

    const helper = verdict ? (
        <span role="status" aria-live="polite" data-testid="isbn-verdict" style={{ color: verdict.ok ? '#1e6b34' : '#b3261e' }}>
            {verdict.text}
        </span>
    ) : (
        'ISBN-10 or ISBN-13; hyphens and spaces are fine'
    );
    return <TextInput source="isbn" label="ISBN" helperText={helper} />;
}

/**
 * On a book's page, for a member: borrow it when a copy is free (self-service: the API lends to the caller),
 * otherwise join the queue; their place in the queue (or the date a kept copy waits until), cancel; write a review
 * once they have borrowed it. The API's refusals (blocked, loan limit...) are shown in plain words.
 */
import { Alert, Button, Stack, Typography } from '@mui/material';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useRecordContext, useRefresh } from 'react-admin';

import type { Page } from '../../api/client';
import { calendarDate } from '../../format';
import { api, session, useLibrary } from '../../library';
import { explain } from '../../messages';
import { ReviewButton } from './ReviewDialog';

interface Book {
    id: number;
    title: string;
    copies_available: number;
}

interface Hold {
    id: number;
    status: string;
    position: number | null;
    pickup_by: string | null;
}

function useMine<T>(path: string, bookId: number | undefined, status?: string) {
    return useQuery({
        queryKey: ['mine', path, bookId, status],
        enabled: bookId !== undefined,
        queryFn: () => api.get<Page<T>>(path, { user_id: session.account?.id, book_id: bookId, status, page_size: 5 }),
    });
}

export function MemberBookActions() {
    const book = useRecordContext<Book>();
    const library = useLibrary();
    const refresh = useRefresh();
    const queries = useQueryClient();
    const [outcome, setOutcome] = useState<{ severity: 'success' | 'error'; text: string } | null>(null);
    const [attempt] = useState(() => crypto.randomUUID());
    const holds = useMine<Hold>('holds', book?.id);
    const loans = useMine<{ id: number; returned_on: string | null }>('loans', book?.id);
    if (!book || session.account?.role !== 'member') return null;
    const activeHold = holds.data?.items.find(hold => hold.status === 'waiting' || hold.status === 'ready');
    const onLoan = loans.data?.items.some(loan => !loan.returned_on);
    const hasBorrowed = (loans.data?.total ?? 0) > 0;

    const act = async (work: () => Promise<string>) => {
        try {
            setOutcome({ severity: 'success', text: await work() });
        } catch (error) {
            setOutcome({ severity: 'error', text: explain(error) });
        }
        await queries.invalidateQueries({ queryKey: ['mine'] });
        refresh();
    };
    const borrow = () => act(async () => `Borrowed: “${book.title}” is due back ${calendarDate(String((await library.borrow(book.id, session.account!.id, attempt)).due_date))}.`);
    const hold = () => act(async () => `You are number ${(await library.placeHold(book.id, session.account!.id)).position} in the queue for “${book.title}”.`);
    const cancel = (id: number) => act(async () => (await library.cancelHold(id), `Your hold on “${book.title}” is cancelled.`));

    return (
        <Stack spacing={1} sx={{ mt: 2 }} component="section" aria-label="Borrowing">
            {activeHold?.status === 'waiting' && <Typography>You are number {activeHold.position} in the queue.</Typography>}
            {activeHold?.status === 'ready' && <Typography>A copy is kept for you until {activeHold.pickup_by ? new Date(activeHold.pickup_by).toLocaleString() : 'soon'}.</Typography>}
            {onLoan && <Typography>You have this book out now: see My loans.</Typography>}
            <Stack direction="row" spacing={1}>
                {!onLoan && (book.copies_available > 0 || activeHold?.status === 'ready') && (
                    <Button variant="contained" onClick={borrow}>
                        Borrow this book
                    </Button>
                )}
                {!onLoan && !activeHold && book.copies_available === 0 && (
                    <Button variant="contained" onClick={hold}>
                        Place a hold
                    </Button>
                )}
                {activeHold && <Button onClick={() => cancel(activeHold.id)}>Cancel my hold</Button>}
                {hasBorrowed && <ReviewButton bookId={book.id} title={book.title} />}
            </Stack>
            {outcome && (
                <Alert severity={outcome.severity} role="status">
                    {outcome.text}
                </Alert>
            )}
        </Stack>
    );
}

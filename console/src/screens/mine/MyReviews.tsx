/**
 * My reviews: the reviews I wrote (GET /reviews, newest first), each with a Remove action, and below them the
 * books I have borrowed but not reviewed yet, each with a button to write one.
 */
import { Box, Link, List as MuiList, ListItem, Rating, Stack, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { DateField, DeleteWithConfirmButton, FunctionField, List, TextField, useNotify, useRecordContext, useRefresh } from 'react-admin';
import { Link as RouterLink } from 'react-router-dom';

import type { Page } from '../../api/client';
import { Datagrid } from '../../layout/ListRows';
import { api, session } from '../../library';
import { ReviewButton } from './ReviewDialog';

interface MyReview {
    id: number;
    book_id: number;
    book_title: string;
    rating: number;
    comment: string | null;
    created_on: string;
}

// The API's largest page: a member's latest loans and reviews, enough to tell what is left to review.
const LOOKED_AT = 100;

async function borrowedNotReviewed(): Promise<{ bookId: number; title: string }[]> {
    const me = session.account?.id;
    const [loans, reviews] = await Promise.all([
        api.get<Page<{ book_id: number; title: string }>>('loans', { user_id: me, page_size: LOOKED_AT }),
        api.get<Page<MyReview>>('reviews', { page_size: LOOKED_AT }),
    ]);
    const reviewed = new Set(reviews.items.map(review => review.book_id));
    const titles = new Map(loans.items.filter(loan => !reviewed.has(loan.book_id)).map(loan => [loan.book_id, loan.title]));
    return [...titles].map(([bookId, title]) => ({ bookId, title }));
}

function RemoveReviewButton({ label: _label }: { label: string }) {
    const review = useRecordContext<MyReview>();
    const notify = useNotify();
    // Also the list of books left to review, which gains this one.
    const refresh = useRefresh();
    if (!review) return null;
    return (
        <DeleteWithConfirmButton
            label="Remove"
            aria-label={`Remove your review of ${review.book_title}`}
            mutationMode="pessimistic"
            redirect={false}
            confirmTitle={`Remove your review of “${review.book_title}”?`}
            confirmContent="Readers will no longer see it, and the book's rating no longer counts it. You may write a new one."
            mutationOptions={{
                onSuccess: () => {
                    notify(`Your review of “${review.book_title}” is removed.`, { type: 'success' });
                    refresh();
                },
            }}
        />
    );
}

function ToReview() {
    const { data, isPending } = useQuery({ queryKey: ['my-reviews', 'to-review'], queryFn: borrowedNotReviewed });
    return (
        <Box component="section" aria-labelledby="to-review" sx={{ mt: 3 }}>
            <Typography component="h2" variant="h6" id="to-review">
                Books you borrowed, not reviewed yet
            </Typography>
            {!isPending && data?.length === 0 && <Typography>Nothing left to review: borrow a book, then tell other readers about it here.</Typography>}
            <MuiList dense>
                {data?.map(({ bookId, title }) => (
                    <ListItem key={bookId} disableGutters>
                        <Stack direction="row" spacing={2} alignItems="center">
                            <Link component={RouterLink} to={`/books/${bookId}/show`}>
                                {title}
                            </Link>
                            <ReviewButton bookId={bookId} title={title} />
                        </Stack>
                    </ListItem>
                ))}
            </MuiList>
        </Box>
    );
}

export function MyReviews() {
    return (
        <Box sx={{ pb: 2 }}>
            <List
                resource="my-reviews"
                title="My reviews"
                filter={{ user_id: session.account?.id }}
                disableSyncWithLocation
                exporter={false}
                actions={false}
                sort={{ field: 'id', order: 'ASC' }}
                empty={<Typography sx={{ p: 2 }}>You have not reviewed a book yet.</Typography>}
            >
                <Datagrid bulkActionButtons={false} rowClick={false}>
                    <FunctionField label="Title" render={(review: MyReview) => <Link component={RouterLink} to={`/books/${review.book_id}/show`}>{review.book_title}</Link>} />
                    <FunctionField label="Rating" render={(review: MyReview) => <Rating value={review.rating} readOnly size="small" aria-label={`Rated ${review.rating} out of 5`} />} />
                    <TextField source="comment" label="Comment" emptyText="-" sortable={false} />
                    <DateField source="created_on" label="Written" sortable={false} />
                    <RemoveReviewButton label="Remove" />
                </Datagrid>
            </List>
            <Box sx={{ px: 2 }}>
                <ToReview />
            </Box>
        </Box>
    );
}

/**
 * My reviews: the titles I have borrowed, each with my review or a button to write one. The API lists reviews
 * per book only, so this reads the reviews of each title in my latest 50 loans and keeps mine.
 */
import { Box, Card, CardContent, Link, Rating, Stack, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { Title } from 'react-admin';
import { Link as RouterLink } from 'react-router-dom';

import type { Page } from '../../api/client';
import { api, session } from '../../library';
import { ReviewButton } from './ReviewDialog';

interface Review {
    id: number;
    user_id: number;
    rating: number;
    comment: string | null;
}

interface Borrowed {
    bookId: number;
    title: string;
    review: Review | undefined;
}

async function borrowedWithMyReviews(): Promise<Borrowed[]> {
    const me = session.account?.id;
    const loans = await api.get<Page<{ book_id: number; title: string }>>('loans', { user_id: me, page_size: 50 });
    const titles = new Map(loans.items.map(loan => [loan.book_id, loan.title]));
    return Promise.all(
        [...titles].map(async ([bookId, title]) => {
            const reviews = await api.get<Page<Review>>(`books/${bookId}/reviews`, { page_size: 100 });
            return { bookId, title, review: reviews.items.find(review => review.user_id === me) };
        }),
    );
}

export function MyReviews() {
    const { data, isPending } = useQuery({ queryKey: ['my-reviews'], queryFn: borrowedWithMyReviews });
    return (
        <Box sx={{ p: 2, maxWidth: 820 }}>
            <Title title="My reviews" />
            <Typography component="h1" variant="h5" gutterBottom>
                My reviews
            </Typography>
            {!isPending && data?.length === 0 && <Typography>Borrow a book first: members review the books they have read.</Typography>}
            <Stack spacing={1}>
                {data?.map(({ bookId, title, review }) => (
                    <Card key={bookId} variant="outlined">
                        <CardContent>
                            <Link component={RouterLink} to={`/books/${bookId}/show`}>
                                {title}
                            </Link>
                            {review ? (
                                <Stack direction="row" spacing={2} alignItems="center">
                                    <Rating value={review.rating} readOnly aria-label={`Rated ${review.rating} out of 5`} />
                                    <Typography variant="body2">{review.comment}</Typography>
                                </Stack>
                            ) : (
                                <Box>
                                    <ReviewButton bookId={bookId} title={title} />
                                </Box>
                            )}
                        </CardContent>
                    </Card>
                ))}
            </Stack>
        </Box>
    );
}

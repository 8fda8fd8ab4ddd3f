/** Write a review of a book you borrowed: a rating of 1 to 5 and a comment; the API refuses a second review or a
 * book never borrowed, in words. */
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Rating, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { useNotify, useRefresh } from 'react-admin';

import { api } from '../../library';
import { explain } from '../../messages';
import { asHttpError } from '../../providers/dataProvider';

export function ReviewButton({ bookId, title }: { bookId: number; title: string }) {
    const [open, setOpen] = useState(false);
    const [rating, setRating] = useState<number | null>(null);
    const [comment, setComment] = useState('');
    const [error, setError] = useState<string | null>(null);
    const notify = useNotify();
    const refresh = useRefresh();
    const send = async () => {
        try {
            await api.post(`books/${bookId}/reviews`, { rating, comment: comment || null });
            setOpen(false);
            notify(`Thank you: your review of “${title}” is published.`, { type: 'success' });
            refresh();
        } catch (failure) {
            setError(explain(asHttpError(failure)));
        }
    };
    return (
        <>
            <Button size="small" onClick={() => (setError(null), setOpen(true))} aria-label={`Write a review of ${title}`}>
                Write a review
            </Button>
            <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby={`review-${bookId}`}>
                <DialogTitle id={`review-${bookId}`}>Your review of “{title}”</DialogTitle>
                <DialogContent>
                    <Typography component="legend" id={`rating-${bookId}`}>
                        Rating
                    </Typography>
                    <Rating name={`rating-${bookId}`} value={rating} onChange={(_, value) => setRating(value)} aria-labelledby={`rating-${bookId}`} />
                    <TextField label="Comment" value={comment} onChange={event => setComment(event.target.value)} multiline minRows={3} fullWidth margin="normal" slotProps={{ htmlInput: { maxLength: 2000 } }} />
                    {error && <Alert severity="error">{error}</Alert>}
                </DialogContent>
                <DialogActions>
                    <Button onClick={() => setOpen(false)}>Cancel</Button>
                    <Button variant="contained" onClick={send} disabled={!rating}>
                        Publish review
                    </Button>
                </DialogActions>
            </Dialog>
        </>
    );
}

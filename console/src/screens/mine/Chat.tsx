/** Ask the librarian (POST /library/chat): questions in plain words, answered from the library's live data; the
 * books a reply names are links to their pages. */
import { Alert, Box, Button, Card, CardContent, Link, Stack, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { Title } from 'react-admin';
import { Link as RouterLink } from 'react-router-dom';

import { api } from '../../library';
import { explain } from '../../messages';
import { asHttpError } from '../../providers/dataProvider';

interface ChatBook {
    id: number;
    title: string;
    author: string;
    copies_available: number;
}

interface Exchange {
    question: string;
    reply: string;
    books: ChatBook[];
}

const EXAMPLES = ['When is my book due?', 'Is Dune available?', 'Books by Jane Austen', 'How many books can I borrow?'];

export function Chat() {
    const [message, setMessage] = useState('');
    const [exchanges, setExchanges] = useState<Exchange[]>([]);
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);

    const ask = async (question: string) => {
        setBusy(true);
        setError(null);
        try {
            const answer = await api.post<{ reply: string; books: ChatBook[] }>('library/chat', { message: question });
            setExchanges(previous => [{ question, reply: answer.reply, books: answer.books }, ...previous]);
            setMessage('');
        } catch (failure) {
            setError(explain(asHttpError(failure)));
        } finally {
            setBusy(false);
        }
    };
    const submit = (event: FormEvent) => {
        event.preventDefault();
        if (message.trim()) void ask(message.trim());
    };

    return (
        <Box sx={{ p: 2, maxWidth: 820 }}>
            <Title title="Ask the librarian" />
            <Typography component="h1" variant="h5" gutterBottom>
                Ask the librarian
            </Typography>
            <Typography variant="body2" color="text.secondary" gutterBottom>
                About a book's availability, an author's or a genre's books, the lending rules, or your own loans, holds and fines.
            </Typography>
            <form onSubmit={submit}>
                <Stack direction="row" spacing={1} alignItems="flex-start">
                    <TextField label="Your question" value={message} onChange={event => setMessage(event.target.value)} fullWidth slotProps={{ htmlInput: { maxLength: 2000 } }} />
                    <Button type="submit" variant="contained" disabled={busy || !message.trim()} sx={{ height: 56 }}>
                        Ask
                    </Button>
                </Stack>
            </form>
            <Stack direction="row" spacing={1} sx={{ my: 1 }} flexWrap="wrap" useFlexGap>
                {EXAMPLES.map(example => (
                    <Button key={example} size="small" variant="outlined" onClick={() => ask(example)} disabled={busy}>
                        {example}
                    </Button>
                ))}
            </Stack>
            {error && <Alert severity="error">{error}</Alert>}
            <Stack spacing={2} sx={{ mt: 2 }} component="section" aria-label="Answers" aria-live="polite">
                {exchanges.map((exchange, index) => (
                    <Card key={exchanges.length - index} variant="outlined">
                        <CardContent>
                            <Typography variant="body2" color="text.secondary">
                                You asked: {exchange.question}
                            </Typography>
                            <Typography sx={{ mt: 1, whiteSpace: 'pre-line' }}>{exchange.reply}</Typography>
                            {exchange.books.length > 0 && (
                                <Box component="ul" sx={{ mt: 1, mb: 0 }} aria-label="Books in this answer">
                                    {exchange.books.map(book => (
                                        <li key={book.id}>
                                            <Link component={RouterLink} to={`/books/${book.id}/show`}>
                                                {book.title}
                                            </Link>{' '}
                                            by {book.author} ({book.copies_available > 0 ? `${book.copies_available} free now` : 'no copy free'})
                                        </li>
                                    ))}
                                </Box>
                            )}
                        </CardContent>
                    </Card>
                ))}
            </Stack>
        </Box>
    );
}

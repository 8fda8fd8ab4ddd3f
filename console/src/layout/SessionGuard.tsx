/**
 * When the session ends in the middle of work (the refresh cookie expired or was revoked), this dialog asks for
 * the password again over the current screen, so a half-filled form is kept; the request that found the session
 * gone is then sent again. Only the same account may continue.
 */
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, TextField } from '@mui/material';
import { type FormEvent, useEffect, useRef, useState } from 'react';

import { session } from '../library';
import { explain } from '../messages';

export function SessionGuard() {
    const [open, setOpen] = useState(false);
    const [password, setPassword] = useState('');
    const [error, setError] = useState<string | null>(null);
    const settle = useRef<((signedIn: boolean) => void) | null>(null);
    const email = useRef(session.account?.email ?? '');

    useEffect(() => {
        const remember = () => {
            if (session.account) email.current = session.account.email;
        };
        const unsubscribe = session.subscribe(remember);
        session.reauthenticate = () =>
            new Promise<boolean>(resolve => {
                settle.current = resolve;
                setPassword('');
                setError(null);
                setOpen(true);
            });
        return () => {
            unsubscribe();
            session.reauthenticate = null;
        };
    }, []);

    const finish = (signedIn: boolean) => {
        setOpen(false);
        settle.current?.(signedIn);
        settle.current = null;
    };

    const submit = async (event: FormEvent) => {
        event.preventDefault();
        try {
            await session.login(email.current, password);
            finish(true);
        } catch (failure) {
            setError(explain({ message: (failure as Error).message }));
        }
    };

    return (
        <Dialog open={open} aria-labelledby="session-ended-title">
            <form onSubmit={submit}>
                <DialogTitle id="session-ended-title">Your session has ended</DialogTitle>
                <DialogContent>
                    <DialogContentText>
                        Sign in again to carry on: what you were doing is kept and will be sent once you are signed in.
                    </DialogContentText>
                    <TextField label="Email" value={email.current} fullWidth margin="normal" slotProps={{ input: { readOnly: true } }} />
                    <TextField
                        label="Password"
                        type="password"
                        autoComplete="current-password"
                        value={password}
                        onChange={event => setPassword(event.target.value)}
                        fullWidth
                        autoFocus
                        margin="normal"
                        required
                    />
                    {error && <Alert severity="error">{error}</Alert>}
                </DialogContent>
                <DialogActions>
                    <Button onClick={() => finish(false)}>Sign out</Button>
                    <Button type="submit" variant="contained">
                        Sign in
                    </Button>
                </DialogActions>
            </form>
        </Dialog>
    );
}

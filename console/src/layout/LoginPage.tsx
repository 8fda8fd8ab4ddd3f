/** Sign in with the visible fields "Email" and "Password" and the button "Sign in". */
import { Alert, Button, Link, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { useLogin } from 'react-admin';
import { Link as RouterLink } from 'react-router-dom';

import { explain } from '../messages';
import { FORGOT_PASSWORD_PATH } from '../providers/authProvider';
import { PublicPage } from './PublicPage';

export function LoginPage() {
    const login = useLogin();
    const [email, setEmail] = useState('');
    const [password, setPassword] = useState('');
    const [error, setError] = useState<string | null>(null);
    const [busy, setBusy] = useState(false);

    const submit = async (event: FormEvent) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        try {
            await login({ email, password });
        } catch (failure) {
            setError(explain(failure));
        } finally {
            setBusy(false);
        }
    };

    return (
        <PublicPage title="Library console" width={380}>
            <Typography variant="body2" color="text.secondary" gutterBottom>
                Sign in with your library account.
            </Typography>
            <form onSubmit={submit} noValidate>
                <TextField
                    label="Email"
                    type="email"
                    autoComplete="username"
                    value={email}
                    onChange={event => setEmail(event.target.value)}
                    fullWidth
                    margin="normal"
                    required
                    autoFocus
                />
                <TextField
                    label="Password"
                    type="password"
                    autoComplete="current-password"
                    value={password}
                    onChange={event => setPassword(event.target.value)}
                    fullWidth
                    margin="normal"
                    required
                />
                {error && (
                    <Alert severity="error" role="alert" sx={{ mt: 1 }}>
                        {error}
                    </Alert>
                )}
                <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }} disabled={busy}>
                    Sign in
                </Button>
            </form>
            <Typography variant="body2" sx={{ mt: 2 }}>
                <Link component={RouterLink} to={FORGOT_PASSWORD_PATH}>
                    Forgot your password?
                </Link>
            </Typography>
            <Typography variant="body2" sx={{ mt: 1 }}>
                New to the library?{' '}
                <Link component={RouterLink} to="/register">
                    Create an account
                </Link>
            </Typography>
        </PublicPage>
    );
}

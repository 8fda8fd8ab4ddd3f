/**
 * A forgotten password, signed out: ask for a code by email (POST /auth/password-reset, answered alike whether or
 * not the email has an account), then enter it with a new password (POST /auth/password-reset/confirm), which
 * ends every session of the account. The code screen also takes the code from its address (`?code=`).
 */
import { Alert, Button, Link, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { Link as RouterLink, useSearchParams } from 'react-router-dom';

import { BackToSignIn, PublicPage } from '../../layout/PublicPage';
import { authProvider } from '../../library';
import { explain } from '../../messages';
import { asHttpError } from '../../providers/dataProvider';
import { FORGOT_PASSWORD_PATH, RESET_PASSWORD_PATH } from '../../providers/authProvider';

function Failure({ message }: { message: string | null }) {
    return message ? (
        <Alert severity="error" role="alert" sx={{ mt: 1 }}>
            {message}
        </Alert>
    ) : null;
}

export function ForgotPassword() {
    const [email, setEmail] = useState('');
    const [sent, setSent] = useState<string | null>(null);
    const [failure, setFailure] = useState<string | null>(null);

    const submit = async (event: FormEvent) => {
        event.preventDefault();
        setFailure(null);
        try {
            setSent(await authProvider.requestPasswordReset(email));
        } catch (error) {
            setFailure(explain(asHttpError(error)));
        }
    };

    return (
        <PublicPage title="Forgot your password?">
            {sent !== null ? (
                <Alert severity="success" role="status">
                    {sent}. The code works once, for 30 minutes.{' '}
                    <Link component={RouterLink} to={RESET_PASSWORD_PATH}>
                        Enter the code
                    </Link>
                </Alert>
            ) : (
                <form onSubmit={submit} noValidate>
                    <Typography variant="body2" color="text.secondary">
                        Give the email of your library account: we send it a code to choose a new password with.
                    </Typography>
                    <TextField label="Email" type="email" autoComplete="username" value={email} onChange={event => setEmail(event.target.value)} fullWidth margin="normal" required autoFocus />
                    <Failure message={failure} />
                    <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }}>
                        Email me a code
                    </Button>
                </form>
            )}
            <Typography variant="body2" sx={{ mt: 2 }}>
                <Link component={RouterLink} to={RESET_PASSWORD_PATH}>
                    I have a code
                </Link>
            </Typography>
            <BackToSignIn />
        </PublicPage>
    );
}

type ResetFields = { token: string; password: string; repeat: string };

/** Field errors by name, and the message to show, for a refused reset. */
function refusalOf(error: unknown): { errors: Partial<ResetFields>; message: string } {
    const refusal = asHttpError(error) as { body?: { code?: string; errors?: Partial<ResetFields> } };
    return { errors: refusal.body?.errors ?? {}, message: explain(refusal) };
}

/** A code in the address (a link, or pasted) starts the screen afresh with that code. */
export function ResetPassword() {
    const [search] = useSearchParams();
    const code = search.get('code') ?? '';
    return <ResetPasswordForm key={code} code={code} />;
}

function ResetPasswordForm({ code }: { code: string }) {
    const [fields, setFields] = useState<ResetFields>({ token: code, password: '', repeat: '' });
    const [errors, setErrors] = useState<Partial<ResetFields>>({});
    const [failure, setFailure] = useState<string | null>(null);
    const [done, setDone] = useState(false);

    const submit = async (event: FormEvent) => {
        event.preventDefault();
        setFailure(null);
        if (fields.password !== fields.repeat) return setErrors({ repeat: 'The two new passwords differ' });
        setErrors({});
        try {
            await authProvider.resetPassword({ token: fields.token, password: fields.password });
            setDone(true);
        } catch (error) {
            const refused = refusalOf(error);
            setErrors(refused.errors);
            setFailure(refused.message);
        }
    };
    const field = (name: keyof ResetFields, label: string, type: string, help = ' ') => (
        <TextField
            label={label}
            type={type}
            autoComplete={type === 'password' ? 'new-password' : 'one-time-code'}
            value={fields[name]}
            onChange={event => setFields({ ...fields, [name]: event.target.value })}
            error={Boolean(errors[name])}
            helperText={errors[name] ?? help}
            fullWidth
            margin="normal"
            required
        />
    );

    if (done) {
        return (
            <PublicPage title="Choose a new password">
                <Alert severity="success" role="status">
                    Your password is changed, and your account is signed out everywhere. Sign in with the new password.
                </Alert>
                <BackToSignIn>Sign in</BackToSignIn>
            </PublicPage>
        );
    }
    return (
        <PublicPage title="Choose a new password">
            <form onSubmit={submit} noValidate>
                {field('token', 'Code from the email', 'text')}
                {field('password', 'New password', 'password', 'At least 8 characters, without your name or email')}
                {field('repeat', 'New password again', 'password')}
                <Failure message={failure} />
                <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }}>
                    Set the new password
                </Button>
            </form>
            <Typography variant="body2" sx={{ mt: 2 }}>
                <Link component={RouterLink} to={FORGOT_PASSWORD_PATH}>
                    Ask for a new code
                </Link>
            </Typography>
            <BackToSignIn />
        </PublicPage>
    );
}

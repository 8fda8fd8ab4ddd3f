/** Register (POST /auth): name, email, password. A new member waits for staff to activate the account unless the
 * library activates members at once; the screen says which. Public: no sign-in needed. */
import { Alert, Button, TextField } from '@mui/material';
import { type FormEvent, useState } from 'react';

import { BackToSignIn, PublicPage } from '../../layout/PublicPage';
import { api } from '../../library';
import { explain } from '../../messages';
import { asHttpError } from '../../providers/dataProvider';

export function Register() {
    const [fields, setFields] = useState({ name: '', email: '', password: '' });
    const [errors, setErrors] = useState<Record<string, string>>({});
    const [failure, setFailure] = useState<string | null>(null);
    const [created, setCreated] = useState<{ is_active: boolean } | null>(null);

    const submit = async (event: FormEvent) => {
        event.preventDefault();
        setErrors({});
        setFailure(null);
        try {
            setCreated(await api.post<{ is_active: boolean }>('auth', fields, { authenticated: false }));
        } catch (error) {
            const refusal = asHttpError(error) as { body?: { errors?: Record<string, string> } };
            setErrors(refusal.body?.errors ?? {});
            setFailure(explain(refusal));
        }
    };
    const field = (name: keyof typeof fields, label: string, type = 'text', autoComplete?: string) => (
        <TextField
            label={label}
            type={type}
            autoComplete={autoComplete}
            value={fields[name]}
            onChange={event => setFields({ ...fields, [name]: event.target.value })}
            error={Boolean(errors[name])}
            helperText={errors[name] ?? (name === 'password' ? 'At least 8 characters, without your name or email' : undefined)}
            fullWidth
            margin="normal"
            required
        />
    );

    return (
        <PublicPage title="Join the library">
            {created ? (
                <Alert severity="success" role="status">
                    {created.is_active
                        ? 'Your account is ready: sign in to borrow.'
                        : 'Your account is created. A librarian will activate it; you will get an email, and can then sign in and borrow.'}
                </Alert>
            ) : (
                <form onSubmit={submit} noValidate>
                    {field('name', 'Name', 'text', 'name')}
                    {field('email', 'Email', 'email', 'email')}
                    {field('password', 'Password', 'password', 'new-password')}
                    {failure && (
                        <Alert severity="error" role="alert" sx={{ mt: 1 }}>
                            {failure}
                        </Alert>
                    )}
                    <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }}>
                        Create my account
                    </Button>
                </form>
            )}
            <BackToSignIn />
        </PublicPage>
    );
}

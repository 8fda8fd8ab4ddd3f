/** Change your own password (PATCH /auth). The API then ends every session, so you sign in again. */
import { Alert, Box, Button, Card, CardContent, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { Authenticated, Title, useLogout, useNotify } from 'react-admin';

import { session, useLibrary } from '../../library';
import { explain } from '../../messages';

type Errors = Partial<Record<'current_password' | 'password' | 'repeat', string>>;

function ChangePasswordForm() {
    const library = useLibrary();
    const logout = useLogout();
    const notify = useNotify();
    const [fields, setFields] = useState({ current_password: '', password: '', repeat: '' });
    const [errors, setErrors] = useState<Errors>({});
    const [failure, setFailure] = useState<string | null>(null);
    const mustChange = session.account?.must_change_password;

    const field = (name: keyof typeof fields, label: string, autoComplete: string) => (
        <TextField
            label={label}
            name={name}
            type="password"
            autoComplete={autoComplete}
            value={fields[name]}
            onChange={event => setFields({ ...fields, [name]: event.target.value })}
            error={Boolean(errors[name])}
            helperText={errors[name] ?? (name === 'password' ? 'At least 8 characters, not containing your name or email' : ' ')}
            fullWidth
            margin="normal"
            required
        />
    );

    const submit = async (event: FormEvent) => {
        event.preventDefault();
        setFailure(null);
        if (fields.password !== fields.repeat) {
            setErrors({ repeat: 'The two new passwords differ' });
            return;
        }
        setErrors({});
        try {
            await library.changePassword(fields.current_password, fields.password);
            notify('Password changed. Sign in again with the new password.', { type: 'success' });
            logout();
        } catch (error) {
            const body = (error as { body?: { errors?: Errors } }).body;
            if (body?.errors) setErrors(body.errors);
            setFailure(explain(error));
        }
    };

    return (
        <Box sx={{ mt: 2, maxWidth: 520 }}>
            <Title title="Change password" />
            <Card>
                <CardContent>
                    <Typography component="h1" variant="h5" gutterBottom>
                        Change your password
                    </Typography>
                    {mustChange && <Alert severity="info">Your account needs a new password before you carry on.</Alert>}
                    <form onSubmit={submit}>
                        {field('current_password', 'Current password', 'current-password')}
                        {field('password', 'New password', 'new-password')}
                        {field('repeat', 'New password again', 'new-password')}
                        {failure && (
                            <Alert severity="error" role="alert">
                                {failure}
                            </Alert>
                        )}
                        <Button type="submit" variant="contained" sx={{ mt: 2 }}>
                            Change password
                        </Button>
                    </form>
                </CardContent>
            </Card>
        </Box>
    );
}

export function ChangePassword() {
    return (
        <Authenticated>
            <ChangePasswordForm />
        </Authenticated>
    );
}

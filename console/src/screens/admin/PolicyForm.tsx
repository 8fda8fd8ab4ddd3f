/**
 * The lending policy: every rule with its meaning and unit. Anyone signed in may read it (GET /policies is
 * public); changing it needs policies.manage: without it the fields are read-only and the screen says why.
 */
import { Alert, Box, Button, Card, CardContent, InputAdornment, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';

import { moneyStep } from '../../format';
import { api, session } from '../../library';
import { explain } from '../../messages';
import { canAccess, whyNot } from '../../permissions';
import { asHttpError } from '../../providers/dataProvider';

// `currency` is the deployment's, not a policy figure: the money rules' unit, with the digits of its minor unit.
export type Policy = Record<PolicyField, number | string> & { currency?: string; currency_minor_digits?: number };
type PolicyField = 'loan_period_days' | 'max_loans' | 'max_renewals' | 'fine_per_day' | 'fine_cap' | 'hold_pickup_days' | 'block_threshold';

export const POLICY_FIELDS: { name: PolicyField; label: string; unit: string; meaning: string; money?: boolean }[] = [
    { name: 'loan_period_days', label: 'Loan period', unit: 'days', meaning: 'How long a loan, or a renewal, lasts.' },
    { name: 'max_loans', label: 'Loans at once', unit: 'loans', meaning: 'Open loans a member may have at the same time.' },
    { name: 'max_renewals', label: 'Renewals', unit: 'per loan', meaning: 'How many times one loan may be renewed (never while someone is waiting).' },
    { name: 'fine_per_day', label: 'Fine per day late', unit: 'per day', meaning: 'Charged for each day past the due date.', money: true },
    { name: 'fine_cap', label: 'Fine cap', unit: 'per loan', meaning: "The most one loan's late fee can reach.", money: true },
    { name: 'hold_pickup_days', label: 'Hold shelf time', unit: 'days', meaning: 'How long a copy waits on the hold shelf for the member it is kept for.' },
    { name: 'block_threshold', label: 'Borrowing blocked at', unit: 'unpaid', meaning: 'Unpaid fines at or over this amount stop the member borrowing (0: any unpaid fine).', money: true },
];

function changes(draft: Policy, saved: Policy): Partial<Policy> {
    return Object.fromEntries(POLICY_FIELDS.filter(({ name }) => String(draft[name]) !== String(saved[name])).map(({ name, money }) => [name, money ? String(draft[name]) : Number(draft[name])]));
}

export function PolicyForm() {
    const [saved, setSaved] = useState<Policy | null>(null);
    const [draft, setDraft] = useState<Policy | null>(null);
    const [errors, setErrors] = useState<Record<string, string>>({});
    const [failure, setFailure] = useState<string | null>(null);
    const notify = useNotify();
    const mayChange = canAccess(session.account, 'policies', 'edit');

    useEffect(() => {
        api.get<Policy>('policies').then(policy => (setSaved(policy), setDraft(policy)), error => setFailure(explain(asHttpError(error))));
    }, []);

    const save = async () => {
        if (!draft || !saved) return;
        setErrors({});
        setFailure(null);
        try {
            const answer = await api.request<Policy>('policies', { method: 'PATCH', json: changes(draft, saved) });
            setSaved(answer.data);
            setDraft(answer.data);
            notify('The lending policy is saved: it applies to loans from now on.', { type: 'success' });
        } catch (error) {
            const refusal = asHttpError(error) as { body?: { errors?: Record<string, string> } };
            setErrors(refusal.body?.errors ?? {});
            setFailure(explain(refusal));
        }
    };

    return (
        <Box sx={{ p: 2, maxWidth: 760 }}>
            <Title title="Lending policy" />
            <Typography component="h1" variant="h5" gutterBottom>
                Lending policy
            </Typography>
            {!mayChange && <Alert severity="info" sx={{ mb: 2 }}>{whyNot(session.account, 'policies', 'edit')}</Alert>}
            {failure && <Alert severity="error" sx={{ mb: 2 }} role="alert">{failure}</Alert>}
            {draft && saved && (
                <Card>
                    <CardContent>
                        <Stack spacing={2}>
                            {POLICY_FIELDS.map(field => (
                                <TextField
                                    key={field.name}
                                    label={field.label}
                                    type="number"
                                    value={draft[field.name]}
                                    onChange={event => setDraft({ ...draft, [field.name]: event.target.value })}
                                    disabled={!mayChange}
                                    error={Boolean(errors[field.name])}
                                    helperText={errors[field.name] ?? field.meaning}
                                    slotProps={{ htmlInput: { step: field.money ? moneyStep(saved.currency_minor_digits) : '1', min: 0 }, input: { endAdornment: <InputAdornment position="end">{field.money ? `${saved.currency ?? 'money'} ${field.unit}` : field.unit}</InputAdornment> } }}
                                />
                            ))}
                        </Stack>
                        {mayChange && (
                            <Button variant="contained" sx={{ mt: 2 }} onClick={save} disabled={Object.keys(changes(draft, saved)).length === 0}>
                                Save policy
                            </Button>
                        )}
                    </CardContent>
                </Card>
            )}
        </Box>
    );
}

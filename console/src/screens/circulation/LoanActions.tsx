/** The desk's buttons on a loan, a hold or a fine row: return, renew, cancel, pay, waive, with the API's
 * refusals shown in plain words. */
import { Button, Stack } from '@mui/material';
import { useState } from 'react';
import { useNotify, useRecordContext, useRefresh } from 'react-admin';

import { calendarDate } from '../../format';
import { useMoney, useMoneyOnceKnown } from '../../layout/Money';
import { useLibrary } from '../../library';
import { explain } from '../../messages';

function useDeskAction() {
    const notify = useNotify();
    const refresh = useRefresh();
    const [busy, setBusy] = useState(false);
    const run = async (work: () => Promise<string>) => {
        setBusy(true);
        try {
            notify(await work(), { type: 'success', multiLine: true });
            refresh();
        } catch (error) {
            notify(explain(error), { type: 'error', multiLine: true });
        } finally {
            setBusy(false);
        }
    };
    return { busy, run };
}

interface LoanRow {
    id: number;
    title: string;
    returned_on: string | null;
    renewals_left: number;
}

export function returnedMessage(loan: { title: string; days_overdue?: number; fine_amount: string | null; copy_destination?: string }, written: (amount: string) => string) {
    const fine = loan.fine_amount ? ` It was late: a fine of ${written(loan.fine_amount)} is charged.` : '';
    const shelf = loan.copy_destination === 'hold_shelf' ? ' Put the copy on the hold shelf: a member is waiting for it.' : '';
    return `“${loan.title}” is returned.${fine}${shelf}`;
}

export function LoanActions() {
    const loan = useRecordContext<LoanRow>();
    const library = useLibrary();
    const { busy, run } = useDeskAction();
    const moneyWriter = useMoneyOnceKnown();
    if (!loan || loan.returned_on) return null;
    return (
        <Stack direction="row" spacing={1}>
            <Button size="small" variant="outlined" disabled={busy} aria-label={`Return ${loan.title}`}
                onClick={() => run(async () => returnedMessage((await library.returnLoan(loan.id)) as never, await moneyWriter()))}>
                Return
            </Button>
            <Button size="small" disabled={busy} aria-label={`Renew ${loan.title}`}
                onClick={() => run(async () => `Renewed: “${loan.title}” is now due ${calendarDate(String((await library.renewLoan(loan.id)).due_date))}.`)}>
                Renew
            </Button>
        </Stack>
    );
}

export function HoldActions() {
    const hold = useRecordContext<{ id: number; title: string; status: string }>();
    const library = useLibrary();
    const { busy, run } = useDeskAction();
    if (!hold || !['waiting', 'ready'].includes(hold.status)) return null;
    return (
        <Button size="small" disabled={busy} aria-label={`Cancel the hold on ${hold.title}`}
            onClick={() => run(async () => (await library.cancelHold(hold.id), `The hold on “${hold.title}” is cancelled.`))}>
            Cancel hold
        </Button>
    );
}

export function FineActions() {
    const fine = useRecordContext<{ id: number; title: string; amount: string; status: string }>();
    const library = useLibrary();
    const { busy, run } = useDeskAction();
    const written = useMoney();
    if (!fine || fine.status !== 'unpaid') return null;
    const amount = written(fine.amount);
    return (
        <Stack direction="row" spacing={1}>
            <Button size="small" variant="outlined" disabled={busy} aria-label={`Pay the fine of ${amount} for ${fine.title}`}
                onClick={() => run(async () => (await library.payFine(fine.id), `Fine of ${amount} paid.`))}>
                Pay
            </Button>
            <Button size="small" disabled={busy} aria-label={`Waive the fine of ${amount} for ${fine.title}`}
                onClick={() => run(async () => (await library.waiveFine(fine.id), `Fine of ${amount} waived.`))}>
                Waive
            </Button>
        </Stack>
    );
}

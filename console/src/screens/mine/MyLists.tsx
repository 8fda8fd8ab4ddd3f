/**
 * A member's own pages: loans (overdue in red, renew), holds (queue position, ready until, cancel), fines,
 * notices and borrowing history (write a review). Every list asks the API for the signed-in account's rows
 * (`user_id` = the account), which is all the API gives a member anyway.
 */
import { Button, Link, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { DateField, FunctionField, List, NumberField, TextField, useNotify, useRecordContext, useRefresh } from 'react-admin';
import { Link as RouterLink } from 'react-router-dom';

import { calendarDate } from '../../format';
import { Datagrid } from '../../layout/ListRows';
import { MoneyField, useMoney } from '../../layout/Money';
import { session, useLibrary } from '../../library';
import { explain } from '../../messages';
import { ReviewButton } from './ReviewDialog';

interface MyLoan {
    id: number;
    book_id: number;
    title: string;
    status: 'active' | 'overdue' | 'returned';
    due_date: string;
    days_overdue: number;
    renewals_left: number;
    returned_on: string | null;
}

interface MyHold {
    id: number;
    book_id: number;
    title: string;
    status: string;
    position: number | null;
    pickup_by: string | null;
}

function MyList({ resource, title, empty, filter = {}, children }: { resource: string; title: string; empty: string; filter?: Record<string, unknown>; children: ReactNode }) {
    return (
        <List
            resource={resource}
            title={title}
            filter={{ ...filter, user_id: session.account?.id }}
            disableSyncWithLocation
            exporter={false}
            actions={false}
            sort={{ field: 'id', order: 'ASC' }}
            empty={<Typography sx={{ p: 2 }}>{empty}</Typography>}
        >
            <Datagrid bulkActionButtons={false} rowClick={false}>
                {children}
            </Datagrid>
        </List>
    );
}

const BookTitle = ({ label: _label }: { label: string }) => (
    <FunctionField render={(row: { book_id: number; title: string }) => <Link component={RouterLink} to={`/books/${row.book_id}/show`}>{row.title}</Link>} />
);

export function DueDate({ label: _label }: { label: string }) {
    const loan = useRecordContext<MyLoan>();
    if (!loan) return null;
    if (loan.status === 'overdue') {
        return (
            <Typography component="span" variant="body2" color="error" fontWeight="bold">
                {calendarDate(loan.due_date)}: overdue by {loan.days_overdue} {loan.days_overdue === 1 ? 'day' : 'days'}
            </Typography>
        );
    }
    return <Typography component="span" variant="body2">{calendarDate(loan.due_date)}</Typography>;
}

function RenewButton({ label: _label }: { label: string }) {
    const loan = useRecordContext<MyLoan>();
    const library = useLibrary();
    const notify = useNotify();
    const refresh = useRefresh();
    if (!loan || loan.returned_on) return null;
    const renew = async () => {
        try {
            const renewed = await library.renewLoan(loan.id);
            notify(`Renewed: “${loan.title}” is now due ${calendarDate(String(renewed.due_date))}.`, { type: 'success' });
            refresh();
        } catch (error) {
            notify(explain(error), { type: 'error', multiLine: true });
        }
    };
    return (
        <Button size="small" variant="outlined" onClick={renew} disabled={loan.renewals_left === 0} aria-label={loan.renewals_left === 0 ? `No renewals left for ${loan.title}` : `Renew ${loan.title}`}>
            {loan.renewals_left === 0 ? 'No renewals left' : 'Renew'}
        </Button>
    );
}

export function MyLoans() {
    return (
        <MyList resource="my-loans" title="My loans" empty="You have nothing on loan." filter={{ status: 'active' }}>
            <BookTitle label="Title" />
            <DateField source="borrowed_on" label="Borrowed" sortable={false} />
            <DueDate label="Due" />
            <NumberField source="renewals_left" label="Renewals left" sortable={false} />
            <RenewButton label="Renew" />
        </MyList>
    );
}

function HoldState({ label: _label }: { label: string }) {
    const hold = useRecordContext<MyHold>();
    if (!hold) return null;
    if (hold.status === 'waiting') return <>Number {hold.position} in the queue</>;
    if (hold.status === 'ready') return <>Ready for you: borrow it by {hold.pickup_by ? new Date(hold.pickup_by).toLocaleString() : 'soon'}</>;
    return <>{hold.status}</>;
}

function CancelHoldButton({ label: _label }: { label: string }) {
    const hold = useRecordContext<MyHold>();
    const library = useLibrary();
    const notify = useNotify();
    const refresh = useRefresh();
    if (!hold || !['waiting', 'ready'].includes(hold.status)) return null;
    const cancel = async () => {
        try {
            await library.cancelHold(hold.id);
            notify(`Your hold on “${hold.title}” is cancelled.`, { type: 'success' });
            refresh();
        } catch (error) {
            notify(explain(error), { type: 'error' });
        }
    };
    return (
        <Button size="small" onClick={cancel} aria-label={`Cancel hold on ${hold.title}`}>
            Cancel hold
        </Button>
    );
}

export function MyHolds() {
    return (
        <MyList resource="my-holds" title="My holds" empty="You are not waiting for any title.">
            <BookTitle label="Title" />
            <HoldState label="Where it stands" />
            <DateField source="queued_on" label="Placed" sortable={false} />
            <CancelHoldButton label="Cancel" />
        </MyList>
    );
}

export function MyFines() {
    return (
        <MyList resource="my-fines" title="My fines" empty="You have no fines.">
            <BookTitle label="Title" />
            <MoneyField source="amount" label="Amount" sortable={false} />
            <FunctionField label="Status" render={(fine: { status: string; accruing: boolean }) => (fine.accruing ? 'unpaid, still growing until the book is back' : fine.status)} />
            <DateField source="created_on" label="Charged" sortable={false} />
        </MyList>
    );
}

export function MyNotices() {
    return (
        <MyList resource="my-notices" title="My notices" empty="The library has not written to you yet.">
            <DateField source="created_on" label="Written" showTime sortable={false} />
            <TextField source="subject" label="Subject" sortable={false} />
            <TextField source="recipient" label="Sent to" sortable={false} />
            <TextField source="status" label="Delivery" sortable={false} />
        </MyList>
    );
}

function LateFee({ label: _label }: { label: string }) {
    const loan = useRecordContext<{ fine_amount: string | null; fine_status: string | null }>();
    const written = useMoney();
    return <>{loan?.fine_amount ? `${written(loan.fine_amount)} (${loan.fine_status})` : '-'}</>;
}

export function MyHistory() {
    return (
        <MyList resource="my-history" title="My borrowing history" empty="You have not borrowed anything yet.">
            <BookTitle label="Title" />
            <DateField source="borrowed_on" label="Borrowed" sortable={false} />
            <DateField source="returned_on" label="Returned" emptyText="still out" sortable={false} />
            <LateFee label="Late fee" />
            <FunctionField label="Review" render={(loan: MyLoan) => <ReviewButton bookId={loan.book_id} title={loan.title} />} />
        </MyList>
    );
}

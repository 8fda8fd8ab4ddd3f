/**
 * The circulation desk: check a title out to a member (type-ahead on both), check in and renew, settle fines;
 * the API's refusals in plain words, with a hold offered when no copy is free. `?member=` and `?book=` preselect.
 */
import { Alert, Box, Button, Card, CardContent, Stack, Typography } from '@mui/material';
import { type ReactNode, useEffect, useState } from 'react';
import { DateField, FunctionField, ListBase, ReferenceField, TextField, Title, useDataProvider, useRefresh } from 'react-admin';
import { useSearchParams } from 'react-router-dom';

import { calendarDate } from '../../format';
import { Datagrid } from '../../layout/ListRows';
import { MoneyField } from '../../layout/Money';
import { useLibrary } from '../../library';
import { codeOf, explain } from '../../messages';
import { FineActions, LoanActions } from './LoanActions';
import { BookPicker, bookOption, MemberPicker, memberOption, type Option } from './Pickers';

type Outcome = { severity: 'success' | 'error' | 'info'; text: string; offerHold?: boolean } | null;

function usePreselected(resource: string, id: string | null, toOption: (record: Record<string, unknown>) => Option) {
    const dataProvider = useDataProvider();
    const [option, setOption] = useState<Option | null>(null);
    useEffect(() => {
        if (!id) return;
        dataProvider.getOne(resource, { id }).then(({ data }) => setOption(toOption(data)), () => setOption(null));
        // eslint-disable-next-line react-hooks/exhaustive-deps -- toOption is a pure mapping
    }, [dataProvider, resource, id]);
    return [option, setOption] as const;
}

function Panel({ title, children }: { title: string; children: ReactNode }) {
    return (
        <Card component="section" aria-label={title} sx={{ mb: 2 }}>
            <CardContent>
                <Typography component="h2" variant="h6" gutterBottom>
                    {title}
                </Typography>
                {children}
            </CardContent>
        </Card>
    );
}

function CheckOut({ member, setMember, book, setBook }: { member: Option | null; setMember: (o: Option | null) => void; book: Option | null; setBook: (o: Option | null) => void }) {
    const library = useLibrary();
    const refresh = useRefresh();
    const [outcome, setOutcome] = useState<Outcome>(null);
    const [busy, setBusy] = useState(false);
    // One key per intended loan: a double click or a retry after a timeout never lends twice.
    const [attempt, setAttempt] = useState(() => crypto.randomUUID());
    useEffect(() => setAttempt(crypto.randomUUID()), [member?.id, book?.id]);

    const checkOut = async () => {
        if (!member || !book) return;
        setBusy(true);
        try {
            const loan = await library.borrow(book.id, member.id, attempt);
            setOutcome({ severity: 'success', text: `Checked out: “${book.label}” to ${member.label}, due ${calendarDate(String(loan.due_date))}.` });
            setAttempt(crypto.randomUUID());
            refresh();
        } catch (error) {
            setOutcome({ severity: 'error', text: explain(error), offerHold: codeOf(error) === 'BOOK_UNAVAILABLE' });
        } finally {
            setBusy(false);
        }
    };

    const placeHold = async () => {
        if (!member || !book) return;
        try {
            const hold = await library.placeHold(book.id, member.id);
            setOutcome({ severity: 'info', text: `Hold placed: ${member.label} is number ${hold.position} in the queue for “${book.label}”.` });
            refresh();
        } catch (error) {
            setOutcome({ severity: 'error', text: explain(error) });
        }
    };

    return (
        <Panel title="Check out">
            <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} alignItems="flex-start">
                <MemberPicker label="Member" helperText="Name or email" value={member} onChange={option => (setMember(option), setOutcome(null))} />
                <BookPicker label="Title or ISBN" helperText="Words of the title, or the ISBN" value={book} onChange={option => (setBook(option), setOutcome(null))} />
                <Button variant="contained" onClick={checkOut} disabled={!member || !book || busy} sx={{ mt: 1 }}>
                    Check out
                </Button>
            </Stack>
            {outcome && (
                <Alert
                    severity={outcome.severity}
                    role={outcome.severity === 'error' ? 'alert' : 'status'}
                    sx={{ mt: 2 }}
                    action={outcome.offerHold ? <Button onClick={placeHold}>Place a hold</Button> : undefined}
                >
                    {outcome.text}
                </Alert>
            )}
        </Panel>
    );
}

function MemberDesk({ member }: { member: Option }) {
    return (
        <Panel title={`${member.label}: on loan and fines`}>
            <Typography component="h3" variant="subtitle1">
                On loan now
            </Typography>
            <ListBase resource="loans" filter={{ user_id: member.id, status: 'active' }} perPage={50} disableSyncWithLocation>
                <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>Nothing on loan.</Typography>}>
                    <TextField source="title" label="Title" />
                    <DateField source="due_date" label="Due" />
                    <FunctionField label="Status" render={(loan: { status: string; days_overdue: number }) => (loan.status === 'overdue' ? `Overdue by ${loan.days_overdue} days` : 'On time')} />
                    <LoanActions />
                </Datagrid>
            </ListBase>
            <Typography component="h3" variant="subtitle1" sx={{ mt: 2 }}>
                Unpaid fines
            </Typography>
            <ListBase resource="fines" filter={{ user_id: member.id, status: 'unpaid' }} perPage={50} disableSyncWithLocation>
                <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>No unpaid fines.</Typography>}>
                    <TextField source="title" label="Title" />
                    <MoneyField source="amount" label="Amount" />
                    <DateField source="created_on" label="Charged" />
                    <FineActions />
                </Datagrid>
            </ListBase>
        </Panel>
    );
}

function CheckIn() {
    const [book, setBook] = useState<Option | null>(null);
    return (
        <Panel title="Check in">
            <BookPicker label="Returned title or ISBN" helperText="Find the title, then return the member's loan" value={book} onChange={setBook} />
            {book && (
                <Box sx={{ mt: 2 }}>
                    <ListBase resource="loans" filter={{ book_id: book.id, status: 'active' }} perPage={50} disableSyncWithLocation>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>No copy of this title is on loan.</Typography>}>
                            <ReferenceField source="user_id" reference="users" label="Member" link="show" />
                            <DateField source="borrowed_on" label="Borrowed" />
                            <DateField source="due_date" label="Due" />
                            <LoanActions />
                        </Datagrid>
                    </ListBase>
                </Box>
            )}
        </Panel>
    );
}

export function CirculationDesk() {
    const [search] = useSearchParams();
    const [member, setMember] = usePreselected('users', search.get('member'), memberOption);
    const [book, setBook] = usePreselected('books', search.get('book'), bookOption);
    return (
        <Box sx={{ mt: 2 }}>
            <Title title="Circulation desk" />
            <CheckOut member={member} setMember={setMember} book={book} setBook={setBook} />
            {member && <MemberDesk member={member} />}
            <CheckIn />
        </Box>
    );
}

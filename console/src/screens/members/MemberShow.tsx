/** A member's page: their loans out now, holds, fines and borrowing history, with the desk's actions, and
 * activate / deactivate for staff who may manage accounts. */
import CheckoutIcon from '@mui/icons-material/Output';
import { Box, Button, Chip, Stack, Typography } from '@mui/material';
import {
    DateField,
    EditButton,
    FunctionField,
    Labeled,
    NumberField,
    ReferenceField,
    ReferenceManyField,
    Show,
    TextField,
    TopToolbar,
    useCanAccess,
    useNotify,
    useRecordContext,
    useRefresh,
    useUpdate,
} from 'react-admin';
import { Link } from 'react-router-dom';

import { Datagrid } from '../../layout/ListRows';
import { MoneyField, useMoney } from '../../layout/Money';
import { GatedSection } from '../../layout/Section';
import { explain } from '../../messages';
import { FineActions, HoldActions, LoanActions } from '../circulation/LoanActions';

interface Member {
    id: number;
    name: string;
    email: string;
    role: string;
    is_active: boolean;
    groups: { id: number; name: string }[];
}

function ActivationButton() {
    const member = useRecordContext<Member>();
    const [update, { isPending }] = useUpdate();
    const notify = useNotify();
    const refresh = useRefresh();
    const { canAccess } = useCanAccess({ resource: 'users', action: 'edit' });
    if (!member || !canAccess) return null;
    const activate = !member.is_active;
    const change = () =>
        update(
            'users',
            { id: member.id, data: { is_active: activate }, previousData: member },
            {
                mutationMode: 'pessimistic',
                onSuccess: () => {
                    notify(activate ? `${member.name} can now sign in and borrow.` : `${member.name}'s account is deactivated.`, { type: 'success' });
                    refresh();
                },
                onError: error => notify(explain(error), { type: 'error', multiLine: true }),
            },
        );
    return (
        <Button onClick={change} disabled={isPending} variant={activate ? 'contained' : 'text'}>
            {activate ? 'Activate account' : 'Deactivate account'}
        </Button>
    );
}

function Actions() {
    const member = useRecordContext<Member>();
    const desk = useCanAccess({ resource: 'circulation', action: 'list' });
    const manage = useCanAccess({ resource: 'users', action: 'edit' });
    return (
        <TopToolbar>
            {desk.canAccess && member && (
                <Button component={Link} to={`/circulation?member=${member.id}`} startIcon={<CheckoutIcon />}>
                    Check out a book
                </Button>
            )}
            <ActivationButton />
            {manage.canAccess && <EditButton label="Role and groups" />}
        </TopToolbar>
    );
}

function Header() {
    const member = useRecordContext<Member>();
    if (!member) return null;
    return (
        <Box>
            <Typography component="h1" variant="h5">
                {member.name}
            </Typography>
            <Stack direction="row" spacing={4} flexWrap="wrap" useFlexGap sx={{ my: 1 }}>
                <Labeled label="Email"><TextField source="email" /></Labeled>
                <Labeled label="Role"><TextField source="role" /></Labeled>
                <Labeled label="Member since"><DateField source="membership_date" /></Labeled>
                <Labeled label="Groups">
                    <FunctionField render={(record: Member) => (record.groups.length ? record.groups.map(group => group.name).join(', ') : 'none')} />
                </Labeled>
            </Stack>
            <Chip color={member.is_active ? 'success' : 'warning'} label={member.is_active ? 'Active account' : 'Not active: cannot sign in or borrow'} />
        </Box>
    );
}

function HistoryFine({ label: _label }: { label: string }) {
    const loan = useRecordContext<{ fine: { amount: string; status: string } | null }>();
    const written = useMoney();
    return <>{loan?.fine ? `${written(loan.fine.amount)} (${loan.fine.status})` : '-'}</>;
}

export function MemberShow() {
    return (
        <Show actions={<Actions />} title={<MemberTitle />}>
            <Box sx={{ p: 2 }}>
                <Header />
                <GatedSection title="On loan now" resource="loans">
                    <ReferenceManyField reference="loans" target="user_id" filter={{ status: 'active' }} perPage={50}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>Nothing on loan.</Typography>}>
                            <ReferenceField source="book_id" reference="books" label="Title" link="show"><TextField source="title" /></ReferenceField>
                            <DateField source="borrowed_on" label="Borrowed" />
                            <DateField source="due_date" label="Due" />
                            <FunctionField label="Status" render={(loan: { status: string; days_overdue: number }) => (loan.status === 'overdue' ? `Overdue by ${loan.days_overdue} days` : 'On time')} />
                            <NumberField source="renewals_left" label="Renewals left" />
                            <LoanActions />
                        </Datagrid>
                    </ReferenceManyField>
                </GatedSection>
                <GatedSection title="Holds" resource="holds">
                    <ReferenceManyField reference="holds" target="user_id" perPage={20}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>No holds.</Typography>}>
                            <TextField source="title" label="Title" />
                            <TextField source="status" label="Status" />
                            <NumberField source="position" label="Queue position" emptyText="-" />
                            <DateField source="pickup_by" label="Pick up by" emptyText="-" />
                            <HoldActions />
                        </Datagrid>
                    </ReferenceManyField>
                </GatedSection>
                <GatedSection title="Fines" resource="fines">
                    <ReferenceManyField reference="fines" target="user_id" perPage={20}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>No fines.</Typography>}>
                            <TextField source="title" label="Title" />
                            <MoneyField source="amount" label="Amount" />
                            <FunctionField label="Status" render={(fine: { status: string; accruing: boolean }) => (fine.accruing ? 'unpaid, still growing (book out)' : fine.status)} />
                            <DateField source="created_on" label="Charged" />
                            <FineActions />
                        </Datagrid>
                    </ReferenceManyField>
                </GatedSection>
                <GatedSection title="Borrowing history" resource="history">
                    <ReferenceManyField reference="history" target="user_id" perPage={10}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>Never borrowed.</Typography>}>
                            <FunctionField label="Title" render={(loan: { book: { title: string } }) => loan.book.title} />
                            <DateField source="borrowed_on" label="Borrowed" />
                            <DateField source="due_date" label="Due" />
                            <DateField source="returned_on" label="Returned" emptyText="still out" />
                            <HistoryFine label="Fine" />
                        </Datagrid>
                    </ReferenceManyField>
                </GatedSection>
            </Box>
        </Show>
    );
}

function MemberTitle() {
    const member = useRecordContext<Member>();
    return <span>{member ? member.name : 'Member'}</span>;
}

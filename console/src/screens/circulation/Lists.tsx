/** Every member's loans, holds and fines for staff (the dashboard's tiles open these, filtered), with the desk's
 * actions on each row. */
import { DateField, FunctionField, List, NumberField, ReferenceField, SelectInput, TextField } from 'react-admin';

import { Datagrid } from '../../layout/ListRows';
import { MoneyField } from '../../layout/Money';
import { FineActions, HoldActions, LoanActions } from './LoanActions';

const choices = (...ids: string[]) => ids.map(id => ({ id, name: id.charAt(0).toUpperCase() + id.slice(1) }));

export function LoanList() {
    return (
        <List title="Loans" filters={[<SelectInput key="status" source="status" label="Status" choices={choices('active', 'overdue', 'returned')} alwaysOn />]} exporter={false} sort={{ field: 'id', order: 'ASC' }}>
            <Datagrid bulkActionButtons={false} rowClick={false}>
                <ReferenceField source="book_id" reference="books" label="Title" link="show" sortable={false}><TextField source="title" /></ReferenceField>
                <ReferenceField source="user_id" reference="users" label="Member" link="show" sortable={false} />
                <DateField source="borrowed_on" label="Borrowed" sortable={false} />
                <DateField source="due_date" label="Due" sortable={false} />
                <FunctionField label="Status" render={(loan: { status: string; days_overdue: number }) => (loan.status === 'overdue' ? `Overdue by ${loan.days_overdue} days` : loan.status)} />
                <LoanActions />
            </Datagrid>
        </List>
    );
}

export function HoldList() {
    return (
        <List title="Holds" filters={[<SelectInput key="status" source="status" label="Status" choices={choices('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')} alwaysOn />]} exporter={false} sort={{ field: 'id', order: 'ASC' }}>
            <Datagrid bulkActionButtons={false} rowClick={false}>
                <ReferenceField source="book_id" reference="books" label="Title" link="show" sortable={false}><TextField source="title" /></ReferenceField>
                <ReferenceField source="user_id" reference="users" label="Member" link="show" sortable={false} />
                <TextField source="status" label="Status" sortable={false} />
                <NumberField source="position" label="Queue position" emptyText="-" sortable={false} />
                <DateField source="queued_on" label="Queued" sortable={false} />
                <DateField source="pickup_by" label="Pick up by" emptyText="-" sortable={false} />
                <HoldActions />
            </Datagrid>
        </List>
    );
}

export function FineList() {
    return (
        <List title="Fines" filters={[<SelectInput key="status" source="status" label="Status" choices={choices('unpaid', 'paid', 'waived')} alwaysOn />]} exporter={false} sort={{ field: 'id', order: 'ASC' }}>
            <Datagrid bulkActionButtons={false} rowClick={false}>
                <TextField source="title" label="Title" sortable={false} />
                <ReferenceField source="user_id" reference="users" label="Member" link="show" sortable={false} />
                <MoneyField source="amount" label="Amount" sortable={false} />
                <FunctionField label="Status" render={(fine: { status: string; accruing: boolean }) => (fine.accruing ? 'unpaid, still growing (book out)' : fine.status)} />
                <DateField source="created_on" label="Charged" sortable={false} />
                <FineActions />
            </Datagrid>
        </List>
    );
}

/** Notices the library sent or is sending (users.view sees every member's): filter by delivery status and kind,
 * so a failed email is found and its address checked. */
import { DateField, List, NumberField, ReferenceField, SelectInput, TextField } from 'react-admin';

import { Datagrid } from '../../layout/ListRows';

const STATUSES = [
    { id: 'sent', name: 'Sent' },
    { id: 'failed', name: 'Failed (given up after 5 attempts)' },
    { id: 'queued', name: 'Queued (waiting to be sent)' },
];
export const NOTICE_KINDS = [
    { id: 'borrow_receipt', name: 'Borrow receipt' },
    { id: 'due_soon', name: 'Due soon' },
    { id: 'overdue', name: 'Overdue' },
    { id: 'hold_ready', name: 'Hold ready' },
    { id: 'hold_expired', name: 'Hold expired' },
    { id: 'fine_charged', name: 'Fine charged' },
    { id: 'account_activated', name: 'Account activated' },
];

const filters = [
    <SelectInput key="status" source="status" label="Delivery" choices={STATUSES} alwaysOn />,
    <SelectInput key="kind" source="kind" label="Kind" choices={NOTICE_KINDS} alwaysOn />,
];

export function NoticeList() {
    return (
        <List title="Notices" filters={filters} exporter={false} sort={{ field: 'id', order: 'DESC' }}>
            <Datagrid bulkActionButtons={false} rowClick={false}>
                <DateField source="created_on" label="Written" showTime sortable={false} />
                <ReferenceField source="user_id" reference="users" label="Member" link="show" sortable={false} />
                <TextField source="recipient" label="Sent to" sortable={false} />
                <TextField source="subject" label="Subject" sortable={false} />
                <TextField source="status" label="Delivery" sortable={false} />
                <NumberField source="attempts" label="Attempts" sortable={false} />
                <DateField source="sent_on" label="Sent" showTime emptyText="-" sortable={false} />
            </Datagrid>
        </List>
    );
}

/** Members (and staff): search by name or email, filter by role and whether the account is active. */
import { BooleanField, DateField, List, SelectInput, TextField, TextInput } from 'react-admin';

import { Datagrid, Pagination } from '../../layout/ListRows';
import { RecordLink } from '../../layout/RecordLink';

export const ROLE_CHOICES = [
    { id: 'member', name: 'Member' },
    { id: 'librarian', name: 'Librarian' },
    { id: 'admin', name: 'Administrator' },
];

const filters = [
    <TextInput key="q" source="q" label="Search" alwaysOn resettable helperText="Name or email" />,
    <SelectInput key="role" source="role" label="Role" choices={ROLE_CHOICES} alwaysOn />,
    <SelectInput
        key="is_active"
        source="is_active"
        label="Account"
        alwaysOn
        choices={[
            { id: 'true', name: 'Active' },
            { id: 'false', name: 'Not active' },
        ]}
    />,
];

export function MemberList() {
    return (
        <List title="Members" filters={filters} perPage={20} pagination={<Pagination rowsPerPageOptions={[10, 20, 50, 100]} />} sort={{ field: 'id', order: 'ASC' }} exporter={false}>
            <Datagrid rowClick="show" bulkActionButtons={false}>
                <RecordLink source="name" label="Name" sortable={false} />
                <TextField source="email" label="Email" sortable={false} />
                <TextField source="role" label="Role" sortable={false} />
                <BooleanField source="is_active" label="Active" sortable={false} />
                <DateField source="membership_date" label="Member since" sortable={false} />
            </Datagrid>
        </List>
    );
}

/**
 * Permission groups and permissions (groups.manage). A group's permissions are ticked from the API's list; the
 * ones the signed-in account does not hold itself are disabled, saying why (the API answers CANNOT_GRANT).
 */
import { Typography } from '@mui/material';
import {
    BooleanField,
    CheckboxGroupInput,
    Create,
    DeleteButton,
    Edit,
    FunctionField,
    List,
    NumberField,
    required,
    SaveButton,
    SimpleForm,
    TextField,
    TextInput,
    Toolbar,
    useGetList,
    useRecordContext,
} from 'react-admin';

import { Datagrid } from '../../layout/ListRows';
import { session } from '../../library';

interface Permission {
    id: number;
    code: string;
    name: string;
    description: string;
}

export function GroupList() {
    return (
        <List title="Permission groups" exporter={false} sort={{ field: 'id', order: 'ASC' }}>
            <Datagrid rowClick="edit" bulkActionButtons={false}>
                <TextField source="name" label="Group" sortable={false} />
                <TextField source="description" label="Description" sortable={false} />
                <FunctionField label="Permissions" render={(group: { permissions: string[] }) => group.permissions.join(', ') || 'none'} />
                <NumberField source="member_count" label="Members" sortable={false} />
                <BooleanField source="is_builtin" label="Built in" sortable={false} />
            </Datagrid>
        </List>
    );
}

/** Every permission as a checkbox; those the account may not grant are disabled. */
function PermissionsInput() {
    const { data = [], isPending } = useGetList<Permission>('permissions', { pagination: { page: 1, perPage: 100 }, sort: { field: 'id', order: 'ASC' } });
    const account = session.account;
    const mayGrant = (code: string) => account?.role === 'admin' || Boolean(account?.permissions.includes(code));
    const choices = data.map(permission => ({
        id: permission.code,
        name: `${permission.code}: ${permission.name}${mayGrant(permission.code) ? '' : ' (you do not hold it, so you cannot grant it)'}`,
        not_available: !mayGrant(permission.code),
    }));
    if (isPending) return null;
    return <CheckboxGroupInput source="permissions" label="Permissions" choices={choices} disableValue="not_available" row={false} />;
}

function GroupForm() {
    return (
        <SimpleForm toolbar={<GroupToolbar />}>
            <TextInput source="name" label="Name" validate={required()} helperText="Built-in groups keep their name" />
            <TextInput source="description" label="Description" multiline fullWidth />
            <PermissionsInput />
        </SimpleForm>
    );
}

function GroupToolbar() {
    const group = useRecordContext<{ is_builtin: boolean; member_count: number }>();
    return (
        <Toolbar sx={{ justifyContent: 'space-between' }}>
            <SaveButton />
            {group && !group.is_builtin && (
                <DeleteButton mutationMode="pessimistic" confirmTitle="Delete this group?" confirmContent={`Its ${group.member_count} members lose the permissions it gives them.`} />
            )}
            {group?.is_builtin && <Typography variant="body2">A built-in group cannot be deleted.</Typography>}
        </Toolbar>
    );
}

export function GroupCreate() {
    return (
        <Create title="New permission group" redirect="list">
            <GroupForm />
        </Create>
    );
}

export function GroupEdit() {
    return (
        <Edit title="Permission group" mutationMode="pessimistic" redirect="list" transform={({ name, description, permissions }: Record<string, unknown>) => ({ name, description, permissions })}>
            <GroupForm />
        </Edit>
    );
}

export function PermissionList() {
    return (
        <List title="Permissions" exporter={false} sort={{ field: 'id', order: 'ASC' }} perPage={50}>
            <Datagrid bulkActionButtons={false} rowClick={false}>
                <TextField source="code" label="Code" sortable={false} />
                <TextField source="name" label="Name" sortable={false} />
                <TextField source="description" label="Description" sortable={false} />
                <BooleanField source="is_builtin" label="Built in" sortable={false} />
            </Datagrid>
        </List>
    );
}

export function PermissionCreate() {
    return (
        <Create title="New permission" redirect="list">
            <SimpleForm>
                <TextInput source="code" label="Code" validate={required()} helperText="Lower case, dotted, e.g. reports.export" />
                <TextInput source="name" label="Name" validate={required()} />
                <TextInput source="description" label="Description" multiline fullWidth />
            </SimpleForm>
        </Create>
    );
}

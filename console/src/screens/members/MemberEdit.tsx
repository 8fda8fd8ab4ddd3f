/** Change a member's role, groups and whether the account is active (users.manage; groups need groups.manage). */
import { Typography } from '@mui/material';
import {
    BooleanInput,
    Edit,
    ReferenceArrayInput,
    SelectArrayInput,
    SaveButton,
    SelectInput,
    SimpleForm,
    TextInput,
    Toolbar,
    useCanAccess,
    useRecordContext,
} from 'react-admin';

import { ROLE_CHOICES } from './MemberList';

function GroupsInput() {
    const member = useRecordContext<{ groups: { name: string }[] }>();
    const { canAccess, isPending } = useCanAccess({ resource: 'groups', action: 'list' });
    if (isPending) return null;
    if (!canAccess) {
        return (
            <Typography variant="body2" sx={{ my: 1 }}>
                Groups: {member?.groups.map(group => group.name).join(', ') || 'none'}. Changing groups needs the groups.manage permission.
            </Typography>
        );
    }
    return (
        <ReferenceArrayInput source="permission_groups" reference="groups" perPage={100}>
            <SelectArrayInput label="Permission groups" optionText="name" />
        </ReferenceArrayInput>
    );
}

export function MemberEdit() {
    return (
        <Edit
            title="Role and groups"
            mutationMode="pessimistic"
            redirect="show"
            // The API takes groups as ids (permission_groups); the record carries them as objects (groups).
            queryOptions={{ select: member => ({ ...member, permission_groups: (member.groups as { id: number }[]).map(group => group.id) }) }}
            transform={(data: Record<string, unknown>) => {
                const { name, email, role, is_active, permission_groups } = data;
                return { name, email, role, is_active, permission_groups };
            }}
        >
            {/* Save only: deactivating is its own button on the member's page (DELETE would read as erasing). */}
            <SimpleForm toolbar={<Toolbar><SaveButton /></Toolbar>}>
                <TextInput source="name" label="Name" />
                <TextInput source="email" label="Email" type="email" />
                <SelectInput source="role" label="Role" choices={ROLE_CHOICES} />
                <BooleanInput source="is_active" label="Account active" />
                <GroupsInput />
            </SimpleForm>
        </Edit>
    );
}

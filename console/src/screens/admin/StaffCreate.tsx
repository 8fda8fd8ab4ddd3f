/** A new account (users.manage): staff or member, active or not, in groups. Only an admin creates admins; groups
 * need groups.manage. The API's refusals (a taken email, CANNOT_GRANT) come back at their fields. */
import { Typography } from '@mui/material';
import { BooleanInput, Create, PasswordInput, ReferenceArrayInput, required, SelectArrayInput, SelectInput, SimpleForm, TextInput, useCanAccess } from 'react-admin';

import { session } from '../../library';
import { ROLE_CHOICES } from '../members/MemberList';

function GroupsInput() {
    const { canAccess, isPending } = useCanAccess({ resource: 'groups', action: 'list' });
    if (isPending) return null;
    if (!canAccess) {
        return (
            <Typography variant="body2" sx={{ my: 1 }}>
                Groups: a librarian starts in "librarians". Choosing other groups needs the groups.manage permission.
            </Typography>
        );
    }
    return (
        <ReferenceArrayInput source="permission_groups" reference="groups" perPage={100}>
            <SelectArrayInput label="Permission groups" optionText="name" helperText="A librarian with none chosen starts in librarians" />
        </ReferenceArrayInput>
    );
}

export function StaffCreate() {
    const isAdmin = session.account?.role === 'admin';
    const roles = ROLE_CHOICES.map(choice => ({ ...choice, not_available: choice.id === 'admin' && !isAdmin, name: choice.id === 'admin' && !isAdmin ? 'Administrator (only an administrator creates one)' : choice.name }));
    return (
        <Create title="New account" redirect="show">
            <SimpleForm defaultValues={{ role: 'librarian', is_active: true }}>
                <TextInput source="name" label="Name" validate={required()} />
                <TextInput source="email" label="Email" type="email" validate={required()} />
                <PasswordInput source="password" label="Password" validate={required()} helperText="At least 8 characters, without the name or email" />
                <SelectInput source="role" label="Role" choices={roles} disableValue="not_available" validate={required()} />
                <BooleanInput source="is_active" label="Account active" />
                <GroupsInput />
            </SimpleForm>
        </Create>
    );
}

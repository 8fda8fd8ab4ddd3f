/** The console's first screen: the dashboard for staff who may see the reports; a welcome with the screens the
 * account may use for everyone else (no redirect: the address stays the console's home). */
import { Box, Button, Stack, Typography } from '@mui/material';
import { Title, useCanAccess, useGetIdentity } from 'react-admin';
import { Link } from 'react-router-dom';

import { MENU } from '../../layout/Layout';
import { Dashboard } from './Dashboard';

function Shortcut({ to, label, resource }: { to: string; label: string; resource: string }) {
    const { canAccess } = useCanAccess({ resource, action: 'list' });
    if (!canAccess || to === '/') return null;
    return (
        <Button component={Link} to={to} variant="outlined">
            {label}
        </Button>
    );
}

function Welcome() {
    const { identity } = useGetIdentity();
    return (
        <Box sx={{ p: 2 }}>
            <Title title="Welcome" />
            <Typography component="h1" variant="h5" gutterBottom>
                Welcome{identity?.fullName ? `, ${identity.fullName}` : ''}
            </Typography>
            <Stack direction="row" spacing={2} flexWrap="wrap" useFlexGap>
                {MENU.map(entry => (
                    <Shortcut key={entry.to} to={entry.to} label={entry.label} resource={entry.resource} />
                ))}
            </Stack>
        </Box>
    );
}

export function Home() {
    const { canAccess, isPending } = useCanAccess({ resource: 'dashboard', action: 'list' });
    if (isPending) return null;
    return canAccess ? <Dashboard /> : <Welcome />;
}

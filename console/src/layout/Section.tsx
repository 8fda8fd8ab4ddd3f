/** A titled part of a record's page: a landmark named by its heading, so screen readers and tests can find it. */
import { Alert, Box, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { useCanAccess } from 'react-admin';

import { requiredPermission } from '../permissions';

export function Section({ title, children }: { title: string; children: ReactNode }) {
    return (
        <Box component="section" aria-label={title} sx={{ mt: 3 }}>
            <Typography component="h2" variant="h6" gutterBottom>
                {title}
            </Typography>
            {children}
        </Box>
    );
}

/** A section listing `resource`: accounts that may not list it are told which permission it takes. */
export function GatedSection({ title, resource, children }: { title: string; resource: string; children: ReactNode }) {
    const { canAccess, isPending } = useCanAccess({ resource, action: 'list' });
    if (isPending) return null;
    return (
        <Section title={title}>
            {canAccess ? children : <Alert severity="info">Seeing {title.toLowerCase()} needs the {requiredPermission(resource, 'list')} permission.</Alert>}
        </Section>
    );
}

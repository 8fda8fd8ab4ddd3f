/** Shown instead of a screen the account may not use: which permission it needs, and who is signed in. */
import LockIcon from '@mui/icons-material/Lock';
import { Alert, AlertTitle, Box, Button } from '@mui/material';
import { useEffect } from 'react';
import { Title } from 'react-admin';
import { Link, useLocation } from 'react-router-dom';

import { session } from '../library';
import { whyNot } from '../permissions';

const ACTIONS: Record<string, string> = { create: 'create', edit: 'edit', show: 'show' };
const ACCESS_DENIED_PATH = '/access-denied';

// react-admin sends a refused screen to /access-denied: the screen that was asked for is remembered here.
let requestedPath = '/books';

/** Rendered by the layout on every screen: keeps the path of the last screen asked for. */
export function RememberRequestedScreen() {
    const { pathname } = useLocation();
    useEffect(() => {
        if (pathname !== ACCESS_DENIED_PATH) requestedPath = pathname;
    }, [pathname]);
    return null;
}

export function reasonFor(pathname: string): string {
    const [resource = 'books', second, third] = pathname.replace(/^\//, '').split('/');
    const action = second === 'create' ? 'create' : third === 'show' ? 'show' : second ? 'edit' : 'list';
    return whyNot(session.account, resource, ACTIONS[action] ?? action);
}

export function AccessDenied({ reason }: { reason?: string }) {
    const location = useLocation();
    return (
        <Box sx={{ p: 2, maxWidth: 720 }}>
            <Title title="Not available to your account" />
            <Alert severity="warning" icon={<LockIcon />} role="alert">
                <AlertTitle>Not available to your account</AlertTitle>
                {reason ?? reasonFor(location.pathname === ACCESS_DENIED_PATH ? requestedPath : location.pathname)}
            </Alert>
            <Button component={Link} to="/books" sx={{ mt: 2 }}>
                Go to the catalogue
            </Button>
        </Box>
    );
}

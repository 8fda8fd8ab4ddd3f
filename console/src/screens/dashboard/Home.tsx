/** The console's first screen: the dashboard for staff who may see the reports, the catalogue for everyone else. */
import { useEffect } from 'react';
import { useCanAccess } from 'react-admin';
import { useNavigate } from 'react-router-dom';

import { Dashboard } from './Dashboard';

export function Home() {
    const { canAccess, isPending } = useCanAccess({ resource: 'dashboard', action: 'list' });
    const navigate = useNavigate();
    const elsewhere = !isPending && !canAccess;
    useEffect(() => {
        if (elsewhere) navigate('/books', { replace: true });
    }, [elsewhere, navigate]);
    return canAccess ? <Dashboard /> : null;
}

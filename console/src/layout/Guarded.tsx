/** A custom screen shown only to accounts that may use it; the others see why not. */
import type { ReactNode } from 'react';
import { Authenticated, useCanAccess } from 'react-admin';

import { session } from '../library';
import { whyNot } from '../permissions';
import { AccessDenied } from './AccessDenied';

function Check({ resource, children }: { resource: string; children: ReactNode }) {
    const { canAccess, isPending } = useCanAccess({ resource, action: 'list' });
    if (isPending) return null;
    return canAccess ? <>{children}</> : <AccessDenied reason={whyNot(session.account, resource)} />;
}

export function Guarded({ resource, children }: { resource: string; children: ReactNode }) {
    return (
        <Authenticated>
            <Check resource={resource}>{children}</Check>
        </Authenticated>
    );
}

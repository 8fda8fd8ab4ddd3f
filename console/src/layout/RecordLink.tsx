/** A list's main column as a real link to the record's page, so rows open with the keyboard too. */
import { Link } from '@mui/material';
import { useCreatePath, useRecordContext, useResourceContext } from 'react-admin';
import { Link as RouterLink } from 'react-router-dom';

export function RecordLink({ source }: { source: string; label?: string; sortable?: boolean }) {
    const record = useRecordContext();
    const resource = useResourceContext();
    const createPath = useCreatePath();
    if (!record || !resource) return null;
    return (
        <Link component={RouterLink} to={createPath({ resource, type: 'show', id: record.id })} onClick={event => event.stopPropagation()}>
            {String(record[source] ?? '')}
        </Link>
    );
}

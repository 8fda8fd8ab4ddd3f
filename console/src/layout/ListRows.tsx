/**
 * A list's rows and pages as the console shows them: react-admin's Datagrid and Pagination, except where the list's
 * request failed. react-admin then shows its "No … found" (or the screen's own empty text) and a page count, as if
 * there were nothing to see; here a refusal (403) says the account may not see this list, with the API's reason,
 * and any other failure says the list could not be loaded. Every List, ListBase and ReferenceManyField of the
 * console renders its rows through this Datagrid; every List pages with this Pagination (the theme's default).
 */
import LockIcon from '@mui/icons-material/Lock';
import { Alert, AlertTitle } from '@mui/material';
import { Datagrid as RaDatagrid, type DatagridProps, Pagination as RaPagination, type PaginationProps, useListContext } from 'react-admin';

import { listFailure } from '../messages';

function ListFailure({ error }: { error: unknown }) {
    const failure = listFailure(error);
    return (
        <Alert severity={failure.refused ? 'warning' : 'error'} icon={failure.refused ? <LockIcon /> : undefined} role="alert" sx={{ m: 1 }}>
            <AlertTitle>{failure.title}</AlertTitle>
            {failure.detail}
        </Alert>
    );
}

export function Datagrid(props: DatagridProps) {
    const { error } = useListContext();
    return error ? <ListFailure error={error} /> : <RaDatagrid {...props} />;
}

/** No "1-20 of 20" under a list that failed to load. */
export function Pagination(props: PaginationProps) {
    const { error } = useListContext();
    return error ? null : <RaPagination {...props} />;
}

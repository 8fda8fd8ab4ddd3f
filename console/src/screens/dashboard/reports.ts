/** One report route (GET /reports/{name}) as a query: cached, refetched when its query changes. */
import { useQuery } from '@tanstack/react-query';

import type { Query } from '../../api/client';
import { useLibrary } from '../../library';

/** One report, refetched when its query changes; the API's refusal (422, 403) comes back as `error`. Not asked
 * while `enabled` is false (a query waiting on another report's answer). */
export function useReport<T>(name: string, query: Query = {}, { enabled = true } = {}) {
    const library = useLibrary();
    return useQuery({ queryKey: ['report', name, query], queryFn: () => library.report<T>(name, query), retry: false, enabled });
}

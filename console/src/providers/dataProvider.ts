/**
 * The one data provider: react-admin's calls as API requests (the envelope, `page`/`page_size`/`total`, `ordering`),
 * API refusals as react-admin HttpErrors whose `body.errors` puts each 422 message at its field, and the
 * circulation desk's and import screen's operations as extra methods.
 */
import { type DataProvider, HttpError } from 'ra-core';

import { type ApiClient, ApiError, type Page, type Query } from '../api/client';
import { explain } from '../messages';
import { definitionOf, filterQuery } from './resources';

type Item = Record<string, unknown>;

/** The API's field errors as react-admin's form errors: `{isbn: "…"}`; errors of no form field go to `root`. */
export function formErrors(error: ApiError): Record<string, unknown> {
    const errors: Record<string, unknown> = {};
    for (const { field, message } of error.errors) {
        const name = field && field !== 'body' ? field : 'root.serverError';
        const path = name.split('.');
        let level = errors;
        path.slice(0, -1).forEach(part => {
            level = (level[part] ??= {}) as Record<string, unknown>;
        });
        const last = path[path.length - 1];
        level[last] = level[last] ? `${level[last]} ${message}` : message;
    }
    return errors;
}

/** Any failure as react-admin expects it: message, status, and a body with the API's code and field errors. */
export function asHttpError(error: unknown): unknown {
    if (!(error instanceof ApiError)) return error;
    const body: Record<string, unknown> = { code: error.code, message: error.message };
    if (error.errors.length) body.errors = formErrors(error);
    // The message in plain words: react-admin notifies a failed list or form with it (a 403 says which
    // permission); the API's own message stays in the body.
    return new HttpError(explain({ status: error.status, body }), error.status, body);
}

/** Only what changed: PATCH semantics, so a form never overwrites a field someone else changed meanwhile. */
export function changedFields(data: Item, previous: Item | undefined): Item {
    if (!previous) return data;
    const changes: Item = {};
    for (const [name, value] of Object.entries(data)) {
        if (JSON.stringify(value) !== JSON.stringify(previous[name])) changes[name] = value;
    }
    return changes;
}

export interface ImportReport {
    rows: number;
    created: number;
    updated: number;
    failed: number;
    errors: { row: number | null; field: string | null; message: string }[];
    errors_truncated: boolean;
    dry_run: boolean;
    applied: boolean;
}

export interface ImportJob extends Omit<ImportReport, 'rows' | 'errors_truncated' | 'applied'> {
    id: number;
    status: 'pending' | 'running' | 'succeeded' | 'failed';
    rows_total: number;
    rows_done: number;
    message: string | null;
}

export interface PresignedUpload {
    url: string;
    fields: Record<string, string>;
    max_bytes: number;
}

export interface IsbnCheck {
    isbn: string;
    valid: boolean;
    isbn_13: string | null;
    message: string;
    book: { id: number; title: string; author: string } | null;
}

export type LibraryDataProvider = ReturnType<typeof createDataProvider>;

export function createDataProvider(api: ApiClient, upload: typeof fetch = (...args) => fetch(...args)) {
    // react-admin's methods are generic in the record type; the API's items are what the screens declare.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const record = (resource: string, item: Item): any => {
        const definition = definitionOf(resource);
        return definition.toRecord ? definition.toRecord(item) : item;
    };
    const call = async <T>(work: () => Promise<T>): Promise<T> => {
        try {
            return await work();
        } catch (error) {
            throw asHttpError(error);
        }
    };
    const listOf = async (resource: string, path: string, params: Parameters<DataProvider['getList']>[1]) => {
        const definition = definitionOf(resource);
        const { page = 1, perPage = 20 } = params.pagination ?? {};
        const query: Query = { ...filterQuery(definition, params.filter), page, page_size: perPage };
        const sort = params.sort;
        // Relevance ranks a search; without one the API's own order (by title) applies.
        const relevanceWithoutSearch = sort?.field === 'relevance' && !query.search;
        if (definition.ordering && sort?.field && sort.field !== 'id' && !relevanceWithoutSearch) {
            Object.assign(query, { ordering: sort.field === 'relevance' || sort.order !== 'DESC' ? sort.field : `-${sort.field}` });
        }
        const result = await api.get<Page<Item>>(path, query);
        return { data: result.items.map(item => record(resource, item)), total: result.total };
    };

    const provider = {
        getList: (resource, params) => call(() => listOf(resource, definitionOf(resource).path, params)),

        getOne: (resource, { id }) =>
            call(async () => ({ data: record(resource, await api.get<Item>(`${definitionOf(resource).path}/${id}`)) })),

        getMany: (resource, { ids }) =>
            call(async () => {
                const path = definitionOf(resource).path;
                const unique = [...new Set(ids.map(String))];
                const items = await Promise.all(unique.map(id => api.get<Item>(`${path}/${id}`)));
                return { data: items.map(item => record(resource, item)) };
            }),

        getManyReference: (resource, params) =>
            call(() => {
                const definition = definitionOf(resource);
                const nested = definition.nested?.[params.target];
                if (nested) return listOf(resource, nested(params.id), params);
                return listOf(resource, definition.path, { ...params, filter: { ...params.filter, [params.target]: params.id } });
            }),

        create: (resource, { data }) =>
            call(async () => ({ data: record(resource, await api.post<Item>(definitionOf(resource).path, data)) })),

        update: (resource, { id, data, previousData }) =>
            call(async () => {
                const changes = changedFields(data as Item, previousData as Item);
                const path = `${definitionOf(resource).path}/${id}`;
                const answer = await api.request<Item>(path, { method: 'PATCH', json: changes });
                return { data: record(resource, answer.data) };
            }),

        updateMany: (resource, { ids, data }) =>
            call(async () => {
                const path = definitionOf(resource).path;
                for (const id of ids) await api.request(`${path}/${id}`, { method: 'PATCH', json: data });
                return { data: ids };
            }),

        delete: (resource, { id, previousData }) =>
            call(async () => {
                const answer = await api.request<Item | null>(`${definitionOf(resource).path}/${id}`, { method: 'DELETE' });
                return { data: record(resource, { ...(previousData ?? {}), ...(answer.data ?? {}), id }) };
            }),

        deleteMany: (resource, { ids }) =>
            call(async () => {
                const path = definitionOf(resource).path;
                for (const id of ids) await api.request(`${path}/${id}`, { method: 'DELETE' });
                return { data: ids };
            }),
    } satisfies DataProvider;

    return {
        ...provider,
        /** Borrow for a member; the key makes a double click or a retried request one loan, never two. */
        borrow: (bookId: number, userId: number, idempotencyKey: string) =>
            call(() => api.post<Item>('loans', { book_id: bookId, user_id: userId }, { headers: { 'Idempotency-Key': idempotencyKey } })),
        returnLoan: (loanId: number) => call(() => api.post<Item>(`loans/${loanId}/return`)),
        renewLoan: (loanId: number) => call(() => api.post<Item>(`loans/${loanId}/renew`)),
        placeHold: (bookId: number, userId: number) => call(() => api.post<Item>('holds', { book_id: bookId, user_id: userId })),
        cancelHold: (holdId: number) => call(async () => (await api.request<Item>(`holds/${holdId}`, { method: 'DELETE' })).data),
        payFine: (fineId: number) => call(() => api.post<Item>(`fines/${fineId}/pay`)),
        waiveFine: (fineId: number) => call(() => api.post<Item>(`fines/${fineId}/waive`)),
        checkIsbn: (isbn: string) => call(() => api.get<IsbnCheck>('isbn-check', { isbn })),
        /** A CSV in the request (up to API Gateway's 10 MB): validated only with dryRun, else saved. */
        importCsv: (csv: string, dryRun: boolean) =>
            call(async () => {
                const answer = await api.request<ImportReport>('books/import', {
                    method: 'POST',
                    body: csv,
                    contentType: 'text/csv',
                    query: { dry_run: dryRun },
                });
                return answer.data;
            }),
        /** A large CSV: a job, then the file straight to storage with the API's pre-signed form. */
        startImportJob: (file: Blob, dryRun: boolean) =>
            call(async () => {
                const started = await api.post<{ job: ImportJob; upload: PresignedUpload }>('books/imports', {}, { query: { dry_run: dryRun } });
                await uploadForm(upload, started.upload, file, 'text/csv');
                return started.job;
            }),
        readImportJob: (jobId: number) => call(() => api.get<ImportJob>(`books/imports/${jobId}`)),
        uploadCover: (bookId: number, file: File) =>
            call(async () => {
                const form = await api.post<PresignedUpload & { content_type: string }>(`books/${bookId}/cover`, { content_type: file.type });
                await uploadForm(upload, form, file, file.type);
            }),
        /** A report route (GET /reports/{name}): the summary, loans per day, most borrowed, overdue... */
        report: <T>(name: string, query: Query = {}) => call(() => api.get<T>(`reports/${name}`, query)),
        changePassword: (currentPassword: string, password: string) =>
            call(async () => (await api.request<Item>('auth', { method: 'PATCH', json: { current_password: currentPassword, password } })).data),
    };
}

async function uploadForm(upload: typeof fetch, form: PresignedUpload, file: Blob, contentType: string): Promise<void> {
    if (file.size > form.max_bytes) {
        throw new ApiError(413, 'FILE_TOO_LARGE', `The file is larger than the ${Math.round(form.max_bytes / 1e6)} MB allowed`);
    }
    const body = new FormData();
    Object.entries(form.fields).forEach(([name, value]) => body.append(name, value));
    body.append('file', new Blob([file], { type: contentType }));
    const response = await upload(form.url, { method: 'POST', body });
    if (!response.ok) throw new ApiError(response.status, 'UPLOAD_FAILED', `The storage refused the upload (HTTP ${response.status})`);
}

/** A scripted stand-in for the network in the providers' unit tests: records each request, answers in turn. */
export interface Recorded {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body: unknown;
}

type Reply = { status: number; body?: unknown } | ((request: Recorded) => { status: number; body?: unknown });

export const BASE = 'http://library.test/dev/';

export function envelope(status: number, data: unknown, extra: Record<string, unknown> = {}) {
    return { status, body: { status, message: status < 400 ? 'OK' : 'Refused', data, ...extra } };
}

export function refusal(status: number, code: string, message: string, errors?: { field: string; message: string }[]) {
    return { status, body: { status, message, data: null, code, ...(errors ? { errors } : {}) } };
}

export function fakeFetch(...replies: Reply[]) {
    const requests: Recorded[] = [];
    const queue = [...replies];
    const fetchFn = async (input: RequestInfo | URL, init: RequestInit = {}) => {
        const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
        let body: unknown = init.body;
        if (typeof body === 'string' && headers['Content-Type'] === 'application/json') body = JSON.parse(body);
        const request: Recorded = { method: init.method ?? 'GET', url: new URL(String(input)), headers, body };
        requests.push(request);
        const next = queue.shift();
        if (!next) throw new Error(`No scripted answer for ${request.method} ${request.url}`);
        const reply = typeof next === 'function' ? next(request) : next;
        return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), { status: reply.status });
    };
    return { fetch: fetchFn as typeof fetch, requests, pending: () => queue.length };
}

export const LIBRARIAN = {
    id: 7,
    name: 'Lena Librarian',
    email: 'lena@library.test',
    role: 'librarian',
    is_active: true,
    groups: [{ id: 1, name: 'librarians' }],
    permissions: ['books.create', 'books.update', 'users.view', 'loans.manage', 'loans.view_all', 'fines.manage'],
};

export function tokens(accessToken: string, user: object = LIBRARIAN) {
    return envelope(200, { access_token: accessToken, token: accessToken, refresh_token: null, token_type: 'Bearer', expires_in: 900, user });
}

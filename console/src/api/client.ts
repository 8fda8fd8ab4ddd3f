/**
 * The one way the console talks to the library API: the envelope `{status, message, data}` unwrapped, failures as
 * ApiError (with the API's stable `code` and, for 422, the field errors), the access token attached, and a 401
 * answered by renewing the session once (refresh cookie, then the sign-in dialog) and retrying the request.
 */

export interface FieldError {
    field: string;
    message: string;
}

export interface Page<T> {
    items: T[];
    page: number;
    page_size: number;
    total: number;
    pages: number;
}

export class ApiError extends Error {
    readonly status: number;
    readonly code: string;
    readonly errors: FieldError[];

    constructor(status: number, code: string, message: string, errors: FieldError[] = []) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
        this.code = code;
        this.errors = errors;
    }
}

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
    method?: string;
    query?: Query;
    /** A JSON body. */
    json?: unknown;
    /** A raw body (e.g. a CSV), sent with `contentType`. */
    body?: string;
    contentType?: string;
    headers?: Record<string, string>;
    /** false for sign-in itself: no token, no renewal on 401. */
    authenticated?: boolean;
}

export interface Answer<T> {
    status: number;
    message: string;
    data: T;
    headers: Headers;
}

/** What the client needs of the session: the current token, and a way to get a new one after a 401. */
export interface TokenSource {
    readonly accessToken: string | null;
    /** Resolves true once a new access token is in place (refreshed, or signed in again), false if not. */
    recover(): Promise<boolean>;
}

export type Fetch = typeof fetch;

export function queryString(query: Query = {}): string {
    const parameters = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') parameters.append(name, String(value));
    }
    const text = parameters.toString();
    return text ? `?${text}` : '';
}

/** The envelope of a response, or an ApiError for a failure (also for a body that is not the envelope). */
export async function readAnswer<T>(response: Response): Promise<Answer<T>> {
    const text = await response.text();
    let body: { message?: string; data?: T; code?: string; errors?: FieldError[] } | null = null;
    try {
        body = text ? JSON.parse(text) : null;
    } catch {
        body = null;
    }
    if (!response.ok) {
        const message = body?.message || response.statusText || `HTTP ${response.status}`;
        throw new ApiError(response.status, body?.code ?? `HTTP_${response.status}`, message, body?.errors ?? []);
    }
    return { status: response.status, message: body?.message ?? '', data: body?.data as T, headers: response.headers };
}

export class ApiClient {
    constructor(
        readonly baseUrl: string,
        private readonly tokens: TokenSource,
        private readonly fetchFn: Fetch = (...args) => fetch(...args),
    ) {}

    url(path: string, query?: Query): string {
        return new URL(path.replace(/^\//, '') + queryString(query), this.baseUrl).href;
    }

    private send(path: string, options: RequestOptions): Promise<Response> {
        const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
        let body: string | undefined = options.body;
        if (options.json !== undefined) {
            body = JSON.stringify(options.json);
            headers['Content-Type'] = 'application/json';
        } else if (options.contentType) {
            headers['Content-Type'] = options.contentType;
        }
        const token = options.authenticated === false ? null : this.tokens.accessToken;
        if (token) headers.Authorization = `Bearer ${token}`;
        return this.fetchFn(this.url(path, options.query), {
            method: options.method ?? (body === undefined ? 'GET' : 'POST'),
            headers,
            body,
            credentials: 'same-origin',
        });
    }

    async request<T>(path: string, options: RequestOptions = {}): Promise<Answer<T>> {
        let response = await this.send(path, options);
        if (response.status === 401 && options.authenticated !== false && (await this.tokens.recover())) {
            response = await this.send(path, options);
        }
        return readAnswer<T>(response);
    }

    async get<T>(path: string, query?: Query): Promise<T> {
        return (await this.request<T>(path, { query })).data;
    }

    async post<T>(path: string, json: unknown = {}, options: RequestOptions = {}): Promise<T> {
        return (await this.request<T>(path, { ...options, method: 'POST', json })).data;
    }
}

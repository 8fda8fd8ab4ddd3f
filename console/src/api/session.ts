/**
 * The signed-in session. The access token lives in memory only; the refresh token is an HttpOnly cookie the API
 * sets (`POST /auth/login {"cookie": true}`), which scripts never see. A reload renews the session from that
 * cookie. Refreshes are single-flight, and serialised across tabs with the Web Locks API where the browser has it,
 * because a refresh token works once: two tabs refreshing with the same cookie would look like a stolen token.
 */
import { ApiError, type Fetch, readAnswer, type TokenSource } from './client';

export type Role = 'admin' | 'librarian' | 'member';

export interface Account {
    id: number;
    name: string;
    email: string;
    role: Role;
    is_active: boolean;
    groups: { id: number; name: string }[];
    permissions: string[];
    membership_date?: string;
    /** Set by the API when the account must choose a new password before anything else. */
    must_change_password?: boolean;
}

interface TokenAnswer {
    access_token: string;
    expires_in: number;
    user: Account;
}

/** Asks the person to sign in again (the console's dialog); resolves true once they did, false if they gave up. */
export type Reauthenticate = () => Promise<boolean>;

const LOCK_NAME = 'library-console-refresh';

export class Session implements TokenSource {
    private token: string | null = null;
    private current: Account | null = null;
    private refreshing: Promise<boolean> | null = null;
    private readonly listeners = new Set<() => void>();
    reauthenticate: Reauthenticate | null = null;

    constructor(
        private readonly baseUrl: string,
        private readonly fetchFn: Fetch = (...args) => fetch(...args),
        private readonly locks: LockManager | undefined = globalThis.navigator?.locks,
    ) {}

    get accessToken(): string | null {
        return this.token;
    }

    get account(): Account | null {
        return this.current;
    }

    subscribe(listener: () => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    private post(path: string, json: unknown, token?: string | null): Promise<Response> {
        const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
        if (token) headers.Authorization = `Bearer ${token}`;
        return this.fetchFn(new URL(path, this.baseUrl).href, {
            method: 'POST',
            headers,
            body: JSON.stringify(json),
            credentials: 'same-origin',
        });
    }

    private adopt(answer: TokenAnswer | null): void {
        this.token = answer?.access_token ?? null;
        this.current = answer?.user ?? null;
        this.listeners.forEach(listener => listener());
    }

    /** Replaces the account details (after a profile change) without touching the tokens. */
    updateAccount(account: Account): void {
        this.current = account;
        this.listeners.forEach(listener => listener());
    }

    async login(email: string, password: string): Promise<Account> {
        const response = await this.post('auth/login', { email, password, cookie: true });
        const answer = await readAnswer<TokenAnswer>(response);
        this.adopt(answer.data);
        return answer.data.user;
    }

    /** Asks for a reset code by email. The API answers alike whether or not the email has an account. */
    async requestPasswordReset(email: string): Promise<string> {
        return (await readAnswer<null>(await this.post('auth/password-reset', { email }))).message;
    }

    /** Sets a new password with an emailed code; the API ends every session of the account, this one too. */
    async confirmPasswordReset(token: string, password: string): Promise<string> {
        const answer = await readAnswer<null>(await this.post('auth/password-reset/confirm', { token, password }));
        this.adopt(null);
        return answer.message;
    }

    /** A new access token from the refresh cookie; false (and signed out) when the cookie is missing or refused. */
    refresh(): Promise<boolean> {
        if (!this.refreshing) {
            const run = () => this.exchangeCookie();
            const attempt: Promise<boolean> = this.locks ? (this.locks.request(LOCK_NAME, run) as unknown as Promise<boolean>) : run();
            this.refreshing = attempt.finally(() => {
                this.refreshing = null;
            });
        }
        return this.refreshing;
    }

    private async exchangeCookie(): Promise<boolean> {
        try {
            const answer = await readAnswer<TokenAnswer>(await this.post('auth/refresh', {}));
            this.adopt(answer.data);
            return true;
        } catch (error) {
            if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
                this.adopt(null);
                return false;
            }
            throw error;
        }
    }

    /** After a 401: refresh; if the session is gone, ask the person to sign in again (their work stays on screen). */
    async recover(): Promise<boolean> {
        const hadSession = this.token !== null;
        if (await this.refresh()) return true;
        if (!hadSession || !this.reauthenticate) return false;
        return this.reauthenticate();
    }

    /** Revokes the refresh token and clears its cookie, so a reload does not bring the session back. */
    async logout(): Promise<void> {
        try {
            const response = this.token ? await this.post('auth/logout', {}, this.token) : null;
            // The API wants a live access token for this: renew an expired one from the cookie, then sign out.
            if ((response === null || response.status === 401) && (await this.refresh())) {
                await this.post('auth/logout', {}, this.token);
            }
        } catch {
            // Offline: the in-memory token is forgotten below; the cookie expires on its own.
        } finally {
            this.adopt(null);
        }
    }
}

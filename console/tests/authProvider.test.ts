import { describe, expect, it } from 'vitest';

import { ApiClient } from '../src/api/client';
import { Session } from '../src/api/session';
import { CHANGE_PASSWORD_PATH, createAuthProvider } from '../src/providers/authProvider';
import { asHttpError } from '../src/providers/dataProvider';
import { BASE, envelope, fakeFetch, LIBRARIAN, refusal, tokens } from './fakeApi';

function setup(...replies: Parameters<typeof fakeFetch>) {
    const network = fakeFetch(...replies);
    const session = new Session(BASE, network.fetch, undefined);
    return { network, session, auth: createAuthProvider(session) };
}

describe('signing in', () => {
    it('asks for the refresh cookie and keeps the access token in memory only', async () => {
        const { auth, network, session } = setup(tokens('access-1'));
        expect(await auth.login({ email: 'lena@library.test', password: 'secret words' })).toBeUndefined();
        const [login] = network.requests;
        expect(login.url.pathname).toBe('/dev/auth/login');
        expect(login.body).toEqual({ email: 'lena@library.test', password: 'secret words', cookie: true });
        expect(session.accessToken).toBe('access-1');
        expect(await auth.getIdentity!()).toEqual({ id: 7, fullName: 'Lena Librarian', email: 'lena@library.test', role: 'librarian' });
        expect(await auth.getPermissions!({})).toEqual(LIBRARIAN.permissions);
    });

    it("passes the API's refusal on (wrong password, inactive account, lockout)", async () => {
        const { auth, session } = setup(refusal(403, 'ACCOUNT_INACTIVE', 'This account is not active yet (or was closed)'));
        const failure = await auth.login({ email: 'new@library.test', password: 'x' }).catch(error => error);
        expect(failure.message).toBe('This account is not active yet (or was closed)');
        expect(failure.status).toBe(403);
        expect(session.account).toBeNull();
    });

    it('sends an account that must change its password to the change-password screen', async () => {
        const { auth } = setup(tokens('access-1', { ...LIBRARIAN, must_change_password: true }));
        expect(await auth.login({ email: 'lena@library.test', password: 'temporary' })).toEqual({ redirectTo: CHANGE_PASSWORD_PATH });
    });
});

describe('a reload', () => {
    it('renews the session from the refresh cookie', async () => {
        const { auth, network, session } = setup(tokens('access-9'));
        await expect(auth.checkAuth({})).resolves.toBeUndefined();
        expect(network.requests[0].url.pathname).toBe('/dev/auth/refresh');
        expect(network.requests[0].headers.Authorization).toBeUndefined();
        expect(session.account?.name).toBe('Lena Librarian');
    });

    it('shows the sign-in page, without an error, when there is no cookie', async () => {
        const { auth } = setup(refusal(401, 'NO_REFRESH_TOKEN', 'Send refresh_token, or the cookie'));
        await expect(auth.checkAuth({})).rejects.toEqual({ message: false });
    });

    it('refreshes once for many requests at once: a refresh token works only once', async () => {
        const { session, network } = setup(tokens('access-1'), tokens('access-2'));
        await session.login('lena@library.test', 'secret words');
        const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()]);
        expect(results).toEqual([true, true, true]);
        expect(network.requests.filter(request => request.url.pathname.endsWith('/auth/refresh'))).toHaveLength(1);
    });

    it('serialises refreshes across tabs with a Web Lock', async () => {
        const held: string[] = [];
        const locks = { request: async (name: string, work: () => Promise<boolean>) => (held.push(name), work()) };
        const network = fakeFetch(tokens('access-1'));
        const session = new Session(BASE, network.fetch, locks as unknown as LockManager);
        expect(await session.refresh()).toBe(true);
        expect(held).toEqual(['library-console-refresh']);
    });
});

describe('API refusals', () => {
    const auth = createAuthProvider(new Session(BASE, fakeFetch().fetch, undefined));

    it('signs out on a 401 that survived the renewal', async () => {
        await expect(auth.checkError({ status: 401 })).rejects.toHaveProperty('message');
    });

    it('opens the change-password screen on 403 PASSWORD_CHANGE_REQUIRED, staying signed in', async () => {
        await expect(auth.checkError({ status: 403, body: { code: 'PASSWORD_CHANGE_REQUIRED' } })).rejects.toMatchObject({
            redirectTo: CHANGE_PASSWORD_PATH,
            logoutUser: false,
        });
    });

    it('keeps the session on any other refusal (shown where it happened)', async () => {
        await expect(auth.checkError({ status: 403, body: { code: 'FORBIDDEN' } })).resolves.toBeUndefined();
        await expect(auth.checkError({ status: 409, body: { code: 'BOOK_UNAVAILABLE' } })).resolves.toBeUndefined();
    });
});

describe('signing out', () => {
    it('revokes the refresh token with the access token and forgets the session', async () => {
        const { auth, session, network } = setup(tokens('access-1'), envelope(200, null));
        await auth.login({ email: 'lena@library.test', password: 'secret words' });
        await auth.logout({});
        const logout = network.requests[1];
        expect(logout.url.pathname).toBe('/dev/auth/logout');
        expect(logout.headers.Authorization).toBe('Bearer access-1');
        expect(session.accessToken).toBeNull();
    });

    it('renews an expired access token first, so the cookie cannot bring the session back', async () => {
        const { auth, session, network } = setup(
            tokens('access-1'),
            refusal(401, 'UNAUTHORIZED', 'Missing, invalid or expired token'),
            tokens('access-2'),
            envelope(200, null),
        );
        await auth.login({ email: 'lena@library.test', password: 'secret words' });
        await auth.logout({});
        expect(network.requests.map(request => request.url.pathname)).toEqual([
            '/dev/auth/login',
            '/dev/auth/logout',
            '/dev/auth/refresh',
            '/dev/auth/logout',
        ]);
        expect(network.requests[3].headers.Authorization).toBe('Bearer access-2');
        expect(session.account).toBeNull();
    });
});

describe('what each account may open', () => {
    it('follows the permissions the API checks', async () => {
        const member = { ...LIBRARIAN, id: 9, role: 'member', permissions: [] };
        const { auth, session } = setup(tokens('a', member), tokens('b'), tokens('c', { ...member, role: 'admin' }));
        const may = (resource: string, action: string) => auth.canAccess!({ resource, action });
        await session.login('m', 'p');
        expect(await may('books', 'list')).toBe(true);
        expect(await may('users', 'list')).toBe(false);
        expect(await may('circulation', 'list')).toBe(false);
        await session.login('l', 'p');
        expect(await may('users', 'list')).toBe(true);
        expect(await may('users', 'edit')).toBe(false);
        expect(await may('circulation', 'list')).toBe(true);
        expect(await may('import', 'list')).toBe(false);
        await session.login('a', 'p');
        expect(await may('users', 'edit')).toBe(true);
        expect(await may('import', 'list')).toBe(true);
    });
});

describe('the client alone', () => {
    it('does not retry sign-in failures through the session', async () => {
        const network = fakeFetch(refusal(401, 'INVALID_CREDENTIALS', 'Wrong email or password'));
        const client = new ApiClient(BASE, new Session(BASE, network.fetch, undefined), network.fetch);
        await expect(client.request('auth/login', { method: 'POST', json: {}, authenticated: false })).rejects.toMatchObject({
            status: 401,
            code: 'INVALID_CREDENTIALS',
        });
        expect(network.requests).toHaveLength(1);
    });
});

describe('a forgotten password', () => {
    const requested = 'If this email belongs to an active account, a reset code is on its way to it';

    it('asks for a code without a token, and says what the API says (the same for any email)', async () => {
        const { auth, network } = setup({ status: 202, body: { status: 202, message: requested, data: null } });
        expect(await auth.requestPasswordReset('  nora@library.test ')).toBe(requested);
        const [request] = network.requests;
        expect(request.method).toBe('POST');
        expect(request.url.pathname).toBe('/dev/auth/password-reset');
        expect(request.body).toEqual({ email: 'nora@library.test' });
        expect(request.headers.Authorization).toBeUndefined();
    });

    it('passes a refusal of the request on (too many requests from this address)', async () => {
        const { auth } = setup(refusal(429, 'TOO_MANY_RESET_REQUESTS', 'Too many password reset requests from your address'));
        await expect(auth.requestPasswordReset('nora@library.test')).rejects.toMatchObject({ status: 429, code: 'TOO_MANY_RESET_REQUESTS' });
    });

    it('sets the new password with the code, and forgets any session (the API ended them all)', async () => {
        const { auth, network, session } = setup(tokens('access-1'), envelope(200, null));
        await session.login('lena@library.test', 'secret words');
        expect(await auth.resetPassword({ token: ' code-123 ', password: 'a new passphrase' })).toBe('OK');
        const confirm = network.requests[1];
        expect(confirm.url.pathname).toBe('/dev/auth/password-reset/confirm');
        expect(confirm.body).toEqual({ token: 'code-123', password: 'a new passphrase' });
        expect(confirm.headers.Authorization).toBeUndefined();
        expect(session.account).toBeNull();
        expect(session.accessToken).toBeNull();
    });

    it("keeps the API's refusal of the code or the password, with the field errors", async () => {
        const { auth } = setup(
            refusal(401, 'INVALID_RESET_TOKEN', 'This reset code is unknown, used or expired; ask for a new one'),
            refusal(422, 'WEAK_PASSWORD', 'The password is too weak', [{ field: 'password', message: 'must be at least 8 characters' }]),
        );
        await expect(auth.resetPassword({ token: 'used', password: 'a new passphrase' })).rejects.toMatchObject({ status: 401, code: 'INVALID_RESET_TOKEN' });
        const weak = await auth.resetPassword({ token: 'fresh', password: 'short' }).catch(error => error);
        expect(weak).toMatchObject({ status: 422, code: 'WEAK_PASSWORD', errors: [{ field: 'password', message: 'must be at least 8 characters' }] });
        expect(asHttpError(weak)).toMatchObject({ body: { errors: { password: 'must be at least 8 characters' } } });
    });
});

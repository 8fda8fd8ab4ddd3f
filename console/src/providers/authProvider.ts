/**
 * The one auth provider: sign in (the API sets the refresh cookie), the session renewed from that cookie on a
 * reload, sign out (the refresh token revoked), identity and permissions from the account, and the API's
 * refusals handled: 401 signs out only once renewing failed; 403 PASSWORD_CHANGE_REQUIRED opens the change
 * password screen; any other 403 stays on screen, explained, without signing out. A forgotten password: a code
 * asked for by email, then exchanged for a new password (which ends every session, so one signs in afresh).
 */
import type { AuthProvider } from 'ra-core';

import type { Session } from '../api/session';
import { canAccess } from '../permissions';

export const CHANGE_PASSWORD_PATH = '/account/password';
export const FORGOT_PASSWORD_PATH = '/forgot-password';
export const RESET_PASSWORD_PATH = '/reset-password';

interface StatusError {
    status?: number;
    body?: { code?: string };
}

export type LibraryAuthProvider = AuthProvider & {
    requestPasswordReset(email: string): Promise<string>;
    resetPassword(reset: { token: string; password: string }): Promise<string>;
};

export function createAuthProvider(session: Session): LibraryAuthProvider {
    return {
        async login({ username, email, password }: { username?: string; email?: string; password: string }) {
            const account = await session.login(email ?? username ?? '', password);
            return account.must_change_password ? { redirectTo: CHANGE_PASSWORD_PATH } : undefined;
        },

        async logout() {
            await session.logout();
        },

        async checkAuth() {
            if (session.account) return;
            if (await session.refresh()) return;
            // No notification: opening the console signed out simply shows the sign-in page.
            throw { message: false };
        },

        async checkError(error: StatusError) {
            if (error?.status === 401) throw { message: 'Your session has ended: please sign in again.' };
            if (error?.status === 403 && error.body?.code === 'PASSWORD_CHANGE_REQUIRED') {
                throw { redirectTo: CHANGE_PASSWORD_PATH, logoutUser: false, message: 'Please choose a new password first.' };
            }
        },

        async getIdentity() {
            const account = session.account;
            if (!account) throw new Error('Not signed in');
            return { id: account.id, fullName: account.name, email: account.email, role: account.role };
        },

        async getPermissions() {
            return session.account?.permissions ?? [];
        },

        /** Not part of react-admin's interface: the forgotten-password screens' two steps. */
        requestPasswordReset(email: string) {
            return session.requestPasswordReset(email.trim());
        },

        resetPassword({ token, password }: { token: string; password: string }) {
            return session.confirmPasswordReset(token.trim(), password);
        },

        async canAccess({ resource, action }: { resource: string; action: string }) {
            return canAccess(session.account, resource, action);
        },
    };
}

import { describe, expect, it } from 'vitest';

import type { Account } from '../src/api/session';
import { canAccess, whyNot } from '../src/permissions';

const account = (role: Account['role'], permissions: string[] = []): Account => ({
    id: 7,
    name: 'Lena Librarian',
    email: 'lena@library.test',
    role,
    is_active: true,
    groups: [],
    permissions,
});

describe("part 2's screens", () => {
    it('shows the dashboard, groups and policy changes only to those holding the permission', () => {
        const librarian = account('librarian', ['reports.view', 'users.view', 'loans.view_all']);
        expect(canAccess(librarian, 'dashboard', 'list')).toBe(true);
        expect(canAccess(librarian, 'groups', 'list')).toBe(false);
        expect(canAccess(librarian, 'permissions', 'create')).toBe(false);
        expect(canAccess(librarian, 'policies', 'list')).toBe(true);
        expect(canAccess(librarian, 'policies', 'edit')).toBe(false);
        expect(canAccess(librarian, 'notifications', 'list')).toBe(true);
        expect(canAccess(account('admin'), 'policies', 'edit')).toBe(true);
    });

    it("gives a member their own pages and the chat, never another member's lists", () => {
        const member = account('member');
        for (const resource of ['mine', 'my-loans', 'my-holds', 'my-fines', 'my-notices', 'my-history', 'chat']) {
            expect(canAccess(member, resource, 'list')).toBe(true);
        }
        for (const resource of ['loans', 'holds', 'fines', 'notifications', 'users', 'dashboard']) {
            expect(canAccess(member, resource, 'list')).toBe(false);
        }
    });

    it('says which permission changing the policy takes', () => {
        expect(whyNot(account('librarian'), 'policies', 'edit')).toBe(
            'Changing the lending policy is for library staff holding the "policies.manage" permission. Lena Librarian (lena@library.test) is signed in as a librarian, without it. Ask an administrator if you need access.',
        );
    });
});

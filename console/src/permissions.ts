/**
 * Which permission each screen and action needs: the same codes the API checks (API.md), so the console hides
 * what the API would refuse, and says why. Part 2 adds its screens here (dashboard: reports.view, policies:
 * policies.manage, groups: groups.manage...).
 */
import type { Account } from './api/session';

/** null: anyone signed in. A resource's `*` applies to actions it does not list. */
type Rules = Record<string, Record<string, string | null>>;

export const RULES: Rules = {
    dashboard: { '*': 'reports.view' },
    books: { list: null, show: null, create: 'books.create', edit: 'books.update', delete: 'books.delete' },
    users: { '*': 'users.view', edit: 'users.manage', create: 'users.manage', delete: 'users.manage' },
    loans: { '*': 'loans.view_all', create: 'loans.manage', return: 'loans.manage', renew: 'loans.manage' },
    holds: { '*': 'loans.view_all', create: 'loans.manage', delete: 'loans.manage' },
    fines: { '*': 'fines.manage' },
    history: { '*': 'loans.view_all' },
    circulation: { '*': 'loans.manage' },
    import: { '*': 'books.import' },
    groups: { '*': 'groups.manage' },
    permissions: { '*': 'groups.manage' },
    policies: { '*': null, edit: 'policies.manage' },
    notifications: { '*': 'users.view' },
    genres: { '*': null },
    // A member's own pages: the API answers each account with its own rows only.
    mine: { '*': null },
    'my-loans': { '*': null },
    'my-holds': { '*': null },
    'my-fines': { '*': null },
    'my-notices': { '*': null },
    'my-history': { '*': null },
    'my-reviews': { '*': null },
    chat: { '*': null },
    reviews: { '*': null },
};

/** The screens' names as the menu shows them, for the reasons given. */
export const SCREEN_NAMES: Record<string, string> = {
    dashboard: 'the dashboard',
    books: 'the catalogue',
    users: 'Members',
    loans: 'loans',
    holds: 'holds',
    fines: 'fines',
    history: 'borrowing histories',
    circulation: 'the circulation desk',
    import: 'Import',
    groups: 'permission groups',
    permissions: 'permissions',
    policies: 'changing the lending policy',
    notifications: "members' notices",
};

export function requiredPermission(resource: string, action: string): string | null | undefined {
    const rules = RULES[resource];
    if (!rules) return undefined;
    return action in rules ? rules[action] : rules['*'];
}

export function canAccess(account: Account | null, resource: string, action: string): boolean {
    if (!account) return false;
    if (account.role === 'admin') return true;
    const needed = requiredPermission(resource, action);
    if (needed === undefined) return false;
    return needed === null || account.permissions.includes(needed);
}

/** Why the account may not do this, in words: which permission it needs and what the account is. */
export function whyNot(account: Account | null, resource: string, action = 'list'): string {
    const screen = SCREEN_NAMES[resource] ?? resource;
    if (!account) return `Sign in to use ${screen}.`;
    const needed = requiredPermission(resource, action);
    if (!needed) return `${screen} is not available to your account.`;
    const who = `${account.name} (${account.email}) is signed in as a ${account.role}`;
    return `${capitalised(screen)} is for library staff holding the "${needed}" permission. ${who}, without it. Ask an administrator if you need access.`;
}

function capitalised(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

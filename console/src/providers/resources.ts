/**
 * How each react-admin resource maps onto the API: its collection path, whether the list takes `ordering`, how a
 * list filter becomes the query, and nested paths for references. Part 2 adds its resources here (dashboard
 * reports, groups, permissions, notifications...); the data provider needs no other change.
 */
import type { Query } from '../api/client';

export interface ResourceDefinition {
    /** The collection, relative to the API's base URL: `books` is GET /books, GET /books/{id}... */
    path: string;
    /** The list accepts `ordering` (field, `-field` for descending). Lists without it keep the API's order. */
    ordering?: boolean;
    /** API items without an `id` get one (react-admin needs it). */
    toRecord?: (item: Record<string, unknown>) => Record<string, unknown> & { id: string | number };
    /** getManyReference on a nested collection, e.g. a book's reviews: target -> path of that collection. */
    nested?: Record<string, (id: string | number) => string>;
    /** Filter names that the API calls otherwise (react-admin's full-text `q` is the API's `search`). */
    renamedFilters?: Record<string, string>;
}

export const resources: Record<string, ResourceDefinition> = {
    books: { path: 'books', ordering: true },
    users: { path: 'users' },
    loans: { path: 'loans' },
    holds: { path: 'holds' },
    fines: { path: 'fines' },
    groups: { path: 'groups' },
    permissions: { path: 'permissions' },
    notifications: { path: 'notifications' },
    genres: { path: 'genres', toRecord: item => ({ ...item, id: String(item.name) }) },
    reviews: { path: 'reviews', nested: { book_id: id => `books/${id}/reviews` } },
    // The signed-in account's own rows (the screens pass its user_id).
    'my-loans': { path: 'loans' },
    'my-holds': { path: 'holds' },
    'my-fines': { path: 'fines' },
    'my-notices': { path: 'notifications' },
    'my-history': { path: 'loans' },
    'my-reviews': { path: 'reviews' },
    // A member's whole borrowing history (GET /users/{id}/loans).
    history: { path: 'loans', nested: { user_id: id => `users/${id}/loans` } },
};

export function definitionOf(resource: string): ResourceDefinition {
    const definition = resources[resource];
    if (!definition) throw new Error(`The console has no API mapping for the resource "${resource}"`);
    return definition;
}

/** A react-admin filter as the API's query: `q` is `search`, empty values are left out. */
export function filterQuery(definition: ResourceDefinition, filter: Record<string, unknown> = {}): Query {
    const renamed: Record<string, string> = { q: 'search', ...definition.renamedFilters };
    const query: Query = {};
    for (const [name, value] of Object.entries(filter)) {
        if (value === undefined || value === null || value === '') continue;
        if (typeof value === 'object') continue; // react-admin's nested filter objects are not API filters
        query[renamed[name] ?? name] = value as string | number | boolean;
    }
    return query;
}

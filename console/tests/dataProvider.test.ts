import { HttpError } from 'ra-core';
import { describe, expect, it } from 'vitest';

import { ApiClient } from '../src/api/client';
import { Session } from '../src/api/session';
import { listFailure } from '../src/messages';
import { createDataProvider } from '../src/providers/dataProvider';
import { BASE, envelope, fakeFetch, refusal, tokens } from './fakeApi';

const page = (items: object[], total = items.length) => envelope(200, { items, page: 1, page_size: 20, total, pages: 1 });

async function signedIn(...replies: Parameters<typeof fakeFetch>) {
    const network = fakeFetch(tokens('access-1'), ...replies);
    const session = new Session(BASE, network.fetch, undefined);
    await session.login('lena@library.test', 'secret words');
    const provider = createDataProvider(new ApiClient(BASE, session, network.fetch), network.fetch);
    return { provider, network, session, last: () => network.requests[network.requests.length - 1] };
}

describe('lists', () => {
    it('maps pagination, sort and filters onto page, page_size, ordering and the API filter names', async () => {
        const { provider, last } = await signedIn(page([{ id: 1, title: 'The Hobbit' }], 41));
        const result = await provider.getList('books', {
            pagination: { page: 3, perPage: 10 },
            sort: { field: 'published_date', order: 'DESC' },
            filter: { q: 'hobit', genre: 'Fantasy', available: true, author: '' },
        });
        expect(result).toEqual({ data: [{ id: 1, title: 'The Hobbit' }], total: 41 });
        const url = last().url;
        expect(url.pathname).toBe('/dev/books');
        expect(Object.fromEntries(url.searchParams)).toEqual({
            search: 'hobit',
            genre: 'Fantasy',
            available: 'true',
            page: '3',
            page_size: '10',
            ordering: '-published_date',
        });
        expect(last().headers.Authorization).toBe('Bearer access-1');
    });

    it('sends no ordering to lists that keep the API order, nor for react-admin default id sort', async () => {
        const { provider, network } = await signedIn(page([]), page([]));
        await provider.getList('users', { pagination: { page: 1, perPage: 20 }, sort: { field: 'name', order: 'ASC' }, filter: { role: 'member' } });
        await provider.getList('books', { pagination: { page: 1, perPage: 20 }, sort: { field: 'id', order: 'ASC' }, filter: {} });
        expect(network.requests[1].url.searchParams.has('ordering')).toBe(false);
        expect(network.requests[1].url.searchParams.get('role')).toBe('member');
        expect(network.requests[2].url.searchParams.has('ordering')).toBe(false);
    });

    it('keeps relevance ascending-only and gives id-less items an id', async () => {
        const { provider, network } = await signedIn(page([]), page([]), page([{ name: 'Fantasy', book_count: 3 }]));
        await provider.getList('books', { pagination: { page: 1, perPage: 5 }, sort: { field: 'relevance', order: 'DESC' }, filter: { q: 'ring' } });
        expect(network.requests[1].url.searchParams.get('ordering')).toBe('relevance');
        // The catalogue's default sort is relevance: without a search the API orders by title.
        await provider.getList('books', { pagination: { page: 1, perPage: 5 }, sort: { field: 'relevance', order: 'ASC' }, filter: {} });
        expect(network.requests[2].url.searchParams.has('ordering')).toBe(false);
        const genres = await provider.getList('genres', { pagination: { page: 1, perPage: 100 }, sort: { field: 'name', order: 'ASC' }, filter: {} });
        expect(genres.data).toEqual([{ id: 'Fantasy', name: 'Fantasy', book_count: 3 }]);
    });

    it('lists references through a nested path or a filter', async () => {
        const { provider, network } = await signedIn(page([]), page([]));
        const params = { target: 'book_id', id: 12, pagination: { page: 1, perPage: 5 }, sort: { field: 'id', order: 'ASC' as const }, filter: {} };
        await provider.getManyReference('reviews', params);
        await provider.getManyReference('loans', { ...params, filter: { status: 'active' } });
        expect(network.requests[1].url.pathname).toBe('/dev/books/12/reviews');
        expect(Object.fromEntries(network.requests[2].url.searchParams)).toEqual({ status: 'active', book_id: '12', page: '1', page_size: '5' });
    });
});

describe('records', () => {
    it('reads one and many (each id once)', async () => {
        const { provider, network } = await signedIn(envelope(200, { id: 5, title: 'Dune' }), envelope(200, { id: 1 }), envelope(200, { id: 2 }));
        expect((await provider.getOne('books', { id: 5 })).data).toEqual({ id: 5, title: 'Dune' });
        const many = await provider.getMany('users', { ids: [1, 2, 1] });
        expect(many.data.map(record => record.id)).toEqual([1, 2]);
        expect(network.requests.slice(2).map(request => request.url.pathname)).toEqual(['/dev/users/1', '/dev/users/2']);
    });

    it('updates with PATCH and only the fields that changed', async () => {
        const { provider, last } = await signedIn(envelope(200, { id: 5, title: 'Dune', genre: 'SF', quantity: 4 }));
        await provider.update('books', {
            id: 5,
            data: { id: 5, title: 'Dune', genre: 'SF', quantity: 4 },
            previousData: { id: 5, title: 'Dune', genre: 'Science Fiction', quantity: 4 },
        });
        expect(last().method).toBe('PATCH');
        expect(last().url.pathname).toBe('/dev/books/5');
        expect(last().body).toEqual({ genre: 'SF' });
    });

    it('deletes and keeps the record with the API answer (an archived book)', async () => {
        const { provider } = await signedIn(envelope(200, { id: 5, archived: true }));
        const result = await provider.delete('books', { id: 5, previousData: { id: 5, title: 'Dune' } });
        expect(result.data).toEqual({ id: 5, title: 'Dune', archived: true });
    });
});

describe('refusals', () => {
    it('puts 422 field errors at their fields, nested ones nested and others at the form root', async () => {
        const { provider } = await signedIn(
            refusal(422, 'VALIDATION_ERROR', 'Validation failed', [
                { field: 'isbn', message: 'ISBN check digit does not match' },
                { field: 'author.name', message: 'Field required' },
                { field: 'body', message: 'Invalid JSON' },
            ]),
        );
        const failure = await provider.create('books', { data: { title: 'Dune', isbn: '0-441-17271-8' } }).catch(error => error);
        expect(failure).toBeInstanceOf(HttpError);
        expect(failure.status).toBe(422);
        expect(failure.body.errors).toEqual({
            isbn: 'ISBN check digit does not match',
            author: { name: 'Field required' },
            root: { serverError: 'Invalid JSON' },
        });
    });

    it('keeps the API code and message of a business refusal', async () => {
        const { provider } = await signedIn(refusal(409, 'LOAN_LIMIT_REACHED', 'The limit of 3 open loans is reached'));
        const failure = await provider.borrow(5, 9, 'key-1').catch(error => error);
        expect(failure.status).toBe(409);
        expect(failure.message).toBe('The limit of 3 open loans is reached: the member must return a book before borrowing another.');
        expect(failure.body).toMatchObject({ code: 'LOAN_LIMIT_REACHED', message: 'The limit of 3 open loans is reached' });
    });

    it('words a refusal for the notifications react-admin shows on its own', async () => {
        const { provider } = await signedIn(refusal(403, 'FORBIDDEN', "This needs the 'users.view' permission"));
        const failure = await provider.getList('users', { pagination: { page: 1, perPage: 20 }, sort: { field: 'id', order: 'ASC' }, filter: {} }).catch(error => error);
        expect(failure.status).toBe(403);
        expect(failure.message).toBe("Not allowed: This needs the 'users.view' permission.");
    });

    it('makes a refused list a permission message with the API reason, never an empty list', async () => {
        const { provider } = await signedIn(refusal(403, 'FORBIDDEN', "This needs the 'reports.view' permission"), refusal(503, 'DATABASE_UNAVAILABLE', 'The database is not answering'));
        const listParams = { pagination: { page: 1, perPage: 20 }, sort: { field: 'id', order: 'ASC' as const }, filter: {} };
        const refused = await provider.getList('users', listParams).catch(error => error);
        expect(refused).toBeInstanceOf(HttpError);
        expect(listFailure(refused)).toEqual({
            refused: true,
            title: "You don't have permission to see this",
            detail: "This needs the 'reports.view' permission. Ask an administrator if you need access.",
        });
        const failed = await provider.getList('users', listParams).catch(error => error);
        expect(listFailure(failed)).toEqual({ refused: false, title: 'This list could not be loaded', detail: 'The database is not answering.' });
    });
});

describe('the desk and the import screen', () => {
    it('borrows for a member with an idempotency key', async () => {
        const { provider, last } = await signedIn(envelope(201, { id: 30, due_date: '2026-12-16' }));
        await provider.borrow(5, 9, 'desk-5-9-abc');
        expect(last().body).toEqual({ book_id: 5, user_id: 9 });
        expect(last().headers['Idempotency-Key']).toBe('desk-5-9-abc');
    });

    it('sends a CSV as text/csv, dry run first', async () => {
        const report = { rows: 2, created: 1, updated: 0, failed: 1, errors: [{ row: 3, field: 'isbn', message: 'bad' }] };
        const { provider, last } = await signedIn(envelope(200, report));
        expect(await provider.importCsv('title,author\nDune,Herbert\n', true)).toEqual(report);
        expect(last().headers['Content-Type']).toBe('text/csv');
        expect(last().url.search).toBe('?dry_run=true');
        expect(last().body).toBe('title,author\nDune,Herbert\n');
    });

    it('starts a large import as a job and uploads the file with the pre-signed form', async () => {
        const job = { id: 4, status: 'pending', rows_total: 0, rows_done: 0 };
        const upload = { url: 'https://imports.example/', fields: { key: 'imports/4.csv', policy: 'p' }, max_bytes: 1000 };
        const { provider, network } = await signedIn(envelope(201, { job, upload }), { status: 204 });
        expect(await provider.startImportJob(new Blob(['title,author\n']), false)).toEqual(job);
        const sent = network.requests[2];
        expect(sent.url.href).toBe('https://imports.example/');
        const form = sent.body as FormData;
        expect([...form.keys()]).toEqual(['key', 'policy', 'file']);
        expect(sent.headers.Authorization).toBeUndefined();
    });

    it('checks an ISBN as typed', async () => {
        const verdict = { isbn: '978', valid: false, isbn_13: null, message: 'An ISBN has 10 or 13 digits', book: null };
        const { provider, last } = await signedIn(envelope(200, verdict));
        expect(await provider.checkIsbn('978')).toEqual(verdict);
        expect(last().url.pathname + last().url.search).toBe('/dev/isbn-check?isbn=978');
    });
});

describe('an expired access token', () => {
    it('is renewed from the refresh cookie once, and the request retried with the new token', async () => {
        const { provider, network } = await signedIn(
            refusal(401, 'UNAUTHORIZED', 'Missing, invalid or expired token'),
            tokens('access-2'),
            envelope(200, { id: 5, title: 'Dune' }),
        );
        expect((await provider.getOne('books', { id: 5 })).data.title).toBe('Dune');
        const [, expired, refresh, retried] = network.requests;
        expect(expired.headers.Authorization).toBe('Bearer access-1');
        expect(refresh.url.pathname).toBe('/dev/auth/refresh');
        expect(refresh.body).toEqual({});
        expect(retried.headers.Authorization).toBe('Bearer access-2');
    });

    it('ends as a 401 when the cookie is refused too and nobody signs in again', async () => {
        const { provider, session } = await signedIn(
            refusal(401, 'UNAUTHORIZED', 'Missing, invalid or expired token'),
            refusal(401, 'REFRESH_TOKEN_REVOKED', 'This refresh token was revoked'),
        );
        const failure = await provider.getOne('books', { id: 5 }).catch(error => error);
        expect(failure.status).toBe(401);
        expect(session.account).toBeNull();
    });

    it('waits for the person to sign in again, then retries: the work on screen is not lost', async () => {
        const { provider, session, network } = await signedIn(
            refusal(401, 'UNAUTHORIZED', 'Missing, invalid or expired token'),
            refusal(401, 'REFRESH_TOKEN_EXPIRED', 'This refresh token has expired'),
            tokens('access-3'),
            envelope(201, { id: 77, title: 'Dune' }),
        );
        session.reauthenticate = async () => {
            await session.login('lena@library.test', 'secret words');
            return true;
        };
        const created = await provider.create('books', { data: { title: 'Dune', author: 'Frank Herbert' } });
        expect(created.data.id).toBe(77);
        const retried = network.requests[network.requests.length - 1];
        expect(retried.body).toEqual({ title: 'Dune', author: 'Frank Herbert' });
        expect(retried.headers.Authorization).toBe('Bearer access-3');
    });
});

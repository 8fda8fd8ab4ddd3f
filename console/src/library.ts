/**
 * The console's single session, API client and providers, rooted at the page's own URL: the API is the same
 * origin, under the same stage prefix (`https://{id}.execute-api.../dev/`), so no URL is configured anywhere.
 */
import { useDataProvider } from 'ra-core';

import { ApiClient } from './api/client';
import { Session } from './api/session';
import { createAuthProvider } from './providers/authProvider';
import { createDataProvider, type LibraryDataProvider } from './providers/dataProvider';

const apiBase = new URL('.', document.baseURI).href;

export const session = new Session(apiBase);
export const api = new ApiClient(apiBase, session);
export const dataProvider = createDataProvider(api);
export const authProvider = createAuthProvider(session);

/** The data provider with the console's own operations (borrow, return, import...). */
export const useLibrary = () => useDataProvider<LibraryDataProvider>();

import createCache from '@emotion/cache';
import { CacheProvider } from '@emotion/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';

// The CSP allows styles only with this response's nonce: every style the UI library inserts carries it.
const nonce = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? undefined;
const styles = createCache({ key: 'lib', nonce, prepend: true });

createRoot(document.getElementById('root')!).render(
    <StrictMode>
        <CacheProvider value={styles}>
            <App />
        </CacheProvider>
    </StrictMode>,
);

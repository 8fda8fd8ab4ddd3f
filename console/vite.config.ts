/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// `npm run dev`: Vite's dev server in front of `make run`'s API, so the console stays same-origin while its
// code reloads on save. Every top-level API path goes to the API (override with LIBRARY_API=http://...).
declare const process: { env: Record<string, string | undefined> };
const API = process.env.LIBRARY_API ?? 'http://127.0.0.1:3000';
const API_PATHS = ['auth', 'users', 'permissions', 'groups', 'books', 'book', 'isbn-check', 'reviews', 'genres', 'authors', 'library', 'loans', 'holds', 'fines', 'policies', 'reports', 'notifications', 'health', 'openapi.json', 'docs'];

// The build lands in the console function's package: `sam build` ships it, the local API serves it.
export default defineConfig({
    // Relative URLs: the console works under a stage prefix (https://{id}.execute-api.../dev/) and at /.
    base: './',
    build: {
        outDir: '../functions/console/library_console/static',
        emptyOutDir: true,
        // Hashed file names under assets/: the console function caches those for a year.
        assetsDir: 'assets',
        // No inline data: scripts; every asset is a file (CSP: script-src 'self').
        assetsInlineLimit: 0,
        chunkSizeWarningLimit: 2000,
        rollupOptions: {
            onwarn(warning, warn) {
                // MUI marks its modules 'use client' for React Server Components, which a plain SPA has no use for.
                if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
            },
        },
    },
    server: {
        proxy: Object.fromEntries(API_PATHS.map(path => [`^/${path}(/|\\?|$)`, { target: API, changeOrigin: false }])),
    },
    test: {
        environment: 'node',
        include: ['tests/**/*.test.ts'],
    },
});

/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

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
    test: {
        environment: 'node',
        include: ['tests/**/*.test.ts'],
    },
});

import { createElement } from 'react';
import { defaultTheme, type RaThemeOptions } from 'react-admin';

import { Pagination } from './layout/ListRows';

/** react-admin's default theme, in the library's blue, with contrast that passes WCAG AA. */
export const theme: RaThemeOptions = {
    ...defaultTheme,
    palette: {
        primary: { main: '#1b4d89' },
        secondary: { main: '#1b4d89' },
        error: { main: '#b3261e' },
        success: { main: '#1e6b34' },
        warning: { main: '#8a4b00' },
    },
    typography: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif' },
    components: {
        ...defaultTheme.components,
        // A visible focus ring on every control: the console is usable with the keyboard alone.
        MuiButtonBase: { styleOverrides: { root: { '&.Mui-focusVisible': { outline: '3px solid #f5a623', outlineOffset: 2 } } } },
        // Loading indicators are announced by name (react-admin shows them while a list or a field loads).
        MuiCircularProgress: { defaultProps: { 'aria-label': 'Loading' } },
        MuiLinearProgress: { defaultProps: { 'aria-label': 'Loading' } },
        // Every list pages with the console's Pagination, which a failed list does without.
        RaList: { defaultProps: { pagination: createElement(Pagination) } },
        MuiLink: { styleOverrides: { root: { '&:focus-visible': { outline: '3px solid #f5a623', outlineOffset: 2 } } } },
    },
};

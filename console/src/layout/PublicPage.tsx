/** The frame of the screens one opens signed out (sign in, register, a forgotten password): a card, centred. */
import { Box, Card, CardContent, Link, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { Link as RouterLink } from 'react-router-dom';

export function PublicPage({ title, width = 420, children }: { title: string; width?: number; children: ReactNode }) {
    return (
        <Box component="main" sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: '#eef2f7' }}>
            <Card sx={{ width, maxWidth: '92vw' }}>
                <CardContent>
                    <Typography component="h1" variant="h5" gutterBottom>
                        {title}
                    </Typography>
                    {children}
                </CardContent>
            </Card>
        </Box>
    );
}

export function BackToSignIn({ children = 'Back to sign in' }: { children?: ReactNode }) {
    return (
        <Typography variant="body2" sx={{ mt: 2 }}>
            <Link component={RouterLink} to="/login">
                {children}
            </Link>
        </Typography>
    );
}

/**
 * The dashboard (reports.view): the library at a glance as tiles, each opening the list behind it; loans per day
 * and most borrowed over a chosen period; overdue loans by days late; hold queues; the overdue list with each
 * member's contact. An empty library says so and points to adding books.
 */
import { Alert, Box, Button, Card, CardActionArea, Grid, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { Title } from 'react-admin';
import { Link } from 'react-router-dom';

import { calendarDate } from '../../format';
import { DayField } from '../../layout/DayFields';
import { useMoney } from '../../layout/Money';
import { HoldQueuesChart, LoansPerDayChart, MostBorrowedChart, OverdueByDaysLateChart } from './Charts';
import { OverdueReport } from './OverdueReport';
import { type BorrowCount, type DayCount, type DaysLateCount, type HoldQueue, type Period as Days, perDayQuery, periodShown, type Summary } from './figures';
import { useReport } from './reports';

const filtered = (path: string, filter: Record<string, string>) => `${path}?filter=${encodeURIComponent(JSON.stringify(filter))}`;

interface Tile {
    key: keyof Summary;
    label: string;
    /** The list behind the figure: a screen, or a section of this page. */
    to?: string;
    section?: string;
    /** What the figure counts, where its label alone could mislead. */
    note?: string;
    /** The figure is an amount, in the library's currency. */
    money?: boolean;
}

const TILES: Tile[] = [
    { key: 'titles', label: 'Titles', to: '/books' },
    { key: 'copies', label: 'Copies owned', to: '/books' },
    { key: 'on_loan', label: 'On loan', to: filtered('/loans', { status: 'active' }) },
    { key: 'overdue', label: 'Overdue', to: filtered('/loans', { status: 'overdue' }) },
    { key: 'holds_waiting', label: 'Holds waiting', to: filtered('/holds', { status: 'waiting' }) },
    { key: 'active_members', label: 'Active members', to: filtered('/users', { role: 'member', is_active: 'true' }) },
    { key: 'fines_outstanding', label: 'Unpaid fines', to: filtered('/fines', { status: 'unpaid' }), note: 'charged so far, as the fines list shows', money: true },
    { key: 'fines_accruing', label: 'Late fees accruing', section: 'overdue-heading', note: 'on overdue loans, not charged yet', money: true },
];

function TileFigure({ tile, summary }: { tile: Tile; summary: Summary }) {
    const written = useMoney();
    return (
        <>
            <Typography variant="body2" color="text.secondary">
                {tile.label}
            </Typography>
            <Typography variant="h4" component="p">
                {tile.money ? written(summary[tile.key]) : summary[tile.key]}
            </Typography>
            {tile.note && (
                <Typography variant="caption" color="text.secondary" component="p">
                    {tile.note}
                </Typography>
            )}
        </>
    );
}

function Tiles({ summary }: { summary: Summary }) {
    return (
        <Box component="nav" aria-label="The library at a glance" sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(130px, 1fr))', gap: 2, mb: 3 }}>
            {TILES.map(tile => (
                <Card key={tile.key}>
                    {tile.to ? (
                        <CardActionArea component={Link} to={tile.to} sx={{ p: 2, height: '100%' }}>
                            <TileFigure tile={tile} summary={summary} />
                        </CardActionArea>
                    ) : (
                        // A section of this page (the hash router owns the URL's fragment): a button that scrolls to it.
                        <CardActionArea onClick={() => document.getElementById(tile.section ?? '')?.scrollIntoView({ behavior: 'smooth' })} sx={{ p: 2, height: '100%' }}>
                            <TileFigure tile={tile} summary={summary} />
                        </CardActionArea>
                    )}
                </Card>
            ))}
        </Box>
    );
}

function EmptyLibrary() {
    return (
        <Alert severity="info" sx={{ mb: 3 }} action={<Button component={Link} to="/import">Import books</Button>}>
            The library has no books yet, so there is nothing to chart. Add books to the catalogue or import a CSV, then lend
            them: the figures appear here.
        </Alert>
    );
}

function Period({ from, to, onChange }: { from: string; to: string; onChange: (from: string, to: string) => void }) {
    return (
        <Stack direction="row" spacing={2} sx={{ my: 1 }} component="fieldset" aria-label="Period" border={0} p={0}>
            <DayField label="From" value={from} onChange={day => onChange(day, to)} />
            <DayField label="To" value={to} onChange={day => onChange(from, day)} />
        </Stack>
    );
}

function Charts() {
    // Null: the library's default period, which only the API knows (its days are the library's, not the browser's).
    const [chosen, setChosen] = useState<Days | null>(null);
    const [limit, setLimit] = useState(10);
    const perDay = useReport<DayCount[]>('loans-per-day', perDayQuery(chosen));
    const period = periodShown(chosen, perDay.data);
    const mostBorrowed = useReport<BorrowCount[]>('most-borrowed', { ...period, limit }, { enabled: period !== null });
    const overdue = useReport<DaysLateCount[]>('overdue-by-days-late');
    const queues = useReport<HoldQueue[]>('hold-queues', { limit: 10 });
    // The default period unknown (loans per day refused): most borrowed has no period to ask for either.
    const mostBorrowedState = period ? mostBorrowed : { data: undefined, error: perDay.error, isPending: !perDay.error };
    const periodControls = period && <Period from={period.from} to={period.to} onChange={(from, to) => setChosen({ from, to })} />;
    const limitControl = (
        <Stack direction="row" spacing={2} alignItems="center" sx={{ my: 1 }}>
            {period && (
                <Typography variant="body2">
                    Same period: {calendarDate(period.from)} to {calendarDate(period.to)}
                </Typography>
            )}
            <TextField select label="Titles" size="small" value={limit} onChange={event => setLimit(Number(event.target.value))} sx={{ minWidth: 100 }}>
                {[5, 10, 20].map(value => (
                    <MenuItem key={value} value={value}>
                        {value}
                    </MenuItem>
                ))}
            </TextField>
        </Stack>
    );
    return (
        <Grid container spacing={2}>
            <Grid size={{ xs: 12, lg: 6 }}>
                <LoansPerDayChart state={perDay} controls={periodControls} />
            </Grid>
            <Grid size={{ xs: 12, lg: 6 }}>
                <MostBorrowedChart state={mostBorrowedState} controls={limitControl} />
            </Grid>
            <Grid size={{ xs: 12, lg: 6 }}>
                <OverdueByDaysLateChart state={overdue} />
            </Grid>
            <Grid size={{ xs: 12, lg: 6 }}>
                <HoldQueuesChart state={queues} />
            </Grid>
        </Grid>
    );
}

export function Dashboard() {
    const summary = useReport<Summary>('summary');
    return (
        <Box sx={{ p: 2 }}>
            <Title title="Dashboard" />
            <Typography component="h1" variant="h5" gutterBottom>
                Dashboard
            </Typography>
            {summary.error ? <Alert severity="error">Could not load the figures.</Alert> : null}
            {summary.data && <Tiles summary={summary.data} />}
            {summary.data && summary.data.titles === 0 ? <EmptyLibrary /> : null}
            <Charts />
            <OverdueReport />
        </Box>
    );
}


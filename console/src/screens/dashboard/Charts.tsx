/**
 * The dashboard's charts, drawn with Recharts (axes, tooltips, responsive sizing, SVG that scales): each one a
 * figure named by its heading, with its figures also as a table for screen readers, and its own empty state.
 */
import { Alert, Box, Card, CardContent, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { useId } from 'react';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useNavigate } from 'react-router-dom';

import { calendarDate, shortCalendarDate } from '../../format';
import { explain } from '../../messages';
import { binLabel, type BorrowCount, type DayCount, type DaysLateCount, type HoldQueue } from './figures';

const BLUE = '#1b4d89';
const AMBER = '#8a4b00';
const HEIGHT = 260;

/** Visually hidden, still read by screen readers. */
export const srOnly = { position: 'absolute', width: '1px', height: '1px', overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' } as const;

interface Loaded<T> {
    data?: T;
    error: unknown;
    isPending: boolean;
}

interface ChartCardProps<T> {
    title: string;
    description: string;
    state: Loaded<T[]>;
    empty: string;
    table: { headers: [string, string]; rows: (row: T) => [string, string | number] };
    controls?: ReactNode;
    children: (data: T[]) => ReactNode;
}

export function ChartCard<T>({ title, description, state, empty, table, controls, children }: ChartCardProps<T>) {
    const headingId = useId();
    const data = state.data ?? [];
    const nothing = !state.isPending && !state.error && data.every(row => Number(table.rows(row)[1]) === 0);
    return (
        <Card component="section" aria-labelledby={headingId} sx={{ height: '100%' }}>
            <CardContent>
                <Typography id={headingId} component="h2" variant="h6">
                    {title}
                </Typography>
                <Typography variant="body2" color="text.secondary" gutterBottom>
                    {description}
                </Typography>
                {controls}
                {state.error ? <Alert severity="error">{explain(state.error)}</Alert> : null}
                {state.isPending ? (
                    // Not an empty chart while the figures are on their way.
                    <Box sx={{ height: HEIGHT }} aria-busy="true" />
                ) : nothing ? (
                    <Box sx={{ height: HEIGHT, display: 'grid', placeItems: 'center' }}>
                        <Typography color="text.secondary">{empty}</Typography>
                    </Box>
                ) : (
                    <Box component="figure" sx={{ m: 0, height: HEIGHT }} data-testid={`chart-${title}`} aria-hidden="true">
                        <ResponsiveContainer width="100%" height={HEIGHT}>
                            {children(data) as React.ReactElement}
                        </ResponsiveContainer>
                    </Box>
                )}
                {!nothing && data.length > 0 && (
                    <Box component="table" aria-label={`${title}: the figures`} sx={srOnly}>
                        <thead>
                            <tr>
                                <th scope="col">{table.headers[0]}</th>
                                <th scope="col">{table.headers[1]}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {data.map(row => {
                                const [label, value] = table.rows(row);
                                return (
                                    <tr key={label}>
                                        <th scope="row">{label}</th>
                                        <td>{value}</td>
                                    </tr>
                                );
                            })}
                        </tbody>
                    </Box>
                )}
            </CardContent>
        </Card>
    );
}

export function LoansPerDayChart({ state, controls }: { state: Loaded<DayCount[]>; controls: ReactNode }) {
    return (
        <ChartCard
            title="Loans per day"
            description="Loans that began on each day of the period (the library's days, in its time zone)."
            state={state}
            empty="No loans began in this period."
            controls={controls}
            table={{ headers: ['Day', 'Loans'], rows: row => [calendarDate(row.day), row.loans] }}
        >
            {data => (
                <LineChart data={data} margin={{ top: 10, right: 20, bottom: 0, left: 0 }} accessibilityLayer={false}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="day" tickFormatter={shortCalendarDate} minTickGap={16} />
                    <YAxis allowDecimals={false} width={40} />
                    <Tooltip labelFormatter={label => calendarDate(String(label))} />
                    <Line type="linear" dataKey="loans" name="Loans" stroke={BLUE} strokeWidth={2} dot={data.length <= 31} isAnimationActive={false} />
                </LineChart>
            )}
        </ChartCard>
    );
}

function TitleBars<T extends { book_id: number; title: string }>({ data, value, name, colour }: { data: T[]; value: string; name: string; colour: string }) {
    const navigate = useNavigate();
    return (
        <BarChart data={data} layout="vertical" margin={{ top: 0, right: 20, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" horizontal={false} />
            <XAxis type="number" allowDecimals={false} />
            <YAxis type="category" dataKey="title" width={170} tick={{ fontSize: 12 }} interval={0} />
            <Tooltip />
            <Bar dataKey={value as string} name={name} fill={colour} isAnimationActive={false} cursor="pointer" onClick={entry => navigate(`/books/${(entry as unknown as { payload: T }).payload.book_id}/show`)} />
        </BarChart>
    );
}

export function MostBorrowedChart({ state, controls }: { state: Loaded<BorrowCount[]>; controls: ReactNode }) {
    return (
        <ChartCard
            title="Most borrowed"
            description="Titles by loans begun in the period; a bar opens the title."
            state={state}
            empty="Nothing was borrowed in this period."
            controls={controls}
            table={{ headers: ['Title', 'Loans'], rows: row => [row.title, row.loans] }}
        >
            {data => <TitleBars data={data} value="loans" name="Loans" colour={BLUE} />}
        </ChartCard>
    );
}

export function OverdueByDaysLateChart({ state }: { state: Loaded<DaysLateCount[]> }) {
    return (
        <ChartCard
            title="Overdue by days late"
            description="Loans still out past their due date, by how many days late they are."
            state={state}
            empty="No loan is overdue."
            table={{ headers: ['Days late', 'Loans'], rows: row => [binLabel(row), row.loans] }}
        >
            {data => (
                <BarChart data={data.map(row => ({ ...row, label: binLabel(row) }))} barCategoryGap={2} accessibilityLayer={false}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="label" />
                    <YAxis allowDecimals={false} width={40} />
                    <Tooltip />
                    <Bar dataKey="loans" name="Overdue loans" fill={AMBER} isAnimationActive={false} />
                </BarChart>
            )}
        </ChartCard>
    );
}

export function HoldQueuesChart({ state }: { state: Loaded<HoldQueue[]> }) {
    return (
        <ChartCard
            title="Hold queues"
            description="Titles with members waiting for a copy, the longest queues first; a bar opens the title."
            state={state}
            empty="Nobody is waiting for a title."
            table={{ headers: ['Title', 'Members waiting'], rows: row => [row.title, row.waiting] }}
        >
            {data => <TitleBars data={data} value="waiting" name="Members waiting" colour={BLUE} />}
        </ChartCard>
    );
}

/**
 * The overdue report: loans still out past their due date with the member's contact, sortable by any column.
 * The API sorts (`ordering`) and pages it, so a sort orders every overdue loan, not the page shown; the longest
 * overdue first by default. No "send a reminder now": the API has no such route (the reminders job sends overdue
 * notices every day on its own).
 */
import { Alert, Box, Card, CardContent, Link, Table, TableBody, TableCell, TableHead, TablePagination, TableRow, TableSortLabel, Typography } from '@mui/material';
import { useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';

import type { Page } from '../../api/client';
import { calendarDate } from '../../format';
import { useMoney } from '../../layout/Money';
import { explain } from '../../messages';
import { type Column, type OverdueLoan, overdueOrdering } from './figures';
import { useReport } from './reports';

const COLUMNS: { key: Column; label: string; numeric?: boolean }[] = [
    { key: 'title', label: 'Title' },
    { key: 'member_name', label: 'Member' },
    { key: 'member_email', label: 'Contact' },
    { key: 'due_date', label: 'Due' },
    { key: 'days_late', label: 'Days late', numeric: true },
    { key: 'fine_so_far', label: 'Fine so far', numeric: true },
];

export function OverdueReport() {
    const written = useMoney();
    const [page, setPage] = useState(0);
    const [pageSize, setPageSize] = useState(20);
    const [sort, setSort] = useState<{ column: Column; direction: 'asc' | 'desc' }>({ column: 'days_late', direction: 'desc' });
    const report = useReport<Page<OverdueLoan>>('overdue', { ordering: overdueOrdering(sort.column, sort.direction), page: page + 1, page_size: pageSize });
    const loans = report.data?.items ?? [];
    const sortBy = (column: Column) => {
        setSort(current => ({ column, direction: current.column === column && current.direction === 'desc' ? 'asc' : 'desc' }));
        setPage(0);
    };
    return (
        <Card component="section" aria-labelledby="overdue-heading" sx={{ mt: 2 }}>
            <CardContent>
                <Typography id="overdue-heading" component="h2" variant="h6">
                    Overdue loans
                </Typography>
                <Typography variant="body2" color="text.secondary" gutterBottom>
                    Still out past their due date, with the member's contact. Overdue notices go out by email every day.
                </Typography>
                {report.error ? <Alert severity="error">{explain(report.error)}</Alert> : null}
                {report.data && report.data.total === 0 ? (
                    <Typography sx={{ py: 2 }}>No loan is overdue.</Typography>
                ) : (
                    <Box sx={{ overflowX: 'auto' }}>
                        <Table size="small" aria-label="Overdue loans">
                            <TableHead>
                                <TableRow>
                                    {COLUMNS.map(column => (
                                        <TableCell key={column.key} align={column.numeric ? 'right' : 'left'} sortDirection={sort.column === column.key ? sort.direction : false}>
                                            <TableSortLabel active={sort.column === column.key} direction={sort.column === column.key ? sort.direction : 'desc'} onClick={() => sortBy(column.key)}>
                                                {column.label}
                                            </TableSortLabel>
                                        </TableCell>
                                    ))}
                                </TableRow>
                            </TableHead>
                            <TableBody>
                                {loans.map(loan => (
                                    <TableRow key={loan.loan_id}>
                                        <TableCell>
                                            <Link component={RouterLink} to={`/books/${loan.book_id}/show`}>{loan.title}</Link>
                                        </TableCell>
                                        <TableCell>
                                            <Link component={RouterLink} to={`/users/${loan.user_id}/show`}>{loan.member_name}</Link>
                                        </TableCell>
                                        <TableCell>
                                            <Link href={`mailto:${loan.member_email}`}>{loan.member_email}</Link>
                                        </TableCell>
                                        <TableCell>{calendarDate(loan.due_date)}</TableCell>
                                        <TableCell align="right">{loan.days_late}</TableCell>
                                        <TableCell align="right">{written(loan.fine_so_far)}</TableCell>
                                    </TableRow>
                                ))}
                            </TableBody>
                        </Table>
                        <TablePagination
                            component="div"
                            count={report.data?.total ?? 0}
                            page={page}
                            rowsPerPage={pageSize}
                            rowsPerPageOptions={[20, 50, 100]}
                            onPageChange={(_, next) => setPage(next)}
                            onRowsPerPageChange={event => {
                                setPageSize(Number(event.target.value));
                                setPage(0);
                            }}
                        />
                    </Box>
                )}
            </CardContent>
        </Card>
    );
}

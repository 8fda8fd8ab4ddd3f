/**
 * Import books from a CSV: a dry run first (the row errors in a table: row, field, message), then the real
 * import and its summary. Files too large for one request go through an import job (POST /books/imports): the
 * file is uploaded to storage and a progress bar follows the job until it ends.
 */
import UploadIcon from '@mui/icons-material/UploadFile';
import {
    Alert,
    Box,
    Button,
    Card,
    CardContent,
    LinearProgress,
    Stack,
    Table,
    TableBody,
    TableCell,
    TableContainer,
    TableHead,
    TableRow,
    Typography,
} from '@mui/material';
import { type ChangeEvent, useState } from 'react';
import { Title } from 'react-admin';

import { useLibrary } from '../../library';
import { codeOf, explain } from '../../messages';
import type { ImportJob, ImportReport } from '../../providers/dataProvider';

/** Files up to this size go in one request (API Gateway takes 10 MB); larger ones through an import job. */
export const DIRECT_IMPORT_LIMIT_BYTES = 5 * 1024 * 1024;
const POLL_MS = 1000;

type Summary = Pick<ImportReport, 'created' | 'updated' | 'failed' | 'errors' | 'dry_run'> & { rows: number; truncated?: boolean };
type Progress = { done: number; total: number } | 'indeterminate' | null;

function ErrorsTable({ errors, truncated }: { errors: Summary['errors']; truncated?: boolean }) {
    if (!errors.length) return null;
    return (
        <Box sx={{ mt: 2 }}>
            <Typography component="h3" variant="subtitle1">
                Rows with errors{truncated ? ' (the first 1,000)' : ''}
            </Typography>
            <TableContainer sx={{ maxHeight: 420 }}>
                <Table size="small" stickyHeader aria-label="Rows with errors">
                    <TableHead>
                        <TableRow>
                            <TableCell>Row</TableCell>
                            <TableCell>Field</TableCell>
                            <TableCell>Message</TableCell>
                        </TableRow>
                    </TableHead>
                    <TableBody>
                        {errors.map((error, index) => (
                            <TableRow key={index}>
                                <TableCell>{error.row ?? 'file'}</TableCell>
                                <TableCell>{error.field ?? 'whole row'}</TableCell>
                                <TableCell>{error.message}</TableCell>
                            </TableRow>
                        ))}
                    </TableBody>
                </Table>
            </TableContainer>
        </Box>
    );
}

function SummaryPanel({ summary }: { summary: Summary }) {
    const words = summary.dry_run
        ? `Dry run: ${summary.rows} rows read. ${summary.created} would be added, ${summary.updated} updated, ${summary.failed} have errors. Nothing was saved.`
        : `Import finished: ${summary.created} added, ${summary.updated} updated, ${summary.failed} rows skipped for errors.`;
    return (
        <Box sx={{ mt: 2 }}>
            <Alert severity={summary.failed ? 'warning' : 'success'} role="status">
                {words}
            </Alert>
            <ErrorsTable errors={summary.errors} truncated={summary.truncated} />
        </Box>
    );
}

const fromReport = (report: ImportReport): Summary => ({ ...report, truncated: report.errors_truncated });
const fromJob = (job: ImportJob): Summary => ({ ...job, rows: job.rows_total });

export function ImportPage() {
    const library = useLibrary();
    const [file, setFile] = useState<File | null>(null);
    const [summary, setSummary] = useState<Summary | null>(null);
    const [checked, setChecked] = useState(false);
    const [progress, setProgress] = useState<Progress>(null);
    const [failure, setFailure] = useState<string | null>(null);

    const choose = (event: ChangeEvent<HTMLInputElement>) => {
        setFile(event.target.files?.[0] ?? null);
        setSummary(null);
        setChecked(false);
        setFailure(null);
    };

    const followJob = async (job: ImportJob): Promise<Summary> => {
        let current = job;
        while (current.status === 'pending' || current.status === 'running') {
            setProgress({ done: current.rows_done, total: current.rows_total });
            await new Promise(resolve => setTimeout(resolve, POLL_MS));
            current = await library.readImportJob(job.id);
        }
        if (current.status === 'failed') throw new Error(current.message ?? 'The import failed');
        return fromJob(current);
    };

    const run = async (dryRun: boolean) => {
        if (!file) return;
        setFailure(null);
        setProgress('indeterminate');
        try {
            let result: Summary;
            if (file.size <= DIRECT_IMPORT_LIMIT_BYTES) {
                result = fromReport(await library.importCsv(await file.text(), dryRun));
            } else {
                result = await followJob(await library.startImportJob(file, dryRun));
            }
            setSummary(result);
            setChecked(dryRun);
        } catch (error) {
            const tooLarge = codeOf(error) === 'STORAGE_NOT_CONFIGURED';
            setFailure(tooLarge ? `${explain(error)} Files over ${DIRECT_IMPORT_LIMIT_BYTES / 1024 / 1024} MB need it: split the file.` : explain(error));
        } finally {
            setProgress(null);
        }
    };

    return (
        <Box sx={{ mt: 2 }}>
            <Title title="Import books" />
            <Card>
                <CardContent>
                    <Typography component="h1" variant="h5" gutterBottom>
                        Import books from a CSV file
                    </Typography>
                    <Typography variant="body2" color="text.secondary">
                        A header row naming the columns (title and author are required; isbn, publisher, publication, published_date, genre, language,
                        description, quantity are optional). Rows are matched by ISBN: a known ISBN updates that book, any other row adds one. Check the file
                        first: nothing is saved until you import.
                    </Typography>
                    <Stack direction="row" spacing={2} alignItems="center" sx={{ mt: 2 }} flexWrap="wrap" useFlexGap>
                        <Button component="label" variant="outlined" startIcon={<UploadIcon />}>
                            Choose CSV file
                            <input type="file" accept=".csv,text/csv" hidden onChange={choose} data-testid="csv-file" />
                        </Button>
                        <Typography aria-live="polite">{file ? `${file.name} (${Math.ceil(file.size / 1024)} KB)` : 'No file chosen'}</Typography>
                    </Stack>
                    <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
                        <Button variant="contained" disabled={!file || progress !== null} onClick={() => run(true)}>
                            Check file (dry run)
                        </Button>
                        <Button variant="contained" disabled={!file || !checked || progress !== null} onClick={() => run(false)}>
                            Import
                        </Button>
                    </Stack>
                    {progress !== null && (
                        <Box sx={{ mt: 2 }} role="status" aria-label="Import progress">
                            {progress === 'indeterminate' ? (
                                <LinearProgress aria-label="Working" />
                            ) : (
                                <>
                                    <LinearProgress variant="determinate" value={progress.total ? (100 * progress.done) / progress.total : 0} aria-label="Rows imported" />
                                    <Typography variant="body2">
                                        {progress.total ? `${progress.done} of ${progress.total} rows` : 'Uploading and waiting for the import to start'}
                                    </Typography>
                                </>
                            )}
                        </Box>
                    )}
                    {failure && (
                        <Alert severity="error" role="alert" sx={{ mt: 2 }}>
                            {failure}
                        </Alert>
                    )}
                    {summary && <SummaryPanel summary={summary} />}
                </CardContent>
            </Card>
        </Box>
    );
}

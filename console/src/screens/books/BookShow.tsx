/** A book's page: its details and cover, copies free / on loan / on the hold shelf, the holds queue, its loan
 * history and reviews (those two lists for staff who may see every member's). */
import CheckoutIcon from '@mui/icons-material/Output';
import { Box, Button, Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import {
    DateField,
    DeleteButton,
    EditButton,
    FunctionField,
    Labeled,
    NumberField,
    ReferenceField,
    ReferenceManyField,
    Show,
    TextField,
    TopToolbar,
    useCanAccess,
    useRecordContext,
} from 'react-admin';
import { Link } from 'react-router-dom';

import { publicationDate } from '../../format';
import { Datagrid } from '../../layout/ListRows';
import { Section } from '../../layout/Section';
import { MemberBookActions } from '../mine/MemberBookActions';
import { CoverUpload } from './CoverUpload';

interface BookRecord {
    id: number;
    title: string;
    quantity: number;
    copies_available: number;
    on_loan: number;
    on_hold_shelf: number;
    holds_waiting: number;
    cover_url: string | null;
}

function Actions() {
    const book = useRecordContext<BookRecord>();
    const desk = useCanAccess({ resource: 'circulation', action: 'list' });
    return (
        <TopToolbar>
            {desk.canAccess && book && (
                <Button component={Link} to={`/circulation?book=${book.id}`} startIcon={<CheckoutIcon />}>
                    Check out
                </Button>
            )}
            <EditButton />
            <DeleteButton
                label="Archive"
                mutationMode="pessimistic"
                confirmTitle="Archive this book?"
                confirmContent="It leaves the catalogue; its loans, holds and reviews are kept. Books never borrowed are deleted."
            />
        </TopToolbar>
    );
}

function Availability() {
    const book = useRecordContext<BookRecord>();
    if (!book) return null;
    const figures = [
        ['Copies owned', book.quantity],
        ['Free now', book.copies_available],
        ['On loan', book.on_loan],
        ['On the hold shelf', book.on_hold_shelf],
        ['Members waiting', book.holds_waiting],
    ] as const;
    return (
        <Card variant="outlined" component="section" aria-label="Copies">
            <CardContent>
                <Typography component="h2" variant="h6" gutterBottom>
                    Copies
                </Typography>
                <Stack direction="row" spacing={3} flexWrap="wrap" useFlexGap>
                    {figures.map(([label, value]) => (
                        <Box key={label}>
                            <Typography variant="body2" color="text.secondary">
                                {label}
                            </Typography>
                            <Typography variant="h5" component="p">
                                {value}
                            </Typography>
                        </Box>
                    ))}
                </Stack>
                <Chip
                    sx={{ mt: 1 }}
                    color={book.copies_available > 0 ? 'success' : 'warning'}
                    label={book.copies_available > 0 ? 'Available' : 'No copy free'}
                />
            </CardContent>
        </Card>
    );
}

function Cover() {
    const book = useRecordContext<BookRecord>();
    if (!book) return null;
    return book.cover_url ? (
        <Box component="img" src={book.cover_url} alt={`Cover of ${book.title}`} sx={{ width: 160, borderRadius: 1, boxShadow: 1 }} />
    ) : (
        <Box sx={{ width: 160, height: 230, bgcolor: '#e3e8ef', borderRadius: 1, display: 'grid', placeItems: 'center', textAlign: 'center', p: 1 }}>
            <Typography variant="body2" color="text.secondary">
                No cover
            </Typography>
        </Box>
    );
}

function StaffLists() {
    const { canAccess } = useCanAccess({ resource: 'loans', action: 'list' });
    if (!canAccess) return null;
    return (
        <>
            <Section title="Holds queue">
                <ReferenceManyField reference="holds" target="book_id" filter={{ status: 'waiting' }} perPage={50}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>Nobody is waiting.</Typography>}>
                        <NumberField source="position" label="Position" />
                        <ReferenceField source="user_id" reference="users" label="Member" link="show" />
                        <DateField source="queued_on" label="Queued" showTime />
                    </Datagrid>
                </ReferenceManyField>
            </Section>
            <Section title="Loan history">
                <ReferenceManyField reference="loans" target="book_id" perPage={10}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>Never borrowed.</Typography>}>
                        <ReferenceField source="user_id" reference="users" label="Member" link="show" />
                        <DateField source="borrowed_on" label="Borrowed" />
                        <DateField source="due_date" label="Due" />
                        <DateField source="returned_on" label="Returned" />
                        <TextField source="status" label="Status" />
                    </Datagrid>
                </ReferenceManyField>
            </Section>
        </>
    );
}

export function BookShow() {
    return (
        <Show actions={<Actions />} title={<BookTitle />}>
            <Box sx={{ p: 2 }}>
                <Stack direction={{ xs: 'column', md: 'row' }} spacing={3}>
                    <Stack spacing={1} alignItems="flex-start">
                        <Cover />
                        <CoverUpload />
                    </Stack>
                    <Box sx={{ flex: 1 }}>
                        <FunctionField component="h1" variant="h5" render={(book: BookRecord) => book.title} />
                        <Stack direction="row" spacing={4} flexWrap="wrap" useFlexGap sx={{ my: 1 }}>
                            <Labeled label="Author"><TextField source="author" /></Labeled>
                            <Labeled label="ISBN"><TextField source="isbn" emptyText="none" /></Labeled>
                            <Labeled label="Publisher"><TextField source="publisher" emptyText="-" /></Labeled>
                            <Labeled label="Published"><FunctionField render={(book: { published_date: string | null }) => publicationDate(book.published_date)} /></Labeled>
                            <Labeled label="Genre"><TextField source="genre" emptyText="-" /></Labeled>
                            <Labeled label="Language"><TextField source="language" emptyText="-" /></Labeled>
                            <Labeled label="Rating"><FunctionField render={(book: { average_rating: number | null; review_count: number }) => book.average_rating === null ? 'No reviews' : `${book.average_rating} / 5 (${book.review_count})`} /></Labeled>
                        </Stack>
                        <TextField source="description" emptyText="" />
                        <Box sx={{ mt: 2 }}>
                            <Availability />
                            <MemberBookActions />
                        </Box>
                    </Box>
                </Stack>
                <StaffLists />
                <Section title="Reviews">
                    <ReferenceManyField reference="reviews" target="book_id" perPage={10}>
                        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography>No reviews yet.</Typography>}>
                            <TextField source="user_name" label="Reader" />
                            <NumberField source="rating" label="Rating" />
                            <TextField source="comment" label="Comment" />
                            <DateField source="created_on" label="Written" />
                        </Datagrid>
                    </ReferenceManyField>
                </Section>
            </Box>
        </Show>
    );
}

function BookTitle() {
    const book = useRecordContext<BookRecord>();
    return <span>{book ? book.title : 'Book'}</span>;
}

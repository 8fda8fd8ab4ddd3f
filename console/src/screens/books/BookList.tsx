/** The catalogue: ranked search, the filters of GET /books, sort, pagination and page size. */
import {
    CreateButton,
    FilterButton,
    FunctionField,
    List,
    NumberField,
    ReferenceInput,
    SelectInput,
    SortButton,
    TextField,
    TextInput,
    TopToolbar,
} from 'react-admin';

import { publicationDate } from '../../format';
import { Datagrid, Pagination } from '../../layout/ListRows';
import { RecordLink } from '../../layout/RecordLink';

const filters = [
    <TextInput key="q" source="q" label="Search" alwaysOn resettable helperText="Title, author or description" />,
    <TextInput key="title" source="title" label="Title" />,
    <TextInput key="author" source="author" label="Author" />,
    <ReferenceInput key="genre" source="genre" reference="genres" perPage={100} sort={{ field: 'name', order: 'ASC' }}>
        <SelectInput label="Genre" optionText="name" optionValue="name" />
    </ReferenceInput>,
    <TextInput key="language" source="language" label="Language" />,
    <SelectInput
        key="available"
        source="available"
        label="Availability"
        choices={[
            { id: 'true', name: 'A copy is free' },
            { id: 'false', name: 'No copy free' },
        ]}
    />,
];

function Actions() {
    return (
        <TopToolbar>
            <SortButton fields={['relevance', 'title', 'author', 'published_date', 'average_rating', 'created_on']} label="Sort by" />
            <FilterButton />
            <CreateButton label="New book" />
        </TopToolbar>
    );
}

export function BookList() {
    return (
        <List
            title="Catalogue"
            filters={filters}
            actions={<Actions />}
            // Best match first while searching; by title otherwise (the API's order without a search).
            sort={{ field: 'relevance', order: 'ASC' }}
            perPage={20}
            pagination={<Pagination rowsPerPageOptions={[10, 20, 50, 100]} />}
            empty={false}
        >
            <Datagrid rowClick="show" bulkActionButtons={false}>
                <RecordLink source="title" label="Title" />
                <TextField source="author" label="Author" />
                <TextField source="genre" label="Genre" sortable={false} />
                <TextField source="language" label="Language" sortable={false} />
                <FunctionField source="published_date" label="Published" render={(book: { published_date: string | null }) => publicationDate(book.published_date)} />
                <FunctionField
                    label="Copies free"
                    sortable={false}
                    render={(book: { copies_available: number; quantity: number }) => `${book.copies_available} of ${book.quantity}`}
                />
                <NumberField source="average_rating" label="Rating" emptyText="-" />
            </Datagrid>
        </List>
    );
}

import { Create, Edit, NumberInput, required, SaveButton, SimpleForm, TextInput, Toolbar, useRedirect } from 'react-admin';

import { DayInput } from '../../layout/DayFields';
import { IsbnInput } from './IsbnInput';

function BookFields() {
    return (
        <>
            <TextInput source="title" label="Title" validate={required()} fullWidth />
            <TextInput source="author" label="Author" validate={required()} fullWidth />
            <IsbnInput />
            <TextInput source="publisher" label="Publisher" />
            <TextInput source="publication" label="Edition or series" />
            <DayInput source="published_date" label="Published" />
            <TextInput source="genre" label="Genre" />
            <TextInput source="language" label="Language" />
            <NumberInput source="quantity" label="Copies owned" min={0} step={1} validate={required()} />
            <TextInput source="description" label="Description" multiline minRows={3} fullWidth />
        </>
    );
}

// Empty optional fields go to the API as null (cleared), never as "".
const nullIfBlank = (data: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(data).map(([name, value]) => [name, value === '' ? null : value]));

export function BookCreate() {
    const redirect = useRedirect();
    return (
        <Create title="New book" transform={nullIfBlank} mutationOptions={{ onSuccess: (book: { id: number }) => redirect('show', 'books', book.id) }}>
            <SimpleForm defaultValues={{ quantity: 1 }}>
                <BookFields />
            </SimpleForm>
        </Create>
    );
}

export function BookEdit() {
    return (
        <Edit title="Edit book" transform={nullIfBlank} mutationMode="pessimistic" redirect="show">
            {/* Archiving is on the book's page, where it says what it keeps. */}
            <SimpleForm toolbar={<Toolbar><SaveButton /></Toolbar>}>
                <BookFields />
            </SimpleForm>
        </Edit>
    );
}

/** Type-ahead pickers for the desk: a member by name or email, a title by words of it or its ISBN. */
import { Autocomplete, TextField } from '@mui/material';
import { useEffect, useState } from 'react';
import { useDataProvider } from 'react-admin';

export interface Option {
    id: number;
    label: string;
    detail: string;
}

const PAUSE_MS = 250;
const ISBN_LIKE = /^[\d\s-]{9,}[\dXx]$/;

function useSearch(resource: string, text: string, toOption: (record: Record<string, unknown>) => Option) {
    const dataProvider = useDataProvider();
    const [options, setOptions] = useState<Option[]>([]);
    const [loading, setLoading] = useState(false);
    useEffect(() => {
        const words = text.trim();
        if (words.length < 2) {
            setOptions([]);
            return;
        }
        let current = true;
        const filter = resource === 'books' && ISBN_LIKE.test(words) ? { isbn: words } : { q: words };
        const timer = setTimeout(() => {
            setLoading(true);
            dataProvider
                .getList(resource, { filter, pagination: { page: 1, perPage: 10 }, sort: { field: 'id', order: 'ASC' } })
                .then(result => current && setOptions(result.data.map(toOption)))
                .catch(() => current && setOptions([]))
                .finally(() => current && setLoading(false));
        }, PAUSE_MS);
        return () => {
            current = false;
            clearTimeout(timer);
        };
        // eslint-disable-next-line react-hooks/exhaustive-deps -- toOption is a pure mapping
    }, [dataProvider, resource, text]);
    return { options, loading };
}

interface PickerProps {
    label: string;
    helperText: string;
    value: Option | null;
    onChange: (option: Option | null) => void;
}

function Picker({ resource, label, helperText, value, onChange, toOption }: PickerProps & { resource: string; toOption: (record: Record<string, unknown>) => Option }) {
    const [text, setText] = useState('');
    const { options, loading } = useSearch(resource, text, toOption);
    return (
        <Autocomplete
            sx={{ minWidth: 320, flex: 1 }}
            value={value}
            options={value && !options.some(option => option.id === value.id) ? [value, ...options] : options}
            loading={loading}
            filterOptions={all => all}
            getOptionLabel={option => option.label}
            isOptionEqualToValue={(option, selected) => option.id === selected.id}
            onChange={(_, option) => onChange(option)}
            onInputChange={(_, typed) => setText(typed)}
            noOptionsText={text.trim().length < 2 ? 'Type at least two letters' : 'No match'}
            renderOption={(props, option) => (
                <li {...props} key={option.id}>
                    <span>
                        {option.label}
                        <br />
                        <small>{option.detail}</small>
                    </span>
                </li>
            )}
            renderInput={params => <TextField {...params} label={label} helperText={helperText} />}
        />
    );
}

export const memberOption = (member: Record<string, unknown>): Option => ({
    id: Number(member.id),
    label: String(member.name),
    detail: `${member.email}${member.is_active ? '' : ' (not active)'}`,
});

export const bookOption = (book: Record<string, unknown>): Option => ({
    id: Number(book.id),
    label: String(book.title),
    detail: `${book.author} · ${book.copies_available} of ${book.quantity} free${book.isbn ? ` · ISBN ${book.isbn}` : ''}`,
});

export function MemberPicker(props: PickerProps) {
    return <Picker resource="users" toOption={memberOption} {...props} />;
}

export function BookPicker(props: PickerProps) {
    return <Picker resource="books" toOption={bookOption} {...props} />;
}

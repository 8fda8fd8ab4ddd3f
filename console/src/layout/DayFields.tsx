/**
 * Days typed the way the console writes them (the browser's locale, e.g. dd/mm/yyyy), never the browser's own
 * date picker, whose order follows the browser's language rather than the locale the console formats with.
 */
import { TextField } from '@mui/material';
import { useEffect, useState } from 'react';
import { useInput } from 'react-admin';

import { calendarDate, DAY_PATTERN, parseCalendarDate } from '../format';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const NOT_A_DAY = `Not a day: write it as ${DAY_PATTERN.placeholder}`;
const shown = (value: unknown) => (typeof value === 'string' && ISO_DAY.test(value) ? calendarDate(value) : '');

/** A required day outside a form (the dashboard's period): `onChange` hears only whole days. */
export function DayField({ label, value, onChange }: { label: string; value: string; onChange: (day: string) => void }) {
    const [text, setText] = useState(() => calendarDate(value));
    const [invalid, setInvalid] = useState(false);
    const change = (typed: string) => {
        setText(typed);
        const day = parseCalendarDate(typed);
        if (day) {
            setInvalid(false);
            onChange(day);
        }
    };
    return (
        <TextField
            label={label}
            size="small"
            value={text}
            placeholder={DAY_PATTERN.placeholder}
            onChange={event => change(event.target.value)}
            onBlur={() => setInvalid(parseCalendarDate(text) === null)}
            error={invalid}
            helperText={invalid ? NOT_A_DAY : DAY_PATTERN.placeholder}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { inputMode: 'numeric' } }}
        />
    );
}

/** An optional day in a react-admin form (YYYY-MM-DD or null): what is not a day stays in the field, refused. */
export function DayInput({ source, label }: { source: string; label: string }) {
    const { field, fieldState, formState } = useInput({ source, validate: value => (value == null || value === '' || ISO_DAY.test(String(value)) ? undefined : NOT_A_DAY) });
    const [text, setText] = useState(() => shown(field.value));
    // The record arriving, or the form reset, shows its day; the text typed is kept while it says the value.
    useEffect(() => {
        if ((parseCalendarDate(text) ?? (text.trim() || null)) !== (field.value || null)) setText(shown(field.value));
    }, [field.value]);
    // Said on leaving the field already, not only at saving (react-admin validates on submit).
    const [leftUnfinished, setLeftUnfinished] = useState(false);
    const isDay = (typed: string) => typed.trim() === '' || parseCalendarDate(typed) !== null;
    const change = (typed: string) => {
        setText(typed);
        if (isDay(typed)) setLeftUnfinished(false);
        field.onChange(typed.trim() === '' ? null : (parseCalendarDate(typed) ?? typed));
    };
    const leave = () => {
        field.onBlur();
        setLeftUnfinished(!isDay(text));
    };
    const refused = leftUnfinished || (fieldState.error && formState.isSubmitted);
    return (
        <TextField
            label={label}
            value={text}
            placeholder={DAY_PATTERN.placeholder}
            onChange={event => change(event.target.value)}
            onBlur={leave}
            error={Boolean(refused)}
            helperText={refused ? NOT_A_DAY : DAY_PATTERN.placeholder}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { inputMode: 'numeric' } }}
        />
    );
}

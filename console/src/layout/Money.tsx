/**
 * Amounts in the library's currency, which the API names on GET /policies (`currency`, the deployment's
 * LibraryCurrency, and `currency_minor_digits`, the decimals the notices write): asked once per session, then
 * every amount is written with it (format.ts's money).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Typography } from '@mui/material';
import { type FieldProps, useFieldValue } from 'react-admin';

import { type Currency, money } from '../format';
import { api } from '../library';

type Written = (amount: string | number) => string;

const CURRENCY = {
    queryKey: ['library-currency'],
    queryFn: async (): Promise<Currency> => {
        const policy = await api.get<{ currency: string; currency_minor_digits: number }>('policies');
        return { code: policy.currency, minorDigits: policy.currency_minor_digits };
    },
    staleTime: Infinity,
};

/** Writes an amount in the library's currency (the amount alone while the currency is being asked for). */
export function useMoney(): Written {
    const { data: currency } = useQuery(CURRENCY);
    return amount => money(amount, currency);
}

/** The same, for a message written once an action is done: waits for the currency should it not be known yet. */
export function useMoneyOnceKnown(): () => Promise<Written> {
    const client = useQueryClient();
    return async () => {
        const currency = await client.fetchQuery(CURRENCY);
        return amount => money(amount, currency);
    };
}

/** A record's amount, e.g. a fine's: `<MoneyField source="amount" label="Amount" />`. */
export function MoneyField(props: FieldProps & { label?: string }) {
    const amount = useFieldValue(props);
    const written = useMoney();
    return <Typography component="span" variant="body2">{amount == null ? '-' : written(amount as string)}</Typography>;
}

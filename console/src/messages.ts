/** The API's refusals in the words a librarian at the desk needs, keyed by the API's stable codes. */

interface Refusal {
    message?: string;
    status?: number;
    body?: { code?: string; message?: string; errors?: Record<string, unknown> };
}

const PLAIN_WORDS: Record<string, string> = {
    BOOK_UNAVAILABLE: 'No copy of this title is free right now. You can place a hold: the member gets the next copy that comes back.',
    ALREADY_BORROWED: 'This member already has a copy of this title out.',
    LOAN_ALREADY_RETURNED: 'This loan was already returned.',
    RENEWAL_LIMIT_REACHED: 'This loan has used all its renewals.',
    HOLDS_WAITING: 'Another member is waiting for this title, so the loan cannot be renewed.',
    COPY_AVAILABLE: 'A copy is free: check it out instead of placing a hold.',
    ALREADY_QUEUED: 'This member is already in the queue for this title.',
    FINE_ALREADY_SETTLED: 'This fine was already paid or waived.',
    FINE_STILL_ACCRUING: 'The book is still out, so the fine is not final yet: return it first (or waive the fine).',
    STORAGE_NOT_CONFIGURED: 'File uploads are not set up in this deployment (no storage bucket).',
    DUPLICATE_ISBN: 'Another book in the catalogue already has this ISBN.',
};

/** The API's own message is kept where it carries the specifics (the loan limit, why borrowing is blocked). */
const SPECIFIC = new Set(['LOAN_LIMIT_REACHED', 'BORROWING_BLOCKED', 'FORBIDDEN', 'VALIDATION_ERROR']);

export function codeOf(error: unknown): string | undefined {
    return (error as Refusal)?.body?.code;
}

export function explain(error: unknown): string {
    const refusal = error as Refusal;
    const code = codeOf(error);
    const apiMessage = refusal?.body?.message ?? refusal?.message ?? 'Something went wrong';
    if (code && !SPECIFIC.has(code) && PLAIN_WORDS[code]) return PLAIN_WORDS[code];
    if (code === 'LOAN_LIMIT_REACHED') return `${apiMessage}: the member must return a book before borrowing another.`;
    if (refusal?.status === 403 && code === 'FORBIDDEN') return `Not allowed: ${apiMessage}.`;
    if (code === 'VALIDATION_ERROR' && refusal.body?.errors) return `${apiMessage}: ${fieldMessages(refusal.body.errors).join('; ')}.`;
    return apiMessage.endsWith('.') ? apiMessage : `${apiMessage}.`;
}

export interface ListFailure {
    /** The API refused the caller (403), rather than failing. */
    refused: boolean;
    title: string;
    detail: string;
}

/** Why a list shows no rows when its request failed: a refusal is said as one, never shown as an empty list. */
export function listFailure(error: unknown): ListFailure {
    const refusal = error as Refusal;
    if (refusal?.status !== 403) return { refused: false, title: 'This list could not be loaded', detail: explain(error) };
    const reason = refusal.body?.message ?? refusal.message;
    const said = reason ? (reason.endsWith('.') ? `${reason} ` : `${reason}. `) : '';
    return { refused: true, title: "You don't have permission to see this", detail: `${said}Ask an administrator if you need access.` };
}

/** The field errors (as the data provider nests them, `{from: "…"}`) as "from: …" phrases. */
function fieldMessages(errors: Record<string, unknown>, prefix = ''): string[] {
    return Object.entries(errors).flatMap(([field, value]) =>
        typeof value === 'object' && value !== null ? fieldMessages(value as Record<string, unknown>, `${prefix}${field}.`) : [`${prefix}${field} ${String(value)}`],
    );
}

/** Uploads a cover straight to storage with the API's pre-signed form, where the deployment has storage. */
import UploadIcon from '@mui/icons-material/AddPhotoAlternate';
import { Button } from '@mui/material';
import { type ChangeEvent, useId, useRef, useState } from 'react';
import { useCanAccess, useNotify, useRecordContext, useRefresh } from 'react-admin';

import { useLibrary } from '../../library';
import { explain } from '../../messages';

export function CoverUpload() {
    const book = useRecordContext<{ id: number }>();
    const library = useLibrary();
    const notify = useNotify();
    const refresh = useRefresh();
    const input = useRef<HTMLInputElement>(null);
    const inputId = useId();
    const [busy, setBusy] = useState(false);
    const { canAccess } = useCanAccess({ resource: 'books', action: 'edit' });
    if (!book || !canAccess) return null;

    const upload = async (event: ChangeEvent<HTMLInputElement>) => {
        const file = event.target.files?.[0];
        if (!file) return;
        setBusy(true);
        try {
            await library.uploadCover(book.id, file);
            notify('Cover uploaded: it appears in a moment', { type: 'success' });
            setTimeout(refresh, 2000);
        } catch (error) {
            notify(explain(error), { type: 'error' });
        } finally {
            setBusy(false);
            event.target.value = '';
        }
    };

    return (
        <>
            <input id={inputId} ref={input} type="file" accept="image/jpeg,image/png,image/webp" hidden onChange={upload} aria-label="Cover image" />
            <Button size="small" startIcon={<UploadIcon />} onClick={() => input.current?.click()} disabled={busy}>
                Upload cover
            </Button>
        </>
    );
}

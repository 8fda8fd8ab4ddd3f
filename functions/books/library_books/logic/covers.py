"""Cover images: a pre-signed S3 form per upload; the image becomes the cover when S3 reports it stored.

Uploads go straight from the client to S3 (API Gateway would cap them at 10 MB and base64 them); the form's
policy lets S3 itself refuse another content type or a file over the size limit. `cover_url` is a pre-signed
GET, so the bucket stays private.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select, update

from library_books import storage
from library_common import models
from library_common.domain import catalogue
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_COVER_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_COVER_KEY = re.compile(r"covers/(?P<book_id>[0-9]{1,18})/[0-9a-f]{32}\.(?:jpg|png|webp)")


def cover_url(key: str | None) -> str | None:
    bucket = get_settings().covers_bucket
    if key is None or not bucket:
        return None
    return storage.presigned_get(bucket, key)


def cover_upload(session: Session, book_id: int, content_type: str) -> dict[str, Any]:
    bucket = storage.require_bucket(get_settings().covers_bucket)
    # (Not `books.require_live_book`: the books module imports this one for `cover_url`.)
    if not session.scalar(select(exists().where(models.Book.id == book_id, catalogue.is_live(models.Book)))):
        raise catalogue.book_not_found()
    # A fresh key per upload: a cached URL of the old cover never shows the new image, and vice versa.
    key = f"covers/{book_id}/{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    form = storage.presigned_post(bucket, key, content_type, MAX_COVER_BYTES)
    return {**form, "key": key, "content_type": content_type}


def attach_uploaded_cover(session: Session, key: str) -> bool:
    """Makes an uploaded image its book's cover; False for a key this API never handed out or a removed book."""
    found = _COVER_KEY.fullmatch(key)
    if found is None:
        return False
    result = session.execute(
        update(models.Book)
        .where(models.Book.id == int(found["book_id"]), catalogue.is_live(models.Book))
        .values(cover_key=key)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1

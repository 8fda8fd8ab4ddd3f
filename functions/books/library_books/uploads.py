"""The uploads function: S3 "Object Created" events, delivered by EventBridge, for the two upload buckets.

A CSV in the imports bucket runs its import job; an image in the covers bucket becomes its book's cover.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from library_books.logic import covers, import_jobs
from library_common import db, metrics
from library_common.settings import get_settings

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key")
    settings = get_settings()
    logger.append_keys(bucket=bucket, key=key)
    if bucket and key and bucket == settings.imports_bucket:
        job = import_jobs.run_uploaded_import(bucket, key)
        logger.info("import upload handled", extra={"job": job and {k: job[k] for k in ("id", "status", "failed")}})
        return {"handled": job is not None}
    if bucket and key and bucket == settings.covers_bucket:
        with db.transaction() as session:
            attached = covers.attach_uploaded_cover(session, key)
        logger.info("cover upload handled", extra={"attached": attached})
        return {"handled": attached}
    logger.warning("event for no bucket this function serves")
    return {"handled": False}

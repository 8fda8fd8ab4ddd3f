"""Imports too big for one request: the client uploads the CSV straight to S3 with a pre-signed form, S3's
"Object Created" event runs the same CSV import in the uploads function, and the job row reports progress.

A job moves pending -> running -> succeeded | failed exactly once: the uploads function claims it with a
conditional UPDATE, so a redelivered or retried event finds nothing to do.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update

from library_books import storage
from library_books.logic import csv_import
from library_common import db, models
from library_common.domain.statuses import ImportStatus
from library_common.errors import NotFound, ValidationFailed
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_IMPORT_BYTES = 100 * 1024 * 1024
IMPORT_CONTENT_TYPE = "text/csv"
# A running job records progress at least once per chunk; the uploads function is stopped after 15 minutes
# (its Timeout in template.yaml), so a job silent for longer died with it (time or memory limit).
STALLED_AFTER = timedelta(minutes=16)
STALLED = "The import stopped (the uploads function's time or memory limit was reached); nothing was saved"


def _shown(job: models.ImportJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "dry_run": job.dry_run,
        "atomic": job.atomic,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "created": job.created,
        "updated": job.updated,
        "failed": job.failed,
        "errors": job.errors,
        "message": job.message,
        "created_on": job.created_on,
        "finished_on": job.finished_on,
    }


def start_import(session: Session, *, dry_run: bool, atomic: bool) -> dict[str, Any]:
    bucket = storage.require_bucket(get_settings().imports_bucket)
    job = models.ImportJob(object_key=f"imports/{uuid.uuid4().hex}.csv", dry_run=dry_run, atomic=atomic)
    session.add(job)
    session.flush()
    session.refresh(job)
    upload = storage.presigned_post(bucket, job.object_key, IMPORT_CONTENT_TYPE, MAX_IMPORT_BYTES)
    return {"job": _shown(job), "upload": upload}


def read_job(session: Session, job_id: int) -> dict[str, Any]:
    _fail_if_stalled(session, job_id)
    job = session.get(models.ImportJob, job_id)
    if job is None:
        raise NotFound("Import job not found", code="IMPORT_NOT_FOUND")
    return _shown(job)


def _fail_if_stalled(session: Session, job_id: int) -> None:
    """A job whose function was killed would show `running` forever; its import's transaction rolled back."""
    session.execute(
        update(models.ImportJob)
        .where(
            models.ImportJob.id == job_id,
            models.ImportJob.status == ImportStatus.RUNNING,
            models.ImportJob.updated_on < func.now() - STALLED_AFTER,
        )
        .values(status=ImportStatus.FAILED.value, message=STALLED, finished_on=func.now())
        .execution_options(synchronize_session=False)
    )


def _record(job_id: int, **values: Any) -> None:
    # Its own short transaction: progress must be visible while the import's transaction is still open.
    with db.transaction() as session:
        session.execute(update(models.ImportJob).where(models.ImportJob.id == job_id).values(**values))


def _finish(job_id: int, status: str, message: str | None, report: dict[str, Any] | None = None) -> None:
    counts = {name: report[name] for name in ("created", "updated", "failed", "errors")} if report else {}
    if report and "rows" in report:
        counts["rows_done"] = report["rows"]
    _record(job_id, status=status, message=message, finished_on=func.now(), **counts)


def run_uploaded_import(bucket: str, key: str) -> dict[str, Any] | None:
    """Runs the job whose file was just stored at `key`; None when no pending job waits for that key."""
    with db.transaction() as session:
        claimed = session.execute(
            update(models.ImportJob)
            .where(models.ImportJob.object_key == key, models.ImportJob.status == ImportStatus.PENDING)
            .values(status=ImportStatus.RUNNING.value)
            .returning(
                models.ImportJob.id, models.ImportJob.dry_run, models.ImportJob.atomic, models.ImportJob.created_by
            )
        ).one_or_none()
    if claimed is None:
        return None
    # The books it writes are the work of whoever started the job.
    actor = db.current_actor.set(claimed.created_by)
    try:
        _run(claimed.id, bucket, key, dry_run=claimed.dry_run, atomic=claimed.atomic)
    except Exception:
        _finish(claimed.id, ImportStatus.FAILED, "The import stopped on an internal error; nothing was saved")
        raise
    finally:
        db.current_actor.reset(actor)
    with db.transaction() as session:
        return read_job(session, claimed.id)


def _run(job_id: int, bucket: str, key: str, *, dry_run: bool, atomic: bool) -> None:
    try:
        content = storage.read_object(bucket, key).decode("utf-8-sig")
    except UnicodeDecodeError:
        _finish(job_id, ImportStatus.FAILED, "The file is not UTF-8 text")
        return
    _record(job_id, rows_total=csv_import.count_data_rows(content))
    try:
        with db.transaction() as session:
            report = csv_import.import_csv(
                session,
                io.StringIO(content),
                dry_run=dry_run,
                atomic=atomic,
                on_progress=lambda done: _record(job_id, rows_done=done),
            ).as_dict()
    except ValidationFailed as error:
        problems = [{"row": None, **problem} for problem in error.errors or []]
        _finish(
            job_id, ImportStatus.FAILED, error.message, {"created": 0, "updated": 0, "failed": 0, "errors": problems}
        )
        return
    if report["applied"] or report["dry_run"]:
        _finish(job_id, ImportStatus.SUCCEEDED, None, report)
    else:
        _finish(
            job_id, ImportStatus.FAILED, f"{report['failed']} rows failed; nothing was saved (atomic import)", report
        )

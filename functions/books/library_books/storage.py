"""S3, for cover images and CSV imports: pre-signed uploads and downloads, and reading an uploaded file.

boto3 is imported on first use only, so a catalogue request that shows no cover never pays for it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from library_common.errors import LibraryError

UPLOAD_EXPIRES_SECONDS = 900
DOWNLOAD_EXPIRES_SECONDS = 3600


class StorageNotConfigured(LibraryError):
    status, code, message = 503, "STORAGE_NOT_CONFIGURED", "File storage is not configured in this deployment"


@lru_cache(maxsize=1)
def s3_client() -> Any:
    import boto3
    from botocore.config import Config

    # SigV4: pre-signed URLs of newer regions and of KMS-encrypted objects accept nothing else.
    return boto3.client("s3", config=Config(signature_version="s3v4"))


def require_bucket(name: str | None) -> str:
    if not name:
        raise StorageNotConfigured()
    return name


def presigned_post(bucket: str, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
    """A browser-friendly form upload of exactly this key and content type, at most `max_bytes` long."""
    form = s3_client().generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=UPLOAD_EXPIRES_SECONDS,
    )
    return {
        "url": form["url"],
        "fields": form["fields"],
        "max_bytes": max_bytes,
        "expires_in": UPLOAD_EXPIRES_SECONDS,
    }


def presigned_get(bucket: str, key: str) -> str:
    return s3_client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=DOWNLOAD_EXPIRES_SECONDS
    )


def read_object(bucket: str, key: str) -> bytes:
    return s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()

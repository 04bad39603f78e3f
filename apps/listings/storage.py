"""Listing photos in object storage (S3: SeaweedFS locally, AWS S3 in production),
through django-storages' S3 backend (settings.STORAGES["photos"]) and its boto3
client for what the storage API lacks (presigned uploads, HEAD).

Keys: `uploads/<photo id>` holds an original until its variants exist (never
served); `media/<sha256>.webp` holds the variants, which the gateway serves.
Every failure to reach the store becomes StorageUnavailable, which the API answers
with 503 and the worker retries: the callers never see a boto3 exception.
"""

from collections.abc import Iterator
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import storages

UPLOAD_PREFIX = "uploads/"
PRESIGNED_SECONDS = 15 * 60


class StorageUnavailable(Exception):
    """Object storage did not answer, or answered with an error of its own."""


def _storage():
    return storages["photos"]


def _client():
    return _storage().connection.meta.client


def _bucket() -> str:
    return _storage().bucket_name


def upload_key(photo_id) -> str:
    return f"{UPLOAD_PREFIX}{photo_id}"


def put(key: str, data: bytes, *, content_type: str, immutable: bool = False) -> None:
    params = {"ContentType": content_type}
    if immutable:
        params["CacheControl"] = "public, max-age=31536000, immutable"
    try:
        _client().put_object(Bucket=_bucket(), Key=key, Body=data, **params)
    except (BotoCoreError, ClientError) as error:
        raise StorageUnavailable(str(error)) from error


def get(key: str) -> bytes | None:
    """The object's bytes, or None if there is no such object."""
    try:
        return _client().get_object(Bucket=_bucket(), Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise StorageUnavailable(str(error)) from error
    except BotoCoreError as error:
        raise StorageUnavailable(str(error)) from error


def size(key: str) -> int | None:
    try:
        return _client().head_object(Bucket=_bucket(), Key=key)["ContentLength"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise StorageUnavailable(str(error)) from error
    except BotoCoreError as error:
        raise StorageUnavailable(str(error)) from error


def exists(key: str) -> bool:
    return size(key) is not None


def delete(*keys: str) -> None:
    for key in keys:
        try:
            _storage().delete(key)
        except (BotoCoreError, ClientError) as error:
            raise StorageUnavailable(str(error)) from error


def presigned_put(key: str) -> str:
    """A URL the client PUTs the original to, for PRESIGNED_SECONDS; its bytes are
    checked once the client confirms, as a multipart upload's are."""
    try:
        return _client().generate_presigned_url(
            "put_object",
            Params={"Bucket": _bucket(), "Key": key},
            ExpiresIn=PRESIGNED_SECONDS,
        )
    except (BotoCoreError, ClientError) as error:
        raise StorageUnavailable(str(error)) from error


def listing(prefix: str) -> Iterator[tuple[str, datetime]]:
    """Every key under `prefix` and when it was last written."""
    paginator = _client().get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=_bucket(), Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]
    except (BotoCoreError, ClientError) as error:
        raise StorageUnavailable(str(error)) from error


def public_url(key: str) -> str:
    return f"{settings.PHOTOS_PUBLIC_URL}/{key.removeprefix('media/')}"

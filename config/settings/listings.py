"""Settings of the listings deployable."""

from config.settings.base import *
from config.settings.base import deployable_settings

globals().update(deployable_settings("listings"))
HEARTH_EVENT_CONSUMERS = ["apps.listings.consumers.LISTINGS_CONSUMER", REVOCATION_CONSUMER]

# Photos in S3 (apps.listings.storage): SeaweedFS locally, AWS S3 in production,
# where OBJECT_STORAGE_ENDPOINT_URL is left empty and the keys may be too (the pod's
# IAM role then signs). Short timeouts and few retries: an upload while the store is
# down is refused in seconds (503), not after boto3's default minute.
from botocore.config import Config as BotoConfig  # noqa: E402

OBJECT_STORAGE_BUCKET = env("OBJECT_STORAGE_BUCKET", f"hearth-{HEARTH_ENV}")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "photos": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": OBJECT_STORAGE_BUCKET,
            "endpoint_url": env(
                "OBJECT_STORAGE_ENDPOINT_URL", "http://127.0.0.1:8333" if LOCAL else ""
            )
            or None,
            "region_name": env("OBJECT_STORAGE_REGION", "us-east-1"),
            "access_key": own_value(SERVICES["listings"], "OBJECT_STORAGE_ACCESS_KEY_ID", "")
            or None,
            "secret_key": own_value(SERVICES["listings"], "OBJECT_STORAGE_SECRET_ACCESS_KEY", "")
            or None,
            "addressing_style": env("OBJECT_STORAGE_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "file_overwrite": True,  # names are content digests: same name, same bytes
            "default_acl": None,
            "querystring_auth": False,
            "client_config": BotoConfig(
                connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
            ),
        },
    },
}
# The public address of media/ (the gateway, or a CDN in front of the bucket).
PHOTOS_PUBLIC_URL = env("PHOTOS_PUBLIC_URL", f"{HEARTH_PUBLIC_URL}/media").rstrip("/")
# A photo's bytes stay in memory (at most one 10 MB file per request): no temporary
# file on a read-only root.
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

# As in notifications: the deployable's Celery app is the current one in each of its
# processes, so apps.listings.tasks are sent with this configuration.
import config.celery  # noqa: E402, F401

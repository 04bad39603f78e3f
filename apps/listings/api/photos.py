"""A listing's photos: the landlord uploads (multipart, or a presigned PUT and a
confirmation), captions, reorders and deletes them. What is accepted, and why
processing happens later, is in apps.listings.photos and photo_services."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.listings import photo_services, photos, selectors, storage
from apps.listings.models import MAX_CAPTION_LENGTH, Photo
from kernel import errors
from kernel.api.openapi import refuses
from kernel.api.parsers import JSONParser
from kernel.auth.permissions import IsLandlord

STORAGE_DOWN = (
    "Photo storage is not answering right now, so the photo was not uploaded. "
    "Your other changes are saved; try the photo again in a minute."
)


class StorageDown(exceptions.APIException):
    """503 with {"detail": ...}, the Error shape the schema documents."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"


class VariantSerializer(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class VariantsSerializer(serializers.Serializer):
    thumbnail = VariantSerializer()
    card = VariantSerializer()
    full = VariantSerializer()


class UploadedPhotoSerializer(serializers.ModelSerializer):
    """A photo; `variants` is null until it is processed (status ready)."""

    variants = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "status", "position", "caption", "width", "height", "variants"]
        read_only_fields = fields

    @extend_schema_field(VariantsSerializer(allow_null=True))
    def get_variants(self, photo: Photo) -> dict | None:
        if photo.status != Photo.Status.READY:
            return None
        return {
            name: {"url": storage.public_url(v["key"]), "width": v["width"], "height": v["height"]}
            for name, v in photo.variants.items()
        }


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"JPEG, PNG or WebP, at most {photos.MAX_PHOTO_BYTES // (1024 * 1024)} MB"
    )
    caption = serializers.CharField(max_length=MAX_CAPTION_LENGTH, allow_blank=True, default="")


class CaptionSerializer(serializers.Serializer):
    caption = serializers.CharField(max_length=MAX_CAPTION_LENGTH, allow_blank=True)


class PresignSerializer(serializers.Serializer):
    caption = serializers.CharField(max_length=MAX_CAPTION_LENGTH, allow_blank=True, default="")


class PresignedSerializer(serializers.Serializer):
    photo = UploadedPhotoSerializer()
    upload_url = serializers.CharField(help_text="PUT the photo's bytes here, then confirm")
    method = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="seconds")


class OrderSerializer(serializers.Serializer):
    photo_ids = serializers.ListField(
        child=serializers.UUIDField(), max_length=photos.MAX_PHOTOS_PER_LISTING
    )


@extend_schema(tags=["listings"])
class ListingPhotoViewSet(viewsets.GenericViewSet):
    """The photos of one of the signed-in landlord's listings (anyone else's is a 404)."""

    serializer_class = UploadedPhotoSerializer
    permission_classes = [IsAuthenticated, IsLandlord]
    # Multipart for the upload (a browser's form, without JavaScript); JSON otherwise.
    parser_classes = [JSONParser, MultiPartParser]
    # A listing has 20 photos at most: every list is whole, never a page.
    pagination_class = None

    def get_object(self):
        # Only DRF's OPTIONS metadata asks (for PUT); each action finds its own photo.
        raise Http404

    def _listing(self, listing_id):
        listing = selectors.landlord_listing(
            landlord_id=self.request.user.id, listing_id=listing_id
        )
        if listing is None:
            raise errors.NotFound("No such listing.")
        return listing

    @extend_schema(operation_id="listings_photos_list", summary="A listing's photos, in order")
    def list(self, request, listing_id):
        listing = self._listing(listing_id)
        return Response(
            UploadedPhotoSerializer(selectors.listing_photos(listing=listing), many=True).data
        )

    @extend_schema(
        operation_id="listings_photos_upload",
        summary="Upload a photo (multipart); it is shown once processed",
        request={"multipart/form-data": UploadSerializer},
        responses={202: UploadedPhotoSerializer},
    )
    @refuses(errors.Conflict, 503)
    def create(self, request, listing_id):
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > photos.MAX_PHOTO_BYTES:  # refused before reading it into memory
            raise errors.Invalid.field("file", photos.TOO_BIG)
        try:
            photo = photo_services.photo_upload(
                listing_id=listing_id,
                actor_id=request.user.id,
                data=upload.read(),
                caption=serializer.validated_data["caption"],
            )
        except storage.StorageUnavailable as error:
            raise StorageDown(STORAGE_DOWN) from error
        return Response(UploadedPhotoSerializer(photo).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="listings_photos_presign",
        summary="Start a presigned upload: PUT the bytes to upload_url, then confirm",
        request=PresignSerializer,
        responses={201: PresignedSerializer},
    )
    @refuses(errors.Conflict, 503)
    def presign(self, request, listing_id):
        serializer = PresignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            photo, url = photo_services.photo_presign(
                listing_id=listing_id,
                actor_id=request.user.id,
                caption=serializer.validated_data["caption"],
            )
        except storage.StorageUnavailable as error:
            raise StorageDown(STORAGE_DOWN) from error
        body = {
            "photo": UploadedPhotoSerializer(photo).data,
            "upload_url": url,
            "method": "PUT",
            "expires_in": storage.PRESIGNED_SECONDS,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="listings_photos_confirm",
        summary="Confirm a presigned upload: the photo is checked, then processed",
        request=None,
        responses={202: UploadedPhotoSerializer},
    )
    @refuses(errors.Conflict, 503)
    def confirm(self, request, listing_id, photo_id):
        try:
            photo = photo_services.photo_confirm(
                listing_id=listing_id, actor_id=request.user.id, photo_id=photo_id
            )
        except storage.StorageUnavailable as error:
            raise StorageDown(STORAGE_DOWN) from error
        return Response(UploadedPhotoSerializer(photo).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="listings_photos_caption",
        summary="Change a photo's caption",
        request=CaptionSerializer,
    )
    @refuses(errors.Conflict)
    def partial_update(self, request, listing_id, photo_id):
        serializer = CaptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = photo_services.photo_update(
            listing_id=listing_id,
            actor_id=request.user.id,
            photo_id=photo_id,
            caption=serializer.validated_data["caption"],
        )
        return Response(UploadedPhotoSerializer(photo).data)

    @extend_schema(operation_id="listings_photos_delete", summary="Delete a photo")
    @refuses(errors.Conflict)
    def destroy(self, request, listing_id, photo_id):
        photo_services.photo_delete(
            listing_id=listing_id, actor_id=request.user.id, photo_id=photo_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="listings_photos_reorder",
        summary="Put the listing's photos in a new order (every photo, once)",
        request=OrderSerializer,
        responses=UploadedPhotoSerializer(many=True),
    )
    @refuses(errors.Conflict)
    def reorder(self, request, listing_id):
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ordered = photo_services.photo_reorder(
            listing_id=listing_id,
            actor_id=request.user.id,
            photo_ids=serializer.validated_data["photo_ids"],
        )
        return Response(UploadedPhotoSerializer(ordered, many=True).data)

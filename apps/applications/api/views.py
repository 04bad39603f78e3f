"""The applications API: thin views over services and selectors.

Renters submit and withdraw, landlords approve and reject; each sees only their
side (someone else's application is a 404), and the wrong role is a 403.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.applications import selectors, services
from apps.applications.api.serializers import ApplicationSerializer, ApplicationSubmitSerializer
from apps.applications.contracts import ApplicationStatus
from apps.applications.models import Application
from kernel import errors
from kernel.api.openapi import refuses
from kernel.auth.permissions import IsLandlord, IsRenter
from kernel.db.choices import choices_of


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=choices_of(ApplicationStatus))
    listing_id = django_filters.UUIDFilter()

    class Meta:
        model = Application
        fields = ["status", "listing_id"]


@extend_schema_view(
    # Explicit ids: derived ones collide with the deployable's index at /api/v1/applications/.
    list=extend_schema(operation_id="applications_list"),
    retrieve=extend_schema(operation_id="applications_retrieve"),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApplicationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApplicationFilter
    # Only what a role may do is open to it; the rest of the rules are the services'.
    role_permissions = {
        "create": IsRenter,
        "withdraw": IsRenter,
        "approve": IsLandlord,
        "reject": IsLandlord,
    }

    def get_permissions(self):
        role = self.role_permissions.get(self.action)
        return [IsAuthenticated(), *([role()] if role else [])]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator has no user
            return Application.objects.none()
        return selectors.applications_visible_to(user=self.request.user).order_by(
            "-submitted_at", "id"
        )

    @extend_schema(
        operation_id="applications_create",
        request=ApplicationSubmitSerializer,
        responses={201: ApplicationSerializer},
    )
    @refuses(errors.Conflict)
    def create(self, request):
        data = ApplicationSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        income = data.validated_data["monthly_income"]
        application = services.application_submit(
            listing_id=data.validated_data["listing_id"],
            renter_id=request.user.id,
            renter_name=request.user.full_name,
            move_in_date=data.validated_data["move_in_date"],
            occupants=data.validated_data["occupants"],
            monthly_income_amount=income["amount"],
            monthly_income_currency=income["currency"],
            message=data.validated_data["message"],
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="applications_approve", request=None, responses=ApplicationSerializer
    )
    @refuses(errors.Conflict)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve, which lets the listing: every other submitted application for it
        is closed in the same transaction (services.application_approve)."""
        application = services.application_approve(application_id=pk, landlord_id=request.user.id)
        return Response(ApplicationSerializer(application).data)

    @extend_schema(
        operation_id="applications_reject", request=None, responses=ApplicationSerializer
    )
    @refuses(errors.Conflict)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        application = services.application_reject(application_id=pk, landlord_id=request.user.id)
        return Response(ApplicationSerializer(application).data)

    @extend_schema(
        operation_id="applications_withdraw", request=None, responses=ApplicationSerializer
    )
    @refuses(errors.Conflict)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = services.application_withdraw(application_id=pk, renter_id=request.user.id)
        return Response(ApplicationSerializer(application).data)

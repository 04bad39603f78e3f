"""Market figures: a landlord's own markets, or, for staff, everything."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics import selectors
from apps.analytics.api import serializers


class IsLandlordOrStaff(BasePermission):
    message = "Only landlords and staff can see market figures."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and (getattr(user, "is_landlord", False) or _is_staff(user)))


def _is_staff(user) -> bool:
    token = getattr(user, "token", None)
    return bool(token and token.get("staff"))


def scope(request) -> uuid.UUID | None:
    """None for staff (everything); a landlord's own id otherwise."""
    return None if _is_staff(request.user) else uuid.UUID(str(request.user.id))


class AnalyticsView(APIView):
    permission_classes = [IsLandlordOrStaff]


@extend_schema(tags=["analytics"])
class RentsView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_rents",
        summary="Median and 90th-percentile rent per city, bedrooms and month",
        responses=serializers.RentsSerializer,
    )
    def get(self, request):
        return Response({"results": selectors.rents(landlord_id=scope(request))})


@extend_schema(tags=["analytics"])
class ActivityView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_activity",
        summary="Listings published and let per week",
        responses=serializers.ActivitySerializer,
    )
    def get(self, request):
        return Response({"results": selectors.weekly_activity(landlord_id=scope(request))})


@extend_schema(tags=["analytics"])
class FunnelView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_funnel",
        summary="Applications submitted, and how they ended",
        responses=serializers.FunnelSerializer,
    )
    def get(self, request):
        return Response(selectors.funnel(landlord_id=scope(request)))


@extend_schema(tags=["analytics"])
class TimeToLetView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_time_to_let",
        summary="Days from first publication to let, per city",
        responses=serializers.TimesToLetSerializer,
    )
    def get(self, request):
        return Response({"results": selectors.time_to_let(landlord_id=scope(request))})

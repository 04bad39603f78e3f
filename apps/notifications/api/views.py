from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView

from apps.notifications.api.serializers import NotificationSerializer
from apps.notifications.selectors import notifications_of


@extend_schema_view(
    get=extend_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        summary="The caller's notifications, newest first",
    )
)
class NotificationListView(ListAPIView):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return notifications_of(recipient_id=self.request.user.id)

"""Who may do what: by role for users, by name for calling services. A signed-in
user of the wrong role gets 403; no token at all gets 401."""

from rest_framework.permissions import BasePermission

from kernel.auth.authentication import ServicePrincipal


class IsRenter(BasePermission):
    message = "Only renters can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and getattr(request.user, "is_renter", False))


class IsLandlord(BasePermission):
    message = "Only landlords can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and getattr(request.user, "is_landlord", False))


def service_called(*services: str) -> type[BasePermission]:
    """Permission for internal endpoints: only the named deployables may call."""

    class CalledByService(BasePermission):
        message = f"Only {', '.join(services)} may call this."

        def has_permission(self, request, view) -> bool:
            caller = request.user
            return isinstance(caller, ServicePrincipal) and caller.service in services

    return CalledByService

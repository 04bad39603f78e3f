from django.contrib import admin, messages

from apps.accounts import services
from apps.accounts.models import User
from kernel import errors
from kernel.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """Accounts to look at, never to edit: no add, change or delete, and no password
    hash on show. Staff change an account only through the actions below, which
    call the services, so the rules hold and the events are published. Granting
    and revoking staff is for superusers only."""

    list_display = ["email", "full_name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    # Every field but the password hash.
    fields = [
        "id",
        "email",
        "full_name",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
        "password_changed_at",
    ]
    readonly_fields = fields
    ordering = ["-date_joined"]
    actions = ["deactivate", "reactivate", "grant_staff", "revoke_staff"]

    def has_superuser_permission(self, request) -> bool:
        # Named by the staff actions' allowed_permissions: Django hides them from,
        # and refuses them to, anyone this says no to.
        return request.user.is_active and request.user.is_superuser

    def _apply(self, request, queryset, change, done: str) -> None:
        changed = 0
        for user in queryset:
            try:
                change(user_id=user.pk, by=request.user)
            except errors.DomainError as refusal:
                self.message_user(request, f"{user.email}: {refusal.message}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{done}: {changed} account(s).", messages.SUCCESS)

    @admin.action(description="Deactivate the selected accounts (ends their sessions)")
    def deactivate(self, request, queryset):
        self._apply(request, queryset, services.user_deactivate, "Deactivated")

    @admin.action(description="Reactivate the selected accounts")
    def reactivate(self, request, queryset):
        self._apply(request, queryset, services.user_reactivate, "Reactivated")

    @admin.action(description="Make the selected accounts staff", permissions=["superuser"])
    def grant_staff(self, request, queryset):
        self._apply(request, queryset, services.user_grant_staff, "Made staff")

    @admin.action(description="Take staff rights away", permissions=["superuser"])
    def revoke_staff(self, request, queryset):
        self._apply(request, queryset, services.user_revoke_staff, "Staff rights taken away")

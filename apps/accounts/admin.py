from django.contrib import admin

from apps.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "role", "is_active", "is_staff", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    readonly_fields = [
        "id",
        "email",
        "password",
        "date_joined",
        "last_login",
        "password_changed_at",
    ]
    ordering = ["-date_joined"]

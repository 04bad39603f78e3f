from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin page to look, not to touch: changes to an aggregate go through its
    context's services, which keep the rules and publish the events; an edit here
    would do neither."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

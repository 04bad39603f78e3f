"""Read-only admin pages for operations staff: payments, charges, payouts and the
ledger, and the reconciliation report (a dry run: it changes nothing). Every change
goes through the services, which keep the ledger balanced and publish the events."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from apps.payments.models import Charge, LedgerEntry, LedgerLine, Payment, Payout
from apps.payments.reconciliation import reconcile
from kernel.admin import ReadOnlyAdmin


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "listing_title",
        "status",
        "rent_amount",
        "deposit_amount",
        "currency",
        "due_date",
        "paid_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["id", "renter_id", "landlord_id", "application_id", "listing_id"]
    ordering = ["-created_at"]


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "payment_id",
        "status",
        "amount",
        "currency",
        "decline_code",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["id", "payment_id", "provider_intent_id"]
    ordering = ["-created_at"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "landlord_id", "amount", "currency", "scheduled_for"]
    search_fields = ["id", "landlord_id"]
    ordering = ["-created_at"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "payment_id", "created_at"]
    list_filter = ["kind"]
    search_fields = ["id", "payment_id", "renter_id"]
    ordering = ["-created_at"]

    def get_urls(self):
        report = path(
            "reconciliation/",
            self.admin_site.admin_view(self.reconciliation_view),
            name="payments_reconciliation",
        )
        return [report, *super().get_urls()]

    def reconciliation_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "Reconciliation: the ledger against the provider",
            "report": reconcile(dry_run=True),
        }
        return TemplateResponse(request, "admin/payments/reconciliation.html", context)


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdmin):
    list_display = ["id", "entry_id", "account", "party_id", "amount", "currency"]
    list_filter = ["account", "currency"]
    search_fields = ["entry_id", "party_id", "renter_id"]

from django.urls import path

from frontend.views import accounts, activity, landlord, market, password_reset, payments, search

urlpatterns = [
    path("", search.home, name="home"),
    path("listings/<uuid:listing_id>", search.listing, name="listing"),
    path("listings/<uuid:listing_id>/apply", search.apply, name="apply"),
    path("signup", accounts.sign_up, name="signup"),
    path("signin", accounts.sign_in_page, name="signin"),
    path("signout", accounts.sign_out_page, name="signout"),
    path("forgot-password", password_reset.forgot_password, name="forgot_password"),
    path("reset-password", password_reset.reset_password, name="reset_password"),
    path("signout/everywhere", accounts.sign_out_everywhere_page, name="signout_everywhere"),
    path("applications", activity.my_applications, name="applications"),
    path("notifications", activity.notifications, name="notifications"),
    path("payments", payments.payment_list, name="payments"),
    path("payments/<uuid:payment_id>", payments.payment_detail, name="payment"),
    path("payments/<uuid:payment_id>/pay", payments.pay, name="pay"),
    path("payouts", payments.payouts, name="payouts"),
    path(
        "applications/<uuid:application_id>/approve",
        activity.decide,
        {"decision": "approve"},
        name="approve",
    ),
    path(
        "applications/<uuid:application_id>/reject",
        activity.decide,
        {"decision": "reject"},
        name="reject",
    ),
    path("landlord", landlord.dashboard, name="landlord"),
    path("landlord/market", market.market, name="market"),
    path("operations/market", market.operations, name="operations_market"),
    path("landlord/listings/new", landlord.listing_new, name="listing_new"),
    path("landlord/listings/<uuid:listing_id>/edit", landlord.listing_edit, name="listing_edit"),
    path(
        "landlord/listings/<uuid:listing_id>/publish",
        landlord.listing_transition,
        {"action": "publish"},
        name="listing_publish",
    ),
    path(
        "landlord/listings/<uuid:listing_id>/unpublish",
        landlord.listing_transition,
        {"action": "unpublish"},
        name="listing_unpublish",
    ),
    path(
        "landlord/listings/<uuid:listing_id>/applications",
        landlord.listing_applications,
        name="listing_applications",
    ),
    path(
        "landlord/listings/<uuid:listing_id>/photos",
        landlord.listing_photos,
        name="listing_photos",
    ),
]

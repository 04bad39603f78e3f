"""Accounts' API, under /api/v1/accounts/ and /api/v1/auth/."""

from django.urls import path

from apps.accounts.api import views

urlpatterns = [
    path("accounts/register", views.RegisterView.as_view(), name="register"),
    path("accounts/me", views.MeView.as_view(), name="me"),
    path("accounts/password-reset", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "accounts/password-reset/confirm",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "accounts/internal/password-resets/<uuid:request_id>/link",
        views.InternalResetLinkView.as_view(),
        name="internal-reset-link",
    ),
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-everywhere", views.SignOutEverywhereView.as_view(), name="logout-everywhere"),
    path("auth/jwks.json", views.JwksView.as_view(), name="jwks"),
]

"""Tokens for tests: a throwaway key ring and tokens as any service would mint them."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.test import override_settings

from kernel.auth.keys import generate_missing_keys, keyring
from kernel.auth.tokens import UserRefreshToken, token_backend


def use_key_dir(directory: Path, services: list[str]) -> None:
    generate_missing_keys(directory, services)
    keyring.cache_clear()
    token_backend.cache_clear()


@contextmanager
def acting_as(service: str) -> Iterator[None]:
    """Sign with `service`'s key, as that deployable would."""
    keyring.cache_clear()
    try:
        with override_settings(HEARTH_SERVICE=service):
            yield
    finally:
        keyring.cache_clear()


@dataclass(frozen=True)
class IssuedTokens:
    access: str
    refresh: str

    @property
    def header(self) -> dict[str, str]:
        """For Django's test client: client.get(url, headers=tokens.header)."""
        return {"Authorization": f"Bearer {self.access}"}


def user_tokens(*, user_id: str, role: str, email: str = "", name: str = "") -> IssuedTokens:
    """Tokens as accounts issues them, for a user that need not exist anywhere."""
    with acting_as("accounts"):
        refresh = UserRefreshToken()
        refresh.payload.update({"sub": user_id, "role": role, "email": email, "name": name})
        return IssuedTokens(access=str(refresh.access_token), refresh=str(refresh))

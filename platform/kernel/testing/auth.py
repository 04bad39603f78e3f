"""Tokens for tests: a throwaway key ring and tokens as any service would mint them.

A context's conftest imports the key fixtures (`key_dir`, `signing_services`,
`signing_keys`), as pytest uses the fixtures a conftest holds; it defines
`signing_services` again where its tests sign as more than accounts.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings

from kernel.auth.keys import generate_missing_keys, keyring
from kernel.auth.tokens import UserRefreshToken, token_backend


def use_key_dir(directory: Path, services: list[str]) -> None:
    generate_missing_keys(directory, services)
    keyring.cache_clear()
    token_backend.cache_clear()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("jwt")


@pytest.fixture(scope="session")
def signing_services() -> list[str]:
    """The deployables whose private keys the suite holds: accounts, for user tokens."""
    return ["accounts"]


@pytest.fixture(autouse=True)
def signing_keys(key_dir: Path, signing_services: list[str], settings) -> Iterator[Path]:
    """A throwaway key ring, so tests mint tokens as `signing_services` would."""
    settings.HEARTH_JWT_KEY_DIR = str(key_dir)
    use_key_dir(key_dir, signing_services)
    yield key_dir
    keyring.cache_clear()


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


@dataclass(frozen=True)
class TokenUser:
    """A user that need not exist anywhere: its id, role and name, and its access token's header."""

    id: str
    role: str
    name: str
    header: dict[str, str]


def make_user(role: str, name: str = "") -> TokenUser:
    """A new user with an access token, named after its role unless `name` is given."""
    user_id = str(uuid.uuid4())
    name = name or f"{role.title()} {user_id[:4]}"
    tokens = user_tokens(user_id=user_id, role=role, email=f"{user_id}@example.com", name=name)
    return TokenUser(id=user_id, role=role, name=name, header=tokens.header)

import uuid

import pytest
from django.conf import settings as django_settings

from kernel.testing.auth import key_dir, signing_keys  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def signing_services():
    """Every deployable's key: these tests sign as accounts' callers too, and accounts'
    own key directory holds no other private key."""
    return list(django_settings.HEARTH_SERVICE_URLS)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests are about the flows.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def own_limit_counters(settings):
    # Counters are real Redis keys: each test counts under its own prefix, so runs
    # and tests never add up, and the running platform's counters are left alone.
    # Under `accounts:`, the only keys accounts' Redis user may use.
    settings.HEARTH_LIMITS_KEY_PREFIX = f"accounts:test-{uuid.uuid4().hex}"

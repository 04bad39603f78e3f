import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.listings.tests.helpers import make_user
from kernel.testing.auth import key_dir, signing_keys  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def signing_services():
    """Accounts' key, for user tokens, and listings' own."""
    return ["accounts", "listings"]


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A key prefix of the test's own on the real Redis: no entry leaks between
    tests, or into the local stack's listings deployable. Under `listings:`, the
    only keys listings' Redis user may use."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "KEY_PREFIX": f"listings:test-{uuid.uuid4().hex}",
        }
    }
    yield
    cache.delete_pattern("*")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def landlord():
    return make_user("landlord")


@pytest.fixture
def other_landlord():
    return make_user("landlord")


@pytest.fixture
def renter():
    return make_user("renter")

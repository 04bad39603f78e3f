import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from apps.listings.tests.helpers import make_user
from kernel.auth.keys import keyring
from kernel.testing.auth import use_key_dir


@pytest.fixture(scope="session", autouse=True)
def jwt_keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("jwt")
    with override_settings(HEARTH_JWT_KEY_DIR=str(directory)):
        use_key_dir(directory, ["accounts", "listings"])
        yield directory
    keyring.cache_clear()


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

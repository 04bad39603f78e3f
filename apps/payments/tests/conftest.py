import pytest

from apps.payments import provider
from apps.payments.tests.support import make_user
from kernel.testing.auth import key_dir, signing_keys, signing_services  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def fresh_provider_client():
    """Each test's provider settings take effect; no breaker state leaks between tests."""
    provider.client.cache_clear()
    provider.breaker.cache_clear()
    yield
    provider.client.cache_clear()
    provider.breaker.cache_clear()


@pytest.fixture
def renter():
    return make_user("renter", "Grace Hopper")


@pytest.fixture
def landlord():
    return make_user("landlord", "Linus Landlord")

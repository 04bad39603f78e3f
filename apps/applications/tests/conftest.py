import pytest

from apps.applications.tests.support import make_user
from kernel.testing.auth import key_dir, signing_keys, signing_services  # noqa: F401 (fixtures)


@pytest.fixture
def renter():
    return make_user("renter", "Grace Hopper")


@pytest.fixture
def other_renter():
    return make_user("renter", "Ada Lovelace")


@pytest.fixture
def landlord():
    return make_user("landlord", "Linus Landlord")


@pytest.fixture
def other_landlord():
    return make_user("landlord", "Lena Landlord")

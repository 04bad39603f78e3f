"""The journey tests drive the running platform (`make up`) from outside: HTTP
through the gateway, mail from the SMTP sink, processes through supervisord."""

import pytest
import requests

from devstack.api_client import GATEWAY, Api, Mailbox


@pytest.fixture(scope="session", autouse=True)
def platform_is_up():
    try:
        response = requests.get(f"{GATEWAY}/api/v1/accounts/readyz", timeout=5)
    except requests.ConnectionError as error:
        pytest.fail(f"the platform is not running at {GATEWAY} ({error}); run `make up`")
    assert response.status_code == 200, response.text


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()

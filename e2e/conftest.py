"""The journey tests drive the running platform from outside: HTTP through its
public URL, mail from its SMTP sink, and, on the local stack only, processes
through supervisord, files under var/ and the stores themselves.

Where the platform is comes from the environment (devstack/api_client.py: the
local gateway by default; HEARTH_BASE_URL, HEARTH_RESOLVE, HEARTH_CA_BUNDLE,
HEARTH_MAILDIR, HEARTH_KUBECONFIG for the cluster's Ingress; see e2e/README.md).
Tests marked `local_stack` make sense only against the local stack; when
HEARTH_BASE_URL points elsewhere they are deselected, and the run says so.
"""

import pytest
import requests

from devstack.api_client import TARGET, Api, Mailbox

LOCAL_STACK = "local_stack"
# Modules local-only as a whole, and why. (These files carry no marker of their own
# yet; a `pytestmark = pytest.mark.local_stack` in each would say the same.)
LOCAL_ONLY_MODULES = {
    "e2e/test_store_credentials.py": "talks to PostgreSQL, Redis, Kafka and Elasticsearch directly",
    "e2e/test_openapi_fuzz.py": "calls each deployable's own port, beside the gateway",
    "e2e/test_security_hardening.py": "calls each gunicorn's port and tests nginx's own limits",
    "e2e/test_security_accounts.py": "reads the local signing secrets and the gateway's limits",
    "e2e/test_gateway_cache.py": "the local gateway's micro-cache (the cluster's Ingress has none)",
}
_deselected: list[pytest.Item] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LOCAL_STACK}: needs the local stack itself (supervisord, files under var/, the "
        "stores); deselected when HEARTH_BASE_URL is not the local gateway",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        if path in LOCAL_ONLY_MODULES:
            item.add_marker(pytest.mark.local_stack(reason=LOCAL_ONLY_MODULES[path]))
    if TARGET.is_local:
        return
    kept = [item for item in items if item.get_closest_marker(LOCAL_STACK) is None]
    _deselected[:] = [item for item in items if item.get_closest_marker(LOCAL_STACK)]
    if _deselected:
        config.hook.pytest_deselected(items=_deselected)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    return f"hearth target: {TARGET.describe()}"


def pytest_terminal_summary(terminalreporter) -> None:
    if not _deselected:
        return
    terminalreporter.section(f"{LOCAL_STACK} tests deselected")
    terminalreporter.write_line(
        f"{len(_deselected)} tests need the local stack itself and were deselected: "
        f"HEARTH_BASE_URL is {TARGET.base_url}, not the local gateway."
    )
    reasons: dict[str, int] = {}
    for item in _deselected:
        marker = item.get_closest_marker(LOCAL_STACK)
        reason = f"{item.path.name}: {marker.kwargs.get('reason', 'local-only')}"
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"  {count:>3}  {reason}")


@pytest.fixture(scope="session", autouse=True)
def platform_is_up():
    try:
        response = TARGET.session().get(
            TARGET.url("/api/v1/accounts/readyz"), timeout=TARGET.request_timeout
        )
    except requests.RequestException as error:
        hint = "; run `make up`" if TARGET.is_local else ""
        pytest.fail(f"the platform is not reachable at {TARGET.describe()} ({error}){hint}")
    assert response.status_code == 200, response.text


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()

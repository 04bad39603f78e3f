"""Service-to-service calls against a real HTTP server that misbehaves on cue."""

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kernel.auth.keys import keyring
from kernel.auth.tokens import ServiceToken
from kernel.http import ServiceClient, ServiceUnavailable
from kernel.testing.auth import use_key_dir


class Callee(ThreadingHTTPServer):
    """Answers each request with the next scripted (status, delay); 200 when done."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[tuple[int, float]] = []
        self.requests: list[tuple[str, dict]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        server: Callee = self.server
        server.requests.append((self.command, dict(self.headers)))
        status, delay = server.script.pop(0) if server.script else (200, 0)
        time.sleep(delay)
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def callee(tmp_path, settings):
    settings.HEARTH_JWT_KEY_DIR = str(tmp_path)
    settings.HEARTH_BREAKER_FAIL_MAX = 3
    settings.HEARTH_BREAKER_RESET_SECONDS = 60
    use_key_dir(tmp_path, ["kernel_tests"])
    server = Callee()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    keyring.cache_clear()


def _client(callee: Callee, **kwargs) -> ServiceClient:
    # A fresh name: each test gets a breaker of its own.
    return ServiceClient(f"callee-{uuid.uuid4().hex[:8]}", base_url=callee.url, **kwargs)


def test_call_carries_a_service_token_for_the_callee(callee):
    client = _client(callee)
    assert client.get("/thing").json() == {"ok": True}
    _, headers = callee.requests[0]
    token = ServiceToken.__new__(ServiceToken)  # read the claims without checking aud
    token.payload = ServiceToken.get_token_backend(token).decode(
        headers["Authorization"].removeprefix("Bearer "), verify=False
    )
    assert token.payload["aud"] == f"hearth-{client.service}"
    assert token.payload["iss"] == "hearth-kernel_tests"


def test_idempotent_call_is_retried_through_transient_failures(callee):
    callee.script = [(503, 0), (502, 0)]
    assert _client(callee).get("/thing").status_code == 200
    assert len(callee.requests) == 3


def test_non_idempotent_call_is_not_retried(callee):
    callee.script = [(503, 0)]
    with pytest.raises(ServiceUnavailable):
        _client(callee).post("/thing", json={})
    assert len(callee.requests) == 1


def test_client_errors_pass_through_without_opening_the_breaker(callee):
    callee.script = [(404, 0)] * 5
    client = _client(callee, retries=0)
    for _ in range(5):
        assert client.get("/missing").status_code == 404
    assert client.get("/thing").status_code == 200


def test_slow_callee_times_out(callee):
    callee.script = [(200, 1.0)]
    with pytest.raises(ServiceUnavailable, match="timed out"):
        _client(callee, retries=0, timeout=(0.5, 0.2)).get("/slow")


def test_breaker_opens_after_repeated_failures_and_then_fails_fast(callee):
    callee.script = [(500, 0)] * 3
    client = _client(callee, retries=0)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            client.get("/thing")
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        client.get("/thing")
    assert len(callee.requests) == 3  # the open breaker did not call


def test_call_on_behalf_of_a_user_or_anonymously(callee):
    client = _client(callee)
    client.get("/thing", user_token="user-access-token")
    client.get("/thing", anonymous=True)
    (_, as_user), (_, anonymous) = callee.requests
    assert as_user["Authorization"] == "Bearer user-access-token"
    assert "Authorization" not in anonymous

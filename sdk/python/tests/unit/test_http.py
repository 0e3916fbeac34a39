"""Transport: auth headers, retry policy, idempotency keys, error mapping — against a real
local HTTP server that returns scripted status codes."""

from __future__ import annotations

import socket
from typing import List

import pytest

from graph_olap.config import Config
from graph_olap.exceptions import (
    ConflictError,
    MaintenanceModeError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    TimeoutError,
    ValidationError,
)
from graph_olap.http import HTTPClient, RetryPolicy

from .scripted_server import ScriptedServer


def test_auth_headers_and_envelope(server: ScriptedServer, http: HTTPClient) -> None:
    server.add(200, {"data": {"id": 1}, "meta": {"request_id": "x"}})
    assert http.data("GET", "/api/mappings/1") == {"id": 1}
    req = server.requests[0]
    assert req.headers["x-username"] == "analyst_alice@e2e.local"
    assert "authorization" not in req.headers
    assert req.headers["accept"] == "application/json"
    assert len(req.headers["x-request-id"]) >= 8


@pytest.mark.parametrize(("config", "expected"), [
    (Config(api_key="gok_k"), {"authorization": "Bearer gok_k"}),
    (Config(internal_api_key="i" * 32, username="u@x"),
     {"x-internal-api-key": "i" * 32, "x-username": "u@x"}),
    (Config(api_key="gok_k", username="u@x"), {"authorization": "Bearer gok_k"}),
])
def test_auth_priority(server: ScriptedServer, config: Config, expected: dict) -> None:
    with HTTPClient(config, base_url=server.url) as http:
        http.get("/health")
    headers = server.requests[0].headers
    for k, v in expected.items():
        assert headers[k] == v
    if "authorization" in expected:
        assert "x-username" not in headers


def test_query_params_are_cleaned(server: ScriptedServer, http: HTTPClient) -> None:
    http.get("/api/instances", params={"owner": None, "include_terminated": True,
                                       "status": ["running", "starting"], "limit": 5})
    path = server.requests[0].path
    assert "owner" not in path
    assert "include_terminated=true" in path
    assert "status=running%2Cstarting" in path
    assert "limit=5" in path


def test_get_retried_on_503_then_succeeds(server: ScriptedServer, http: HTTPClient,
                                          sleeps: List[float]) -> None:
    server.error(503, "SERVICE_UNAVAILABLE")
    server.error(502, "UPSTREAM_ERROR")
    server.add(200, {"data": [1], "meta": {}})
    assert http.data("GET", "/api/mappings") == [1]
    assert len(server.requests) == 3
    assert sleeps == [0.01, 0.02]


def test_retry_after_header_is_honoured(server: ScriptedServer, http: HTTPClient,
                                        sleeps: List[float]) -> None:
    server.error(503, "INSTANCE_NOT_READY", headers={"Retry-After": "5"})
    server.add(200, {"data": {}, "meta": {}})
    http.get("/schema")
    assert sleeps == [5.0]


def test_get_gives_up_after_max_retries(server: ScriptedServer, http: HTTPClient) -> None:
    for _ in range(4):
        server.error(503, "SERVICE_UNAVAILABLE", message="db down")
    with pytest.raises(ServiceUnavailableError) as info:
        http.get("/ready")
    assert len(server.requests) == 4
    assert info.value.request_id == "req-1"
    assert info.value.message == "db down"


def test_plain_post_not_retried_on_5xx(server: ScriptedServer, http: HTTPClient) -> None:
    server.error(503, "SERVICE_UNAVAILABLE")
    with pytest.raises(ServiceUnavailableError):
        http.post("/algo/pagerank", json={"write_back": True})
    assert len(server.requests) == 1


def test_maintenance_mode_never_retried(server: ScriptedServer, http: HTTPClient) -> None:
    server.error(503, "MAINTENANCE_MODE", message="Scheduled maintenance")
    with pytest.raises(MaintenanceModeError) as info:
        http.post("/api/instances/from-mapping", json={"mapping_id": 1, "name": "x"},
                  idempotency_key=True)
    assert len(server.requests) == 1
    assert info.value.message == "Scheduled maintenance"


def test_idempotency_key_reused_across_retries(server: ScriptedServer, http: HTTPClient) -> None:
    server.error(502, "UPSTREAM_ERROR")
    server.add(201, {"data": {"id": 5}, "meta": {}})
    assert http.data("POST", "/api/mappings", json={"name": "m"}, idempotency_key=True) == {"id": 5}
    keys = [r.headers.get("idempotency-key") for r in server.requests]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert server.requests[0].json() == {"name": "m"}
    assert server.requests[0].headers["x-request-id"] == server.requests[1].headers["x-request-id"]


def test_keyed_create_still_in_flight_is_retried_until_its_result(
    server: ScriptedServer, http: HTTPClient
) -> None:
    # The first attempt's answer was lost (timed out); while it still runs the server says
    # in_progress, then replays its stored result under the same key.
    server.error(409, "IDEMPOTENCY_KEY_REUSED", details={"reason": "in_progress"})
    server.add(201, {"data": {"id": 8}, "meta": {}}, {"Idempotent-Replayed": "true"})
    assert http.data("POST", "/api/mappings", json={"name": "m"}, idempotency_key=True) == {"id": 8}
    keys = {r.headers.get("idempotency-key") for r in server.requests}
    assert len(server.requests) == 2 and len(keys) == 1
    # A different body under the same key, or an unkeyed request, is not retried.
    server.error(409, "IDEMPOTENCY_KEY_REUSED", details={"reason": "body_mismatch"})
    with pytest.raises(ConflictError):
        http.data("POST", "/api/mappings", json={"name": "m"}, idempotency_key=True)
    server.error(409, "IDEMPOTENCY_KEY_REUSED", details={"reason": "in_progress"})
    with pytest.raises(ConflictError):
        http.data("POST", "/api/mappings", json={"name": "m"})
    assert len(server.requests) == 4


def test_fresh_idempotency_key_per_logical_call(server: ScriptedServer, http: HTTPClient) -> None:
    http.post("/api/mappings", json={}, idempotency_key=True)
    http.post("/api/mappings", json={}, idempotency_key=True)
    k1, k2 = (r.headers["idempotency-key"] for r in server.requests)
    assert k1 != k2


def test_client_errors_not_retried(server: ScriptedServer, http: HTTPClient) -> None:
    server.error(400, "VALIDATION_FAILED", details={"errors": [{"field": "name"}]})
    with pytest.raises(ValidationError):
        http.get("/api/mappings")
    server.error(404, "NOT_FOUND")
    with pytest.raises(NotFoundError):
        http.put("/api/mappings/9", json={"change_description": "x"})
    assert len(server.requests) == 2


def test_non_json_error_body(server: ScriptedServer, http: HTTPClient) -> None:
    server.add(500, b"<html>oops</html>", {"Content-Type": "text/html", "X-Request-ID": "h1"})
    http.retry_policy = RetryPolicy(max_retries=0)
    with pytest.raises(ServerError) as info:
        http.get("/x")
    assert "oops" in info.value.message and info.value.request_id == "h1"


def test_text_body_returned_as_str(server: ScriptedServer, http: HTTPClient) -> None:
    server.add(200, "# HELP x\nx 1\n", {"Content-Type": "text/plain; version=0.0.4"})
    assert http.request("GET", "/metrics").startswith("# HELP")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retried_then_service_unavailable() -> None:
    sleeps: List[float] = []
    url = f"http://127.0.0.1:{_free_port()}"
    with HTTPClient(Config(api_url=url), retry_policy=RetryPolicy(max_retries=2, jitter=0,
                                                                   backoff_factor=0.01),
                    sleep=sleeps.append) as http, pytest.raises(ServiceUnavailableError) as info:
        http.post("/api/ops/jobs/trigger", json={})  # never sent → safe to retry
    assert len(sleeps) == 2
    assert "graph-olap up" in info.value.message


def test_read_timeout_raises_sdk_timeout(server: ScriptedServer) -> None:
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Slow(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_POST(self) -> None:
            time.sleep(1.0)
            self.send_response(200)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        cfg = Config(api_url=f"http://127.0.0.1:{httpd.server_address[1]}", timeout=0.2)
        with HTTPClient(cfg, retry_policy=RetryPolicy(max_retries=0)) as http, \
                pytest.raises(TimeoutError):
            http.post("/algo/x", json={})
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_retry_policy_rules() -> None:
    import httpx

    p = RetryPolicy(max_retries=3, jitter=0)
    assert p.should_retry("GET", idempotent=True, status=502)
    assert p.should_retry("GET", idempotent=True, status=504)
    assert not p.should_retry("GET", idempotent=True, status=500)
    assert not p.should_retry("GET", idempotent=True, status=429)
    assert not p.should_retry("POST", idempotent=False, status=502)
    assert p.should_retry("POST", idempotent=False, error=httpx.ConnectError("x"))
    assert not p.should_retry("POST", idempotent=False, error=httpx.ReadTimeout("x"))
    assert p.should_retry("PUT", idempotent=True, error=httpx.ReadTimeout("x"))
    # queries are safe to repeat, but a slow one is not repeated after a read timeout
    assert not p.should_retry("POST", idempotent=True, error=httpx.ReadTimeout("x"))
    assert p.should_retry("POST", idempotent=True, error=httpx.ReadTimeout("x"), keyed=True)
    assert p.delay(10) == 10.0  # capped
    assert p.delay(0, retry_after=60) == 10.0

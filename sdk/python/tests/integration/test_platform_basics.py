"""Health, identity and users against the real platform (API.md §2, §5.1, §7.5)."""

from __future__ import annotations

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.exceptions import AuthenticationError, ForbiddenError, NotFoundError

from .conftest import PERSONAS, Platform


def test_health_and_ready(analyst: GraphOLAPClient) -> None:
    health = analyst.health.check()
    assert health.status == "healthy"
    ready = analyst.health.ready()
    assert ready.status == "ready"
    assert analyst.health.is_ready()


@pytest.mark.parametrize("persona", ["analyst", "admin", "ops"])
def test_seeded_personas(platform: Platform, persona: str) -> None:
    with platform.client(persona) as client:
        me = client.users.me()
    assert me.username == PERSONAS[persona]
    assert me.role == persona


def test_missing_credentials_is_authentication_error(platform: Platform) -> None:
    with GraphOLAPClient(config=Config(api_url=platform.url)) as anon, \
            pytest.raises(AuthenticationError) as info:
        anon.mappings.list()
    assert info.value.code == "UNAUTHORIZED"
    assert info.value.status_code == 401
    assert info.value.request_id


def test_api_keys_printed_by_up_work(platform: Platform) -> None:
    if not platform.api_keys:
        pytest.fail("`graph-olap up` printed no persona API keys (expected one per persona)")
    for persona, key in platform.api_keys.items():
        with GraphOLAPClient(platform.url, api_key=key) as client:
            assert client.users.me().username == PERSONAS[persona]


def test_users_admin_and_self(admin: GraphOLAPClient, analyst: GraphOLAPClient) -> None:
    users = admin.users.list(limit=100)
    names = {u.username for u in users}
    assert set(PERSONAS.values()) <= names
    assert admin.users.get("analyst_bob@e2e.local").role == "analyst"
    with pytest.raises(ForbiddenError):
        analyst.users.list()
    with pytest.raises(NotFoundError):
        admin.users.get("nobody-here@e2e.local")

"""Mappings, versions, diffs, copies, favorites and bulk delete (API.md §5.3, §6.2, §7.4)."""

from __future__ import annotations

import uuid
from typing import Callable

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.exceptions import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)
from graph_olap.models import EdgeDefinition, Mapping, NodeDefinition
from graph_olap.notebook_setup import TUTORIAL_MAPPING
from graph_olap.test_data import tutorial_definitions
from graph_olap.testing import default_edge_definitions, default_node_definitions, random_name

Cleanup = Callable[[Callable[[], object]], None]


def _create(client: GraphOLAPClient, cleanup: Cleanup, **kwargs: object) -> Mapping:
    kwargs.setdefault("node_definitions", default_node_definitions())
    kwargs.setdefault("edge_definitions", default_edge_definitions())
    m = client.mappings.create(kwargs.pop("name", None) or random_name("it-map"),
                               kwargs.pop("description", "integration test"), **kwargs)
    cleanup(lambda: client.mappings.delete(m.id))
    return m


def test_tutorial_mapping_is_seeded(analyst: GraphOLAPClient) -> None:
    m = analyst.mappings.get_by_name(TUTORIAL_MAPPING)
    assert m.owner_username == "analyst_alice@e2e.local"
    nodes, _edges = tutorial_definitions()
    customer = m.get_node("Customer")
    assert customer is not None and customer.primary_key.name == "id"
    assert [p.name for p in customer.properties] == [p.name for p in nodes[0].properties]
    edge = m.get_edge("SHARES_ACCOUNT")
    assert edge is not None and (edge.from_key, edge.to_key) == ("from_id", "to_id")


def test_list_filters_and_pagination(analyst: GraphOLAPClient, cleanup: Cleanup) -> None:
    tag = uuid.uuid4().hex[:6]
    made = [_create(analyst, cleanup, name=f"page-{tag}-{i}") for i in range(3)]
    page = analyst.mappings.list(search=f"page-{tag}", limit=2, sort_by="name", sort_order="asc")
    assert page.total == 3 and len(page) == 2 and page.has_more
    assert [m.name for m in page.iter_all()] == [m.name for m in made]
    assert all(m.owner_username == "analyst_alice@e2e.local"
               for m in analyst.mappings.list(owner="me", limit=100))
    with pytest.raises(ValidationError):
        analyst.mappings.list(sort_by="not_a_field")


def test_create_from_models_and_dicts(analyst: GraphOLAPClient, cleanup: Cleanup) -> None:
    nodes = [n.to_dict() for n in default_node_definitions()]  # plain dicts
    edges = default_edge_definitions()  # models
    m = _create(analyst, cleanup, node_definitions=nodes, edge_definitions=edges, ttl="P30D")
    assert m.current_version == 1 and m.ttl == "P30D"
    assert m.node_definitions[0].label == "Customer"
    assert m.change_description is None
    got = analyst.mappings.get(m.id)
    assert got.to_dict()["node_definitions"] == m.to_dict()["node_definitions"]


def test_update_versions_and_diff(analyst: GraphOLAPClient, cleanup: Cleanup) -> None:
    m = _create(analyst, cleanup)
    store = NodeDefinition(label="Sector", primary_key={"name": "code", "type": "STRING"},
                           sql='SELECT DISTINCT bk_sectr AS code FROM '
                               '"default_catalog"."default_schema".bis_acct_dh')
    nodes = [*m.node_definitions, store]
    preview = m.diff({"node_definitions": nodes, "edge_definitions": m.edge_definitions})
    assert preview.summary.nodes_added == 1
    updated = analyst.mappings.update(m.id, "add Sector", node_definitions=nodes)
    assert updated.current_version == 2 and updated.change_description == "add Sector"
    # identical definitions → no new version
    same = analyst.mappings.update(m.id, "no-op", node_definitions=nodes)
    assert same.current_version == 2
    versions = analyst.mappings.list_versions(m.id)
    assert [v.version for v in versions] == [2, 1]
    v1 = analyst.mappings.get_version(m.id, 1)
    assert [n.label for n in v1.node_definitions] == ["Customer"]
    server = analyst.mappings.diff_versions(m.id, 1, 2)
    client_side = v1.diff(analyst.mappings.get_version(m.id, 2))
    assert server.summary == client_side.summary
    assert server["summary"]["nodes_added"] == 1
    assert [e.key for e in server.changes.nodes] == ["Sector"]
    assert analyst.mappings.diff(m.id).to_version == 2
    with pytest.raises(ValidationError):
        analyst.mappings.diff_versions(m.id, 2, 2)


def test_local_diff_matches_the_server_endpoint(analyst: GraphOLAPClient,
                                                cleanup: Cleanup) -> None:
    """The preview diff (``mapping.diff``) returns exactly the endpoint's body."""
    nodes, edges = tutorial_definitions()
    sector = NodeDefinition(label="Sector", primary_key={"name": "code", "type": "STRING"},
                            sql='SELECT DISTINCT bk_sectr AS code FROM '
                                '"default_catalog"."default_schema".bis_acct_dh')
    in_sector = EdgeDefinition(
        type="IN_SECTOR", from_node="Customer", to_node="Sector", from_key="c", to_key="s",
        sql='SELECT DISTINCT CAST(psdo_cust_id AS VARCHAR) AS c, bk_sectr AS s FROM '
            '"default_catalog"."default_schema".bis_acct_dh')
    m = _create(analyst, cleanup, node_definitions=nodes, edge_definitions=edges)
    # v2: a node and an edge added; v3: the customer's SQL and properties changed, the
    # SHARES_ACCOUNT edge removed, the IN_SECTOR edge's SQL changed; so every kind of change
    # appears in some pair.
    analyst.mappings.update(m.id, "v2", node_definitions=[*nodes, sector],
                            edge_definitions=[*edges, in_sector])
    customer = nodes[0].model_copy(update={
        "sql": nodes[0].sql.replace("MIN(acct_stus)", "MAX(acct_stus)"),
        "properties": nodes[0].properties[:2]})
    in_sector_v3 = in_sector.model_copy(update={"sql": in_sector.sql + " WHERE bk_sectr IS NOT NULL"})
    analyst.mappings.update(m.id, "v3", node_definitions=[customer, sector],
                            edge_definitions=[in_sector_v3])
    versions = {v: analyst.mappings.get_version(m.id, v) for v in (1, 2, 3)}
    kinds = set()
    for a, b in ((1, 2), (2, 3), (1, 3), (3, 1)):
        server = analyst.mappings.diff_versions(m.id, a, b)
        local = versions[a].diff(versions[b])
        assert local.to_dict() == server.to_dict(), (a, b)
        kinds |= {(k, e.change_type) for k in ("nodes", "edges")
                  for e in getattr(server.changes, k)}
    assert kinds == {(k, c) for k in ("nodes", "edges") for c in ("added", "removed", "modified")}


def test_validation_errors_are_detailed(analyst: GraphOLAPClient) -> None:
    bad = NodeDefinition(label="match", primary_key="id", sql="SELECT 'a' AS id")
    dangling = EdgeDefinition(type="R", from_node="Nope", to_node="match", sql="SELECT 1",
                              from_key="a", to_key="b")
    with pytest.raises(ValidationError) as info:
        analyst.mappings.create(random_name("bad"), node_definitions=[bad],
                                edge_definitions=[dangling], ttl="P1DT")
    fields = info.value.field_errors
    assert "ttl" in fields
    assert any(f.startswith("node_definitions[0]") for f in fields)
    assert info.value.code == "VALIDATION_FAILED"


def test_ownership_copy_lifecycle_tree(analyst: GraphOLAPClient, analyst2: GraphOLAPClient,
                                       cleanup: Cleanup) -> None:
    m = _create(analyst, cleanup)
    with pytest.raises(ForbiddenError):
        analyst2.mappings.update(m.id, "not mine", name="hijack")
    copy = analyst2.mappings.copy(m.id, "bob's copy")
    cleanup(lambda: analyst2.mappings.delete(copy.id))
    assert copy.owner_username == "analyst_bob@e2e.local" and copy.current_version == 1
    lc = analyst.mappings.set_lifecycle(m.id, ttl="P10D", inactivity_timeout="P2D")
    assert (lc.ttl, lc.inactivity_timeout) == ("P10D", "P2D")
    assert lc.expires_at is not None
    cleared = analyst.mappings.set_lifecycle(m.id, ttl=None)
    assert cleared.ttl is None and cleared.inactivity_timeout == "P2D"
    tree = analyst.mappings.get_tree(m.id)
    assert tree.id == m.id and tree.totals["version_count"] == 1


def test_idempotent_create(analyst: GraphOLAPClient, cleanup: Cleanup) -> None:
    key = uuid.uuid4().hex
    name = random_name("idem")
    a = analyst.mappings.create(name, node_definitions=default_node_definitions(),
                                idempotency_key=key)
    cleanup(lambda: analyst.mappings.delete(a.id))
    b = analyst.mappings.create(name, node_definitions=default_node_definitions(),
                                idempotency_key=key)
    assert a.id == b.id
    with pytest.raises(ConflictError) as info:
        analyst.mappings.create(name + "-other", node_definitions=default_node_definitions(),
                                idempotency_key=key)
    assert info.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_delete_and_not_found(analyst: GraphOLAPClient) -> None:
    m = analyst.mappings.create(random_name("del"), node_definitions=default_node_definitions())
    result = analyst.mappings.delete(m.id)
    assert result["deleted"] is True
    with pytest.raises(NotFoundError) as info:
        analyst.mappings.get(m.id)
    assert info.value.details.get("resource_type") == "mapping"


def test_favorites(analyst: GraphOLAPClient, cleanup: Cleanup) -> None:
    m = _create(analyst, cleanup)
    fav = analyst.favorites.add("mapping", m.id)
    assert fav.resource_name == m.name and fav.resource_type == "mapping"
    with pytest.raises(ConflictError):
        analyst.favorites.add("mapping", m.id)
    assert any(f.resource_id == m.id for f in analyst.favorites.list("mapping"))
    analyst.favorites.remove("mapping", m.id)
    with pytest.raises(NotFoundError):
        analyst.favorites.remove("mapping", m.id)


def test_bulk_delete_dry_run_and_expected_count(analyst: GraphOLAPClient,
                                                admin: GraphOLAPClient,
                                                cleanup: Cleanup) -> None:
    prefix = f"bulk-{uuid.uuid4().hex[:6]}-"
    for i in range(2):
        _create(analyst, cleanup, name=f"{prefix}{i}")
    dry = admin.admin.bulk_delete("mapping", {"name_prefix": prefix}, "integration test",
                                  dry_run=True)
    assert dry.dry_run and dry["matched_count"] == 2 and dry.deleted_count == 0
    with pytest.raises(ValidationError):
        admin.admin.bulk_delete("mapping", {"name_prefix": prefix}, "integration test",
                                expected_count=5)
    done = admin.admin.bulk_delete("mapping", {"name_prefix": prefix}, "integration test",
                                   expected_count=2)
    assert done.deleted_count == 2 and sorted(done.deleted_ids) == sorted(dry.matched_ids)
    with pytest.raises(ForbiddenError):
        analyst.admin.bulk_delete("mapping", {"name_prefix": prefix}, "nope", dry_run=True)
    # Both deletions and the bulk call itself are in the audit log.
    deleted = admin.admin.audit_log(action="mapping.delete", limit=100)
    assert {str(i) for i in done.deleted_ids} <= {e.resource_id for e in deleted}
    bulk = admin.admin.audit_log(action="bulk.delete", username="admin_carol@e2e.local", limit=5)
    assert bulk and bulk[0].details["reason"] == "integration test", bulk[0].details
    assert bulk.total >= 1 and bulk[0].created_at is not None
    with pytest.raises(ForbiddenError):
        analyst.admin.audit_log()
    with pytest.raises(ValidationError):
        admin.admin.audit_log(created_after="yesterday")


def test_testing_fixtures_clean_up(platform) -> None:
    from graph_olap.testing import test_context

    with test_context("analyst_bob@e2e.local", api_url=platform.url) as (client, fixtures):
        m = fixtures.create_mapping()
        assert client.mappings.get(m.id).owner_username == "analyst_bob@e2e.local"
    with GraphOLAPClient(platform.url, username="analyst_bob@e2e.local") as bob, \
            pytest.raises(NotFoundError):
        bob.mappings.get(m.id)


def test_notebook_connect(platform, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph_olap import notebook

    monkeypatch.setenv("GRAPH_OLAP_API_URL", platform.url)
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", "analyst_alice@e2e.local")
    client = notebook.connect()
    assert notebook.get_client() is client
    assert client.users.me().username == "analyst_alice@e2e.local"

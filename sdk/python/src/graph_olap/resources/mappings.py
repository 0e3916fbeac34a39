"""``client.mappings`` — create, version, diff, copy and delete graph mappings (API.md §5.3).

Example:
    >>> m = client.mappings.get_by_name("tutorial-customer-graph")
    >>> print(m.node_definitions[0].label)
    Customer
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Union, cast

from graph_olap.durations import DurationLike, to_duration_str
from graph_olap.exceptions import NotFoundError
from graph_olap.models.instance import Instance
from graph_olap.models.mapping import (
    EdgeLike,
    Mapping,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeLike,
    definition_to_dict,
)
from graph_olap.models.snapshot import Snapshot
from graph_olap.pagination import PaginatedList
from graph_olap.resources._base import UNSET, Resource, put_if_set

__all__ = ["MappingResource"]

TimeFilter = Union[str, datetime, None]


def _ttl(value: Any) -> Any:
    return value if value is UNSET or value is None else to_duration_str(value)


class MappingResource(Resource):
    """Manage mapping definitions.

    Example:
        >>> page = client.mappings.list(search="tutorial-customer", limit=10)
        >>> [(m.name, m.current_version) for m in page if m.id == mapping.id]
        [('tutorial-customer-graph', 1)]
    """

    def list(
        self,
        owner: Optional[str] = None,
        search: Optional[str] = None,
        created_after: TimeFilter = None,
        created_before: TimeFilter = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> PaginatedList[Mapping]:
        """List mappings (summaries) with filters; ``owner="me"`` means the caller.

        Example:
            >>> mine = client.mappings.list(owner="me", sort_by="name", sort_order="asc")
            >>> mapping.id in [m.id for m in mine], [m.name for m in mine] == sorted(m.name for m in mine)
            (True, True)
        """
        return self._list("/api/mappings", Mapping, {
            "owner": owner, "search": search, "created_after": created_after,
            "created_before": created_before, "sort_by": sort_by, "sort_order": sort_order,
            "offset": offset, "limit": limit,
        })

    def get(self, mapping_id: int) -> Mapping:
        """Get a mapping with its current version's definitions.

        Raises:
            NotFoundError: the mapping does not exist.

        Example:
            >>> m = client.mappings.get(mapping.id); [n.label for n in m.node_definitions]
            ['Customer']
        """
        return self._one("GET", f"/api/mappings/{int(mapping_id)}", Mapping)

    def get_by_name(self, name: str, *, owner: Optional[str] = None) -> Mapping:
        """Get the most recently created mapping with exactly this name.

        Raises:
            NotFoundError: no mapping has this name.

        Example:
            >>> client.mappings.get_by_name("tutorial-customer-graph").id == mapping.id
            True
        """
        found = self.find_by_name(name, owner=owner)
        if found is None:
            raise NotFoundError(f"No mapping named {name!r}", {"resource_type": "mapping",
                                                                 "name": name},
                                code="NOT_FOUND", status_code=404)
        return found

    def find_by_name(self, name: str, *, owner: Optional[str] = None) -> Optional[Mapping]:
        """Like :meth:`get_by_name` but returns ``None`` when absent.

        Example:
            >>> client.mappings.find_by_name("does-not-exist") is None
            True
        """
        page = self.list(search=name, owner=owner, limit=100)
        for summary in page.iter_all():
            if summary.name == name:
                return self.get(summary.id)
        return None

    def get_version(self, mapping_id: int, version: int) -> MappingVersion:
        """Get one immutable version with its definitions.

        Example:
            >>> v1 = client.mappings.get_version(mapping.id, 1); v1.version, v1.node_definitions[0].label
            (1, 'Customer')
        """
        return self._one("GET", f"/api/mappings/{int(mapping_id)}/versions/{int(version)}",
                         MappingVersion)

    def list_versions(self, mapping_id: int, *, offset: int = 0, limit: int = 50
                      ) -> PaginatedList[MappingVersion]:
        """List versions (newest first) as summaries.

        Example:
            >>> [v.version for v in client.mappings.list_versions(mapping.id)]
            [1]
        """
        return self._list(f"/api/mappings/{int(mapping_id)}/versions", MappingVersion,
                          {"offset": offset, "limit": limit})

    def list_snapshots(
        self,
        mapping_id: int,
        *,
        mapping_version: Optional[int] = None,
        status: Optional[str] = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> PaginatedList[Snapshot]:
        """List the snapshots of a mapping (all versions unless filtered).

        Example:
            >>> inst.snapshot_id in [s.id for s in client.mappings.list_snapshots(mapping.id, status="ready")]
            True
        """
        return self._list(f"/api/mappings/{int(mapping_id)}/snapshots", Snapshot, {
            "mapping_version": mapping_version, "status": status, "sort_by": sort_by,
            "sort_order": sort_order, "offset": offset, "limit": limit,
        })

    def list_instances(
        self,
        mapping_id: int,
        *,
        status: Optional[str] = None,
        include_terminated: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> PaginatedList[Instance]:
        """List instances created from any snapshot of the mapping.

        Example:
            >>> inst.id in [i.id for i in client.mappings.list_instances(mapping.id, status="running")]
            True
        """
        return self._list(f"/api/mappings/{int(mapping_id)}/instances", Instance, {
            "status": status, "include_terminated": include_terminated,
            "offset": offset, "limit": limit,
        })

    def create(
        self,
        name: Union[str, Mapping, Dict[str, Any]],
        description: Optional[str] = None,
        node_definitions: Optional[Sequence[NodeLike]] = None,
        edge_definitions: Optional[Sequence[EdgeLike]] = None,
        ttl: Optional[DurationLike] = None,
        inactivity_timeout: Optional[DurationLike] = None,
        *,
        idempotency_key: Optional[str] = None,
    ) -> Mapping:
        """Create a mapping (version 1); definitions may be models or dicts.

        ``name`` may also be a whole :class:`Mapping`/dict to create from (e.g.
        a mapping fetched from another deployment).  A fresh ``Idempotency-Key``
        is sent (and reused by transport retries) unless one is given.

        Raises:
            ValidationError: invalid definitions or SQL (``e.field_errors``).

        Example:
            >>> from graph_olap.models import NodeDefinition
            >>> node = NodeDefinition(label="Customer", primary_key={"name": "id", "type": "STRING"},
            ...     sql='SELECT CAST(customer_id AS VARCHAR) AS id FROM "demo"."bank".customers')
            >>> from graph_olap.testing import random_name
            >>> m = client.mappings.create(random_name("doc-graph"), "demo", node_definitions=[node])
            >>> m.current_version, m.node_definitions[0].primary_key.name
            (1, 'id')
            >>> client.mappings.delete(m.id)["deleted"]
            True
        """
        if not isinstance(name, str):
            src = name.to_dict() if hasattr(name, "to_dict") else dict(name)
            name = str(src.get("name"))
            description = description if description is not None else src.get("description")
            node_definitions = node_definitions or src.get("node_definitions")
            edge_definitions = edge_definitions or src.get("edge_definitions")
            ttl = ttl if ttl is not None else src.get("ttl")
            inactivity_timeout = (inactivity_timeout if inactivity_timeout is not None
                                  else src.get("inactivity_timeout"))
        if not node_definitions:
            raise ValueError("node_definitions must contain at least one node definition")
        body: Dict[str, Any] = {
            "name": name,
            "description": description,
            "node_definitions": [definition_to_dict(n) for n in node_definitions],
            "edge_definitions": [definition_to_dict(e) for e in edge_definitions or []],
        }
        if ttl is not None:
            body["ttl"] = to_duration_str(ttl)
        if inactivity_timeout is not None:
            body["inactivity_timeout"] = to_duration_str(inactivity_timeout)
        return self._one("POST", "/api/mappings", Mapping, json=body,
                         idempotency_key=idempotency_key or True)

    def update(
        self,
        mapping_id: int,
        change_description: str,
        node_definitions: Optional[Sequence[NodeLike]] = None,
        edge_definitions: Optional[Sequence[EdgeLike]] = None,
        *,
        name: Any = UNSET,
        description: Any = UNSET,
        ttl: Any = UNSET,
        inactivity_timeout: Any = UNSET,
        expected_version: Optional[int] = None,
    ) -> Mapping:
        """Update a mapping; changed definitions create version ``current_version + 1``.

        Omitted lists keep the current version's lists; ``description=None`` or
        ``ttl=None`` clear those fields.  ``expected_version`` makes the update
        fail with ``InvalidStateError`` if someone else changed it meanwhile.

        Example:
            >>> from graph_olap.models import NodeDefinition
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> nodes, edges = tutorial_definitions()
            >>> m = client.mappings.create(random_name("doc"), node_definitions=nodes, edge_definitions=edges)
            >>> sector = NodeDefinition(label="Sector", primary_key={"name": "code", "type": "STRING"},
            ...     sql='SELECT DISTINCT bk_sectr AS code FROM '
            ...         '"default_catalog"."default_schema".bis_acct_dh')
            >>> client.mappings.update(m.id, "add Sector", node_definitions=[*nodes, sector]).current_version
            2
            >>> client.mappings.delete(m.id)["deleted"]
            True
        """
        body: Dict[str, Any] = {"change_description": change_description}
        if node_definitions is not None:
            body["node_definitions"] = [definition_to_dict(n) for n in node_definitions]
        if edge_definitions is not None:
            body["edge_definitions"] = [definition_to_dict(e) for e in edge_definitions]
        put_if_set(body, name=name, description=description, ttl=_ttl(ttl),
                   inactivity_timeout=_ttl(inactivity_timeout))
        if expected_version is not None:
            body["expected_version"] = expected_version
        return self._one("PUT", f"/api/mappings/{int(mapping_id)}", Mapping, json=body)

    def delete(self, mapping_id: int) -> Dict[str, Any]:
        """Delete a mapping with its versions and snapshots.

        Returns ``{"id", "deleted", "snapshots_deleted", "instances_terminated"}``.

        Raises:
            DependencyError: active instances still use it.

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> nodes, _ = tutorial_definitions()
            >>> scratch = client.mappings.create(random_name("doc"), node_definitions=nodes)
            >>> client.mappings.delete(scratch.id)["deleted"]
            True
        """
        return cast(Dict[str, Any], self._http.data("DELETE", f"/api/mappings/{int(mapping_id)}"))

    def copy(self, mapping_id: int, new_name: Optional[str] = None, *,
             version: Optional[int] = None, idempotency_key: Optional[str] = None) -> Mapping:
        """Copy a mapping (one version of it) into a new mapping you own.

        Example:
            >>> from graph_olap.testing import random_name
            >>> mine = client.mappings.copy(mapping.id, random_name("my-copy"))
            >>> mine.id != mapping.id, [n.label for n in mine.node_definitions]
            (True, ['Customer'])
            >>> client.mappings.delete(mine.id)["deleted"]
            True
        """
        body: Dict[str, Any] = {}
        if new_name is not None:
            body["name"] = new_name
        if version is not None:
            body["version"] = version
        return self._one("POST", f"/api/mappings/{int(mapping_id)}/copy", Mapping, json=body,
                         idempotency_key=idempotency_key or True)

    def set_lifecycle(self, mapping_id: int, ttl: Any = UNSET,
                      inactivity_timeout: Any = UNSET) -> Mapping:
        """Set (or clear with ``None``) the mapping's TTL / inactivity timeout.

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> nodes, _ = tutorial_definitions()
            >>> scratch = client.mappings.create(random_name("doc"), node_definitions=nodes)
            >>> client.mappings.set_lifecycle(scratch.id, ttl="P30D").ttl
            'P30D'
            >>> client.mappings.delete(scratch.id)["deleted"]
            True
        """
        body = put_if_set({}, ttl=_ttl(ttl), inactivity_timeout=_ttl(inactivity_timeout))
        return self._one("PUT", f"/api/mappings/{int(mapping_id)}/lifecycle", Mapping, json=body)

    def get_tree(self, mapping_id: int, *, include_instances: bool = True,
                 status: Optional[str] = None) -> MappingTree:
        """Versions → snapshots → instances hierarchy.

        Example:
            >>> tree = client.mappings.get_tree(mapping.id)
            >>> print(tree.render().splitlines()[0]); tree[1]["name"]
            Mapping ... tutorial-customer-graph
            'tutorial-customer-graph'
        """
        data = self._http.data("GET", f"/api/mappings/{int(mapping_id)}/tree",
                               params={"include_instances": include_instances, "status": status})
        return MappingTree.from_dict(data)

    def diff_versions(self, mapping_id: int, from_version: int, to_version: int) -> MappingDiff:
        """Server-side diff between two versions.

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> nodes, _ = tutorial_definitions()
            >>> m = client.mappings.create(random_name("doc"), node_definitions=nodes)
            >>> m = client.mappings.update(m.id, "sql", node_definitions=[
            ...     nodes[0].model_copy(update={"sql": nodes[0].sql.replace("MIN(", "MAX(")})])
            >>> d = client.mappings.diff_versions(m.id, from_version=1, to_version=2)
            >>> print(d.render()); d["summary"]["nodes_modified"]
            ~ node Customer (sql)
            1
            >>> client.mappings.delete(m.id)["deleted"]
            True
        """
        data = self._http.data(
            "GET",
            f"/api/mappings/{int(mapping_id)}/versions/{int(from_version)}/diff/{int(to_version)}",
        )
        return MappingDiff.from_dict(data)

    def diff(self, mapping_id: int, from_version: Optional[int] = None,
             to_version: Optional[int] = None) -> MappingDiff:
        """Diff with defaults: ``to_version`` = current, ``from_version`` = the one before.

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> nodes, edges = tutorial_definitions()
            >>> m = client.mappings.create(random_name("doc"), node_definitions=nodes)
            >>> m = client.mappings.update(m.id, "edges", node_definitions=nodes, edge_definitions=edges)
            >>> print(client.mappings.diff(m.id).render())   # what changed in the latest version
            + edge SHARES_ACCOUNT
            >>> client.mappings.delete(m.id)["deleted"]
            True
        """
        if to_version is None or from_version is None:
            current = self.get(mapping_id).current_version
            to_version = current if to_version is None else to_version
            from_version = (to_version - 1) if from_version is None else from_version
        return self.diff_versions(mapping_id, from_version, to_version)

    def definitions(self, mapping_id: int, version: Optional[int] = None
                    ) -> Dict[str, List[Any]]:
        """Node/edge definitions of a version as plain dicts (handy for editing).

        Example:
            >>> defs = client.mappings.definitions(mapping.id); defs["node_definitions"][0]["label"]
            'Customer'
        """
        src: Any = self.get(mapping_id) if version is None else self.get_version(mapping_id,
                                                                                 version)
        return {"node_definitions": [n.to_dict() for n in src.node_definitions],
                "edge_definitions": [e.to_dict() for e in src.edge_definitions]}

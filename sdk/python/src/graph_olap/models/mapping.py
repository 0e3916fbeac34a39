"""Mapping models: definitions, mappings, versions, diffs and trees (API.md §3.1–3.5).

Owns the typed shapes of graph mappings and the convenience constructors
analysts use to write them.  Client-side diffing lives in
:mod:`graph_olap.diff`; HTTP calls live in :mod:`graph_olap.resources.mappings`.

Example:
    >>> node = NodeDefinition(label="Customer", sql="SELECT id, name FROM t",
    ...                       primary_key="id", properties={"name": "STRING"})
    >>> node.primary_key.name, node.primary_key.type, node.properties[0].type
    ('id', 'STRING', 'STRING')
"""

from __future__ import annotations

import html
from typing import Any, Dict, List, Optional, Union, cast

from pydantic import Field, field_validator

from graph_olap.models._diff import diff_body
from graph_olap.models.base import GraphOLAPModel, Timestamp
from graph_olap.models.enums import RyugraphType

__all__ = [
    "DiffEntry",
    "DiffSummary",
    "EdgeDefinition",
    "EdgeDiff",
    "Mapping",
    "MappingDiff",
    "MappingTree",
    "MappingVersion",
    "NodeDefinition",
    "NodeDiff",
    "PrimaryKey",
    "PrimaryKeyDefinition",
    "PropertyDefinition",
    "RyugraphType",
    "definition_to_dict",
    "diff_definitions",
]


class PropertyDefinition(GraphOLAPModel):
    """A property column: ``{name, type}`` (type names of API.md §3.2).

    Example:
        >>> PropertyDefinition(name="amount", type="double").type
        'DOUBLE'
    """

    name: str
    type: str = "STRING"

    _repr_keys = ("name", "type")

    @field_validator("type", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v


class PrimaryKey(PropertyDefinition):
    """The primary key of a node definition.

    Example:
        >>> PrimaryKey(name="customer_id").type
        'STRING'
    """


def _property_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, dict):
        return [{"name": k, "type": t} for k, t in value.items()]
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, str):
                out.append({"name": item, "type": "STRING"})
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                out.append({"name": item[0], "type": item[1]})
            else:
                out.append(item)
        return out
    return value


class NodeDefinition(GraphOLAPModel):
    """A node label: SQL producing the primary key and property columns.

    ``primary_key`` accepts ``{"name", "type"}``, a :class:`PrimaryKey`, or a
    bare column name (type ``STRING``); ``properties`` accepts a list of
    ``{"name", "type"}``, ``(name, type)`` pairs, or a ``{name: type}`` dict.

    Example:
        >>> n = NodeDefinition(label="Account", sql="SELECT account_id FROM a",
        ...                    primary_key={"name": "account_id", "type": "INT64"})
        >>> n.to_dict()["primary_key"]
        {'name': 'account_id', 'type': 'INT64'}
    """

    label: str
    sql: str
    primary_key: PrimaryKey
    properties: List[PropertyDefinition] = []

    _repr_keys = ("label", "primary_key")

    @field_validator("primary_key", mode="before")
    @classmethod
    def _pk(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"name": v, "type": "STRING"}
        if isinstance(v, (list, tuple)) and len(v) == 2:
            return {"name": v[0], "type": v[1]}
        return v

    @field_validator("properties", mode="before")
    @classmethod
    def _props(cls, v: Any) -> Any:
        return _property_list(v)

    def to_dict(self, *, exclude_none: bool = False) -> Dict[str, Any]:
        """Wire form (``primary_key``/``properties`` as plain dicts)."""
        return super().to_dict(exclude_none=exclude_none)

    def to_api_dict(self) -> Dict[str, Any]:
        """Request body form: ``label``, ``sql``, ``primary_key``, ``properties``."""
        return {"label": self.label, "sql": self.sql, "primary_key": self.primary_key.to_dict(),
                "properties": [{"name": p.name, "type": p.type} for p in self.properties]}


class EdgeDefinition(GraphOLAPModel):
    """An edge type: SQL producing ``from_key``, ``to_key`` and property columns.

    Example:
        >>> e = EdgeDefinition(type="SHARES_ACCOUNT", from_node="Customer", to_node="Customer",
        ...                    sql="SELECT a AS from_id, b AS to_id FROM t",
        ...                    from_key="from_id", to_key="to_id")
        >>> e.properties
        []
    """

    type: str
    from_node: str
    to_node: str
    sql: str
    from_key: str
    to_key: str
    properties: List[PropertyDefinition] = []

    _repr_keys = ("type", "from_node", "to_node")

    @field_validator("properties", mode="before")
    @classmethod
    def _props(cls, v: Any) -> Any:
        return _property_list(v)

    def to_api_dict(self) -> Dict[str, Any]:
        """Request body form of the edge definition."""
        return {"type": self.type, "from_node": self.from_node, "to_node": self.to_node,
                "sql": self.sql, "from_key": self.from_key, "to_key": self.to_key,
                "properties": [{"name": p.name, "type": p.type} for p in self.properties]}


NodeLike = Union[NodeDefinition, Dict[str, Any]]
EdgeLike = Union[EdgeDefinition, Dict[str, Any]]


def definition_to_dict(value: Any) -> Dict[str, Any]:
    """Convert a definition (model or dict) to its wire dict.

    Example:
        >>> definition_to_dict({"label": "A"})
        {'label': 'A'}
    """
    if isinstance(value, GraphOLAPModel):
        return value.to_dict()
    if hasattr(value, "to_dict"):
        return cast(Dict[str, Any], value.to_dict())
    if isinstance(value, dict):
        return dict(value)
    raise TypeError(f"expected a definition model or dict, got {type(value).__name__}")


def _definitions_html(nodes: List[NodeDefinition], edges: List[EdgeDefinition]) -> str:
    rows = []
    for n in nodes:
        props = ", ".join(f"{p.name}: {p.type}" for p in n.properties)
        rows.append(
            f"<tr><td>node</td><td><b>{html.escape(n.label)}</b></td>"
            f"<td>{html.escape(n.primary_key.name)} ({html.escape(n.primary_key.type)})</td>"
            f"<td>{html.escape(props)}</td></tr>"
        )
    for e in edges:
        props = ", ".join(f"{p.name}: {p.type}" for p in e.properties)
        rows.append(
            f"<tr><td>edge</td><td><b>{html.escape(e.type)}</b></td>"
            f"<td>({html.escape(e.from_node)})→({html.escape(e.to_node)})</td>"
            f"<td>{html.escape(props)}</td></tr>"
        )
    return (
        "<table class='go-table'><thead><tr><th>kind</th><th>name</th><th>key / endpoints</th>"
        f"<th>properties</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class _HasDefinitions(GraphOLAPModel):
    """What a mapping and each of its versions share: node and edge definitions, looked up by name."""

    node_definitions: List[NodeDefinition] = []
    edge_definitions: List[EdgeDefinition] = []

    def get_node(self, label: str) -> Optional[NodeDefinition]:
        """The node definition with this label, or ``None``."""
        return next((n for n in self.node_definitions if n.label == label), None)

    def get_edge(self, edge_type: str) -> Optional[EdgeDefinition]:
        """The edge definition with this type, or ``None``."""
        return next((e for e in self.edge_definitions if e.type == edge_type), None)

    def diff(self, other: Any) -> MappingDiff:
        """Preview the diff from ``self`` to ``other`` (a Mapping, MappingVersion or dict).

        For unsaved definitions; diffs of stored versions come from the server
        (``client.mappings.diff``).  Same rule and result as the server's
        endpoint (see :func:`diff_definitions`).

        Example:
            >>> a = MappingVersion(mapping_id=1, version=1, node_definitions=[])
            >>> b = MappingVersion(mapping_id=1, version=2, node_definitions=[NodeDefinition(
            ...     label="A", sql="SELECT 1 AS id", primary_key="id")])
            >>> a.diff(b).summary.nodes_added
            1
        """
        return diff_definitions(self, other)


class Mapping(_HasDefinitions):
    """A mapping with its current version's definitions (API.md §3.1).

    List endpoints return summaries: the definition lists are then empty and
    ``node_count``/``edge_type_count`` tell the sizes.

    Example:
        >>> m = Mapping.from_dict({"id": 1, "name": "g", "current_version": 2,
        ...                        "owner_username": "a@x", "node_count": 1})
        >>> m, m.version
        (Mapping(id=1, name='g', current_version=2, owner_username='a@x'), 2)
    """

    id: int
    name: str = ""
    owner_username: Optional[str] = None
    description: Optional[str] = None
    current_version: int = 1
    change_description: Optional[str] = None
    version_created_at: Timestamp = None
    version_created_by: Optional[str] = None
    node_count: Optional[int] = None
    edge_type_count: Optional[int] = None
    snapshot_count: Optional[int] = None
    ttl: Optional[str] = None
    inactivity_timeout: Optional[str] = None
    expires_at: Timestamp = None
    last_used_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None

    _repr_keys = ("id", "name", "current_version", "owner_username")

    @property
    def version(self) -> int:
        """Alias of ``current_version``."""
        return self.current_version

    def _repr_html_(self) -> str:
        head = (
            f"<div class='graph-olap go-card'><div class='go-card-title'>Mapping "
            f"<span class='go-muted'>#{self.id} {html.escape(self.name)} · "
            f"v{self.current_version} · {html.escape(self.owner_username or '')}</span></div>"
        )
        desc = f"<p>{html.escape(self.description)}</p>" if self.description else ""
        if self.node_definitions or self.edge_definitions:
            body = _definitions_html(self.node_definitions, self.edge_definitions)
        else:
            body = (
                f"<p class='go-muted'>{self.node_count or 0} node labels, "
                f"{self.edge_type_count or 0} edge types</p>"
            )
        return head + desc + body + "</div>"


class MappingVersion(_HasDefinitions):
    """One immutable version of a mapping (API.md §3.3).

    Version lists return summaries without definitions (``node_count``,
    ``edge_type_count``, ``snapshot_count`` are set instead).

    Example:
        >>> MappingVersion(mapping_id=1, version=3, change_description="add Store")
        MappingVersion(mapping_id=1, version=3, change_description='add Store')
    """

    mapping_id: int
    version: int
    change_description: Optional[str] = None
    created_at: Timestamp = None
    created_by: Optional[str] = None
    node_count: Optional[int] = None
    edge_type_count: Optional[int] = None
    snapshot_count: Optional[int] = None

    _repr_keys = ("mapping_id", "version", "change_description")

    def _repr_html_(self) -> str:
        head = (
            f"<div class='graph-olap go-card'><div class='go-card-title'>MappingVersion "
            f"<span class='go-muted'>mapping {self.mapping_id} v{self.version}</span></div>"
        )
        desc = (
            f"<p>{html.escape(self.change_description)}</p>" if self.change_description else ""
        )
        return head + desc + _definitions_html(self.node_definitions, self.edge_definitions) + (
            "</div>"
        )


class DiffSummary(GraphOLAPModel):
    """Counts of a mapping diff.

    Example:
        >>> DiffSummary(nodes_added=1).total_changes
        1
    """

    nodes_added: int = 0
    nodes_removed: int = 0
    nodes_modified: int = 0
    edges_added: int = 0
    edges_removed: int = 0
    edges_modified: int = 0

    _repr_keys = ("nodes_added", "nodes_removed", "nodes_modified",
                  "edges_added", "edges_removed", "edges_modified")

    @property
    def total_changes(self) -> int:
        """Sum of every count."""
        return (self.nodes_added + self.nodes_removed + self.nodes_modified
                + self.edges_added + self.edges_removed + self.edges_modified)


class DiffEntry(GraphOLAPModel):
    """One changed node label or edge type.

    ``from_`` is the wire field ``from`` (a Python keyword).

    Example:
        >>> DiffEntry.from_dict({"label": "A", "change_type": "added", "from": None,
        ...                      "to": {"label": "A"}}).key
        'A'
    """

    label: Optional[str] = None
    type: Optional[str] = None
    change_type: str
    fields_changed: Optional[List[str]] = None
    from_: Optional[Dict[str, Any]] = Field(default=None, alias="from")
    to: Optional[Dict[str, Any]] = None

    _repr_keys = ("key", "change_type", "fields_changed")

    @property
    def key(self) -> Optional[str]:
        """The node label or edge type this entry is about."""
        return self.label if self.label is not None else self.type

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__("from_" if key == "from" else key)

    def to_dict(self, *, exclude_none: bool = False) -> Dict[str, Any]:
        """Wire form (``from_`` → ``from``)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=exclude_none)


class NodeDiff(DiffEntry):
    """A changed node label (``label``, ``change_type``, ``fields_changed``, ``from_``, ``to``).

    Example:
        >>> NodeDiff.from_api_response({"label": "A", "change_type": "removed"}).label
        'A'
    """


class EdgeDiff(DiffEntry):
    """A changed edge type (``type``, ``change_type``, ``fields_changed``, ``from_``, ``to``).

    Example:
        >>> EdgeDiff.from_api_response({"type": "KNOWS", "change_type": "added"}).type
        'KNOWS'
    """


class _DiffChanges(GraphOLAPModel):
    nodes: List[NodeDiff] = []
    edges: List[EdgeDiff] = []

    _repr_keys = ("nodes", "edges")


class MappingDiff(GraphOLAPModel):
    """Differences between two mapping versions (API.md §3.4).

    Supports dict-style access for code written against raw responses
    (``diff["summary"]["nodes_added"]``).

    Example:
        >>> d = MappingDiff.from_dict({"mapping_id": 1, "from_version": 1, "to_version": 2,
        ...     "summary": {"nodes_added": 1}, "changes": {"nodes": [], "edges": []}})
        >>> d["summary"]["nodes_added"], d.has_changes
        (1, True)
    """

    mapping_id: Optional[int] = None
    from_version: Optional[int] = None
    to_version: Optional[int] = None
    summary: DiffSummary = DiffSummary()
    changes: _DiffChanges = _DiffChanges()

    _repr_keys = ("mapping_id", "from_version", "to_version", "summary")

    @property
    def has_changes(self) -> bool:
        """True when anything differs."""
        return self.summary.total_changes > 0

    def _of(self, kind: str, change: str) -> List[Any]:
        return [e for e in getattr(self.changes, kind) if e.change_type == change]

    def nodes_added(self) -> List[NodeDiff]:
        """Node labels present only in ``to_version``."""
        return self._of("nodes", "added")

    def nodes_removed(self) -> List[NodeDiff]:
        """Node labels present only in ``from_version``."""
        return self._of("nodes", "removed")

    def nodes_modified(self) -> List[NodeDiff]:
        """Node labels whose definition changed (see ``fields_changed``)."""
        return self._of("nodes", "modified")

    def edges_added(self) -> List[EdgeDiff]:
        """Edge types present only in ``to_version``."""
        return self._of("edges", "added")

    def edges_removed(self) -> List[EdgeDiff]:
        """Edge types present only in ``from_version``."""
        return self._of("edges", "removed")

    def edges_modified(self) -> List[EdgeDiff]:
        """Edge types whose definition changed."""
        return self._of("edges", "modified")

    def render(self) -> str:
        """Plain-text rendering (``+`` added, ``-`` removed, ``~`` modified).

        Example:
            >>> print(MappingDiff().render())
            No differences.
        """
        lines = []
        marks = {"added": "+", "removed": "-", "modified": "~"}
        for kind, entries in (("node", self.changes.nodes), ("edge", self.changes.edges)):
            for e in entries:
                extra = f" ({', '.join(e.fields_changed)})" if e.fields_changed else ""
                lines.append(f"{marks.get(e.change_type, '?')} {kind} {e.key}{extra}")
        return "\n".join(lines) if lines else "No differences."

    def _repr_html_(self) -> str:
        rows = []
        for kind, entries in (("node", self.changes.nodes), ("edge", self.changes.edges)):
            for e in entries:
                rows.append(
                    f"<tr class='go-diff-{e.change_type}'><td>{e.change_type}</td><td>{kind}</td>"
                    f"<td><b>{html.escape(str(e.key))}</b></td>"
                    f"<td>{html.escape(', '.join(e.fields_changed or []))}</td></tr>"
                )
        body = (
            "<table class='go-table'><thead><tr><th>change</th><th>kind</th><th>name</th>"
            f"<th>fields</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            if rows else "<p class='go-muted'>No differences.</p>"
        )
        return (
            f"<div class='graph-olap go-card'><div class='go-card-title'>Mapping diff "
            f"<span class='go-muted'>v{self.from_version} → v{self.to_version}</span></div>"
            f"{body}</div>"
        )


class MappingTree(GraphOLAPModel):
    """Versions → snapshots → instances of one mapping (API.md §3.5).

    Nested levels are kept as dicts (``tree["versions"][0]["snapshots"]``).  The
    tree is also a mapping **version number → that version's entry**:
    ``tree[2]`` is ``{"name", "owner_username", "change_description",
    "created_at", "created_by", "snapshots", "snapshot_count", …}``, and
    ``keys()``/``items()``/``values()``/``len()``/iteration go over versions.

    Example:
        >>> t = MappingTree.from_dict({"id": 1, "name": "g", "owner_username": "a",
        ...     "versions": [{"version": 1, "snapshots": [{"id": 4}]}],
        ...     "totals": {"version_count": 1}})
        >>> t.totals["version_count"], list(t), t[1]["snapshot_count"], t[1]["name"]
        (1, [1], 1, 'g')
    """

    id: int
    name: Optional[str] = None
    owner_username: Optional[str] = None
    current_version: Optional[int] = None
    versions: List[Dict[str, Any]] = []
    totals: Dict[str, Any] = {}

    _repr_keys = ("id", "name", "current_version", "totals")

    def _version_entry(self, v: Dict[str, Any]) -> Dict[str, Any]:
        snapshots = list(v.get("snapshots") or [])
        entry = {"name": self.name, "owner_username": self.owner_username, **v}
        entry["snapshots"] = snapshots
        entry.setdefault("snapshot_count", len(snapshots))
        return entry

    def _by_version(self) -> Dict[int, Dict[str, Any]]:
        return {int(v["version"]): self._version_entry(v) for v in self.versions
                if v.get("version") is not None}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int) and not isinstance(key, bool):
            return self._by_version()[key]
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, int) and not isinstance(key, bool):
            return key in self._by_version()
        return super().__contains__(key)

    def __iter__(self) -> Any:
        return iter(self._by_version())

    def __len__(self) -> int:
        return len(self.versions)

    def keys(self) -> List[int]:  # type: ignore[override]
        """Version numbers."""
        return list(self._by_version())

    def values(self) -> List[Dict[str, Any]]:
        """Version entries, oldest first."""
        return list(self._by_version().values())

    def items(self) -> Any:
        """``(version, entry)`` pairs."""
        return iter(self._by_version().items())

    def get(self, key: Any, default: Any = None) -> Any:
        """``tree[key]`` or ``default`` (version numbers and field names)."""
        try:
            return self[key]
        except (KeyError, AttributeError):
            return default

    def render(self) -> str:
        """Indented text tree.

        Example:
            >>> print(MappingTree(id=1, name="g").render())
            Mapping 1 g
        """
        lines = [f"Mapping {self.id} {self.name or ''}".rstrip()]
        for v in self.versions:
            lines.append(f"  v{v.get('version')}  {v.get('change_description') or ''}".rstrip())
            for s in v.get("snapshots") or []:
                lines.append(f"    snapshot {s.get('id')} {s.get('name')} [{s.get('status')}]")
                for i in s.get("instances") or []:
                    lines.append(f"      instance {i.get('id')} {i.get('name')} [{i.get('status')}]")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (
            "<div class='graph-olap go-card'><div class='go-card-title'>Mapping tree</div>"
            f"<pre>{html.escape(self.render())}</pre></div>"
        )



def _version_of(obj: Any) -> Optional[int]:
    if isinstance(obj, dict):
        value = obj.get("version")
        return value if isinstance(value, int) else None
    for attr in ("version", "current_version"):
        value = getattr(obj, attr, None)
        if isinstance(value, int):
            return value
    return None


def _definitions(obj: Any) -> Dict[str, List[Dict[str, Any]]]:
    def of(name: str) -> List[Dict[str, Any]]:
        items = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        return [definition_to_dict(d) for d in items or []]

    return {"node_definitions": of("node_definitions"), "edge_definitions": of("edge_definitions")}


def diff_definitions(old: Any, new: Any) -> MappingDiff:
    """Preview the diff between two objects carrying ``node_definitions``/``edge_definitions``.

    Accepts :class:`Mapping`, :class:`MappingVersion` or plain dicts, and returns
    what the server's diff endpoint would return for them (the rule and why a
    client-side copy exists: :mod:`graph_olap.models._diff`).

    Example:
        >>> diff_definitions({"node_definitions": []}, {"node_definitions": []}).has_changes
        False
    """
    mapping_id = (old.get("mapping_id") if isinstance(old, dict)
                  else getattr(old, "mapping_id", None) or getattr(old, "id", None))
    return MappingDiff.from_dict(diff_body(_definitions(old), _definitions(new),
                                           mapping_id=mapping_id,
                                           from_version=_version_of(old),
                                           to_version=_version_of(new)))

#: The primary key of a node definition (``name`` and ``type``).
PrimaryKeyDefinition = PrimaryKey

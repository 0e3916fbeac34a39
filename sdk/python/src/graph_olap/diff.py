"""Client-side mapping diffs with the server's rules (API.md §3.4).

Owns comparing two sets of node/edge definitions.  Use it to preview what an
update would change before sending it (``mapping.diff(new_version)``); the
server-side equivalent is ``client.mappings.diff_versions``.

Example:
    >>> from graph_olap.models import MappingVersion, NodeDefinition
    >>> a = MappingVersion(mapping_id=1, version=1, node_definitions=[
    ...     NodeDefinition(label="A", sql="SELECT 1 AS id", primary_key="id")])
    >>> b = MappingVersion(mapping_id=1, version=2, node_definitions=[
    ...     NodeDefinition(label="A", sql="SELECT 2 AS id", primary_key="id")])
    >>> print(diff_definitions(a, b).render())
    ~ node A (sql)
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from graph_olap.models.mapping import (
    DiffEntry,
    DiffSummary,
    EdgeDiff,
    MappingDiff,
    NodeDiff,
    _DiffChanges,
    definition_to_dict,
)

__all__ = ["diff_definitions", "diff_lists"]

_NODE_KEYS = ("label", "primary_key", "properties", "sql")
_EDGE_KEYS = ("from_key", "from_node", "properties", "sql", "to_key", "to_node", "type")




def diff_lists(
    old: List[Any], new: List[Any], key: str, fields: Tuple[str, ...]
) -> Tuple[List[DiffEntry], int, int, int]:
    """Diff two definition lists matched by ``key`` (``label`` or ``type``).

    Returns ``(entries, added, removed, modified)`` with entries ordered
    added → removed → modified, each group by key ascending.

    Example:
        >>> entries, a, r, m = diff_lists([{"label": "A"}], [], "label", ("label",))
        >>> (a, r, m), entries[0].change_type
        ((0, 1, 0), 'removed')
    """
    old_map = {d[key]: d for d in (definition_to_dict(x) for x in old)}
    new_map = {d[key]: d for d in (definition_to_dict(x) for x in new)}
    added = sorted(k for k in new_map if k not in old_map)
    removed = sorted(k for k in old_map if k not in new_map)
    modified = []
    for k in sorted(k for k in new_map if k in old_map):
        changed = sorted(f for f in fields if old_map[k].get(f) != new_map[k].get(f))
        if changed:
            modified.append((k, changed))
    entries: List[DiffEntry] = []
    cls = NodeDiff if key == "label" else EdgeDiff
    for k in added:
        entries.append(cls.model_validate(
            {key: k, "change_type": "added", "fields_changed": None, "from": None,
             "to": new_map[k]}))
    for k in removed:
        entries.append(cls.model_validate(
            {key: k, "change_type": "removed", "fields_changed": None, "from": old_map[k],
             "to": None}))
    for k, changed in modified:
        entries.append(cls.model_validate(
            {key: k, "change_type": "modified", "fields_changed": changed, "from": old_map[k],
             "to": new_map[k]}))
    return entries, len(added), len(removed), len(modified)


def _version_of(obj: Any) -> Optional[int]:
    for attr in ("version", "current_version"):
        value = getattr(obj, attr, None)
        if isinstance(value, int):
            return value
    return None


def diff_definitions(old: Any, new: Any) -> MappingDiff:
    """Diff two objects carrying ``node_definitions``/``edge_definitions``.

    Accepts :class:`~graph_olap.models.Mapping`, :class:`~graph_olap.models.MappingVersion`
    or plain dicts.

    Example:
        >>> diff_definitions({"node_definitions": []}, {"node_definitions": []}).has_changes
        False
    """
    def defs(obj: Any, name: str) -> List[Any]:
        if isinstance(obj, dict):
            return list(obj.get(name) or [])
        return list(getattr(obj, name, None) or [])

    nodes, na, nr, nm = diff_lists(defs(old, "node_definitions"), defs(new, "node_definitions"),
                                   "label", _NODE_KEYS)
    edges, ea, er, em = diff_lists(defs(old, "edge_definitions"), defs(new, "edge_definitions"),
                                   "type", _EDGE_KEYS)
    mapping_id = (old.get("mapping_id") if isinstance(old, dict)
                  else getattr(old, "mapping_id", None) or getattr(old, "id", None))
    return MappingDiff(
        mapping_id=mapping_id,
        from_version=old.get("version") if isinstance(old, dict) else _version_of(old),
        to_version=new.get("version") if isinstance(new, dict) else _version_of(new),
        summary=DiffSummary(nodes_added=na, nodes_removed=nr, nodes_modified=nm,
                            edges_added=ea, edges_removed=er, edges_modified=em),
        changes=_DiffChanges(nodes=[e for e in nodes if isinstance(e, NodeDiff)],
                             edges=[e for e in edges if isinstance(e, EdgeDiff)]),
    )

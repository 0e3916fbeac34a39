"""The client-side copy of the server's mapping-diff rule, on wire-shaped dicts.

The rule lives in the control plane (``crates/control-plane/src/diff.rs``,
API.md §3.4) and ``client.mappings.diff``/``diff_versions`` take every diff of
**stored** versions from its endpoint.  This copy exists for one purpose the
server cannot serve: previewing what *unsaved* definitions would change
(``mapping.diff({...})``) before ``update()`` stores them.  It produces the
endpoint's body exactly, and ``tests/integration/test_mappings.py``
(``test_local_diff_matches_the_server_endpoint``) checks that on stored versions:

* definitions are matched by ``label`` (nodes) or ``type`` (edges);
* ``fields_changed`` is the sorted list of top-level keys whose values differ;
* entries are ordered added → removed → modified, each group by key.

It imports no other SDK module (definitions arrive as dicts), so the models can
use it without an import cycle.

Example:
    >>> body = diff_body({"node_definitions": [{"label": "A", "sql": "SELECT 1"}]},
    ...                  {"node_definitions": [{"label": "A", "sql": "SELECT 2"}]})
    >>> body["summary"]["nodes_modified"], body["changes"]["nodes"][0]["fields_changed"]
    (1, ['sql'])
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

__all__ = ["WIRE_KEYS", "compare", "diff_body"]

#: Top-level keys of a node / edge definition on the wire (the server's serde types).
WIRE_KEYS = {
    "label": ("label", "sql", "primary_key", "properties"),
    "type": ("type", "from_node", "to_node", "sql", "from_key", "to_key", "properties"),
}


def _wire(definition: Dict[str, Any], key: str) -> Dict[str, Any]:
    # Only the keys the server stores: a model's extra fields never show up as changes.
    return {k: definition[k] for k in WIRE_KEYS[key] if k in definition}


def compare(old: List[Dict[str, Any]], new: List[Dict[str, Any]], key: str
            ) -> Tuple[List[Dict[str, Any]], int, int, int]:
    """Diff two definition lists matched by ``key`` (``"label"`` or ``"type"``).

    Returns ``(changes, added, removed, modified)``; each change is the
    endpoint's entry (``{key, change_type, fields_changed, from, to}``).

    Example:
        >>> changes, a, r, m = compare([{"label": "A"}], [], "label")
        >>> (a, r, m), changes[0]["change_type"]
        ((0, 1, 0), 'removed')
    """
    old_map = {d[key]: _wire(d, key) for d in old}
    new_map = {d[key]: _wire(d, key) for d in new}
    added = sorted(k for k in new_map if k not in old_map)
    removed = sorted(k for k in old_map if k not in new_map)
    modified = []
    for k in sorted(k for k in new_map if k in old_map):
        before, after = old_map[k], new_map[k]
        changed = sorted(f for f in set(before) | set(after) if before.get(f) != after.get(f))
        if changed:
            modified.append((k, changed))
    changes: List[Dict[str, Any]] = []
    for k in added:
        changes.append({key: k, "change_type": "added", "fields_changed": None, "from": None,
                        "to": new_map[k]})
    for k in removed:
        changes.append({key: k, "change_type": "removed", "fields_changed": None,
                        "from": old_map[k], "to": None})
    for k, fields in modified:
        changes.append({key: k, "change_type": "modified", "fields_changed": fields,
                        "from": old_map[k], "to": new_map[k]})
    return changes, len(added), len(removed), len(modified)


def diff_body(old: Dict[str, Any], new: Dict[str, Any], *, mapping_id: Optional[int] = None,
              from_version: Optional[int] = None, to_version: Optional[int] = None
              ) -> Dict[str, Any]:
    """The ``MappingDiff`` body (API.md §3.4) between two wire-shaped definition sets.

    ``old``/``new`` carry ``node_definitions`` and ``edge_definitions`` lists of dicts.

    Example:
        >>> diff_body({}, {"edge_definitions": [{"type": "K"}]})["summary"]["edges_added"]
        1
    """
    nodes, na, nr, nm = compare(list(old.get("node_definitions") or []),
                                list(new.get("node_definitions") or []), "label")
    edges, ea, er, em = compare(list(old.get("edge_definitions") or []),
                                list(new.get("edge_definitions") or []), "type")
    return {
        "mapping_id": mapping_id, "from_version": from_version, "to_version": to_version,
        "summary": {"nodes_added": na, "nodes_removed": nr, "nodes_modified": nm,
                    "edges_added": ea, "edges_removed": er, "edges_modified": em},
        "changes": {"nodes": nodes, "edges": edges},
    }

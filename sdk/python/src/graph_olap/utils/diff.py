"""Print or flatten a :class:`~graph_olap.models.mapping.MappingDiff`.

Example:
    >>> from graph_olap.models.mapping import MappingDiff
    >>> d = MappingDiff.from_dict({"mapping_id": 1, "from_version": 1, "to_version": 2,
    ...     "summary": {"nodes_added": 1},
    ...     "changes": {"nodes": [{"label": "B", "change_type": "added"}], "edges": []}})
    >>> render_diff_summary(d)
    Mapping Diff: v1 → v2
    ====...
    Nodes:   +1  -0  ~0
    Edges:   +0  -0  ~0
    >>> render_diff_details(d)
    + Node: B
    >>> diff_to_dict(d)["changes"]
    [{'type': 'node', 'name': 'B', 'change': 'added', 'fields': None}]
"""

from __future__ import annotations

from typing import Any, Dict, List

from graph_olap.models.mapping import MappingDiff

__all__ = ["diff_to_dict", "render_diff_details", "render_diff_summary"]

_MARK = {"added": "+", "removed": "-", "modified": "~"}


def render_diff_summary(diff: MappingDiff) -> None:
    """Print the counts of added (+), removed (-) and modified (~) nodes and edges.

    Example:
        >>> render_diff_summary(MappingDiff(mapping_id=1, from_version=1, to_version=1))
        Mapping Diff: v1 → v1
        ====...
        Nodes:   +0  -0  ~0
        Edges:   +0  -0  ~0
    """
    s = diff.summary
    print(f"Mapping Diff: v{diff.from_version} → v{diff.to_version}")
    print("=" * 40)
    print(f"Nodes:   +{s['nodes_added']}  -{s['nodes_removed']}  ~{s['nodes_modified']}")
    print(f"Edges:   +{s['edges_added']}  -{s['edges_removed']}  ~{s['edges_modified']}")


def _entries(diff: MappingDiff) -> List[Any]:
    out: List[Any] = []
    for kind, getter in (("node", "nodes"), ("edge", "edges")):
        for change in ("added", "removed", "modified"):
            out.extend((kind, change, e) for e in getattr(diff, f"{getter}_{change}")())
    return out


def render_diff_details(diff: MappingDiff, show_from_to: bool = False) -> None:
    """Print one line per changed node label / edge type; ``show_from_to`` adds old/new values.

    Example:
        >>> render_diff_details(MappingDiff())
    """
    for kind, change, e in _entries(diff):
        name = e.key
        fields = f" ({', '.join(e.fields_changed or [])})" if change == "modified" else ""
        print(f"{_MARK[change]} {kind.capitalize()}: {name}{fields}")
        if not show_from_to:
            continue
        if change == "added" and e.to:
            print(f"    SQL: {e.to.get('sql', 'N/A')}")
        elif change == "modified" and e.from_ and e.to:
            for field in e.fields_changed or []:
                print(f"    {field}:")
                print(f"      Before: {e.from_.get(field)}")
                print(f"      After:  {e.to.get(field)}")


def diff_to_dict(diff: MappingDiff) -> Dict[str, Any]:
    """A JSON-friendly summary: ids, versions, summary counts and one row per change.

    Example:
        >>> diff_to_dict(MappingDiff(mapping_id=3))["mapping_id"]
        3
    """
    changes = [{"type": kind, "name": e.key, "change": change,
                "fields": ", ".join(e.fields_changed or []) if change == "modified" else None}
               for kind, change, e in _entries(diff)]
    return {"mapping_id": diff.mapping_id, "from_version": diff.from_version,
            "to_version": diff.to_version, "summary": diff.summary.to_dict(),
            "changes": changes}

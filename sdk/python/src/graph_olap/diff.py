"""Mapping diffs: the server's, and a preview of unsaved definitions (API.md §3.4).

Diffs of **stored** versions come from the control plane's endpoint
(``client.mappings.diff`` / ``diff_versions``), the one home of the rule.  This
module previews what *unsaved* definitions would change, which no endpoint can
do: ``diff_definitions(mapping, {"node_definitions": [...]})`` (also
``mapping.diff(...)``).  It applies the client-side copy of the server's rule in
:mod:`graph_olap.models._diff` (its docstring states the rule; an integration
test checks the copy against the endpoint).

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

from typing import Any, List, Tuple

from graph_olap.models._diff import compare
from graph_olap.models.mapping import (
    DiffEntry,
    EdgeDiff,
    NodeDiff,
    definition_to_dict,
    diff_definitions,
)

__all__ = ["diff_definitions", "diff_lists"]


def diff_lists(
    old: List[Any], new: List[Any], key: str, fields: Tuple[str, ...] = ()
) -> Tuple[List[DiffEntry], int, int, int]:
    """Diff two definition lists matched by ``key`` (``label`` or ``type``).

    Returns ``(entries, added, removed, modified)`` with entries ordered
    added → removed → modified, each group by key ascending.  ``fields`` is
    accepted for compatibility and ignored: the compared fields are the wire
    fields of a definition, as on the server.

    Example:
        >>> entries, a, r, m = diff_lists([{"label": "A"}], [], "label")
        >>> (a, r, m), entries[0].change_type
        ((0, 1, 0), 'removed')
    """
    changes, added, removed, modified = compare(
        [definition_to_dict(x) for x in old], [definition_to_dict(x) for x in new], key)
    cls = NodeDiff if key == "label" else EdgeDiff
    entries: List[DiffEntry] = [cls.model_validate(c) for c in changes]
    return entries, added, removed, modified


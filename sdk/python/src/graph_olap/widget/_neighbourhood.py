"""The neighbourhood of a node as one read-only Cypher query (``conn.neighbourhood``).

Owns identifying a node (a node value from a result, ``(label, primary key)``, or its ``_id``)
and building the query that returns it with everything within ``hops`` relationships, through
the connection's ordinary query path.

Example:
    >>> from graph_olap.models.instance import GraphSchema
    >>> schema = GraphSchema.from_dict({"node_tables": [
    ...     {"label": "Customer", "primary_key": "id", "properties": {"id": "STRING"}, "node_count": 3}],
    ...     "edge_tables": []})
    >>> q, p = neighbourhood_query(schema, ("Customer", "C1"), hops=2, limit=50)
    >>> print(q)
    MATCH (n:`Customer`) WHERE n.`id` = $key OPTIONAL MATCH p = (n)-[*1..2]-(m) RETURN n, p LIMIT 50
    >>> p
    {'key': 'C1'}
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

__all__ = ["neighbourhood", "neighbourhood_query"]


def _ident(name: str) -> str:
    return "`" + str(name).replace("`", "``") + "`"


def _anchor(schema: Any, node: Any) -> Tuple[str, Dict[str, Any]]:
    """``MATCH … WHERE …`` for the node ``n`` and its parameters."""
    tables = {t.label: t for t in schema.node_tables}
    if isinstance(node, dict):
        label = node.get("_label")
        table = tables.get(label) if label is not None else None
        if table is not None and table.primary_key and node.get(table.primary_key) is not None:
            return (f"MATCH (n:{_ident(table.label)}) WHERE n.{_ident(table.primary_key)} = $key",
                    {"key": node[table.primary_key]})
        if node.get("_id") is None:
            raise ValueError("a node value needs its _label and primary key, or its _id")
        return _anchor_by_id(schema, node["_id"], label)
    if isinstance(node, (tuple, list)) and len(node) == 2:
        label, key = node
        table = tables.get(label)
        if table is None:
            raise ValueError(f"no node label {label!r} in this graph (labels: {sorted(tables)})")
        if not table.primary_key:
            raise ValueError(f"label {label!r} has no primary key in the schema")
        return (f"MATCH (n:{_ident(label)}) WHERE n.{_ident(table.primary_key)} = $key", {"key": key})
    if isinstance(node, int) and not isinstance(node, bool):
        return _anchor_by_id(schema, node, None)
    raise TypeError("node must be a node value (dict from a result), (label, primary key) or an _id")


def _anchor_by_id(schema: Any, node_id: int, label: Optional[str]) -> Tuple[str, Dict[str, Any]]:
    # Node _ids are dense per label, in schema order (the instance's id space); the query checks
    # the _id it finds, so a different numbering yields no rows rather than a wrong node.
    base = 0
    for t in schema.node_tables:
        count = t.node_count or 0
        if base <= node_id < base + count and (label is None or label == t.label):
            return (f"MATCH (n:{_ident(t.label)}) WHERE offset(id(n)) = $offset",
                    {"offset": node_id - base})
        base += count
    raise ValueError(f"no node with _id {node_id} in this graph")


def neighbourhood_query(schema: Any, node: Any, *, hops: int = 1, limit: int = 500,
                        relationship_types: Optional[Sequence[str]] = None,
                        direction: str = "both") -> Tuple[str, Dict[str, Any]]:
    """The Cypher statement and parameters of :func:`neighbourhood`.

    Example:
        >>> from graph_olap.models.instance import GraphSchema
        >>> s = GraphSchema.from_dict({"node_tables": [{"label": "A", "primary_key": "k",
        ...                            "node_count": 2}], "edge_tables": []})
        >>> q, params = neighbourhood_query(s, 1, direction="out")
        >>> q.split(" OPTIONAL ")
        ['MATCH (n:`A`) WHERE offset(id(n)) = $offset', 'MATCH (n)-[r]->(m) RETURN n, r, m LIMIT 500']
        >>> params
        {'offset': 1}
    """
    if int(hops) < 1:
        raise ValueError("hops must be at least 1")
    if direction not in ("both", "out", "in"):
        raise ValueError("direction must be 'both', 'out' or 'in'")
    anchor, params = _anchor(schema, node)
    left, right = {"both": ("-", "-"), "out": ("-", "->"), "in": ("<-", "-")}[direction]
    types = ":" + "|".join(_ident(t) for t in relationship_types) if relationship_types else ""
    if int(hops) == 1:
        pattern = f"OPTIONAL MATCH (n){left}[r{types}]{right}(m) RETURN n, r, m"
    else:
        pattern = f"OPTIONAL MATCH p = (n){left}[{types}*1..{int(hops)}]{right}(m) RETURN n, p"
    return f"{anchor} {pattern} LIMIT {int(limit)}", params


def neighbourhood(conn: Any, node: Any, hops: int = 1, *, limit: int = 500,
                  relationship_types: Optional[Sequence[str]] = None, direction: str = "both",
                  schema: Any = None, **query_kwargs: Any) -> Any:
    """Run the neighbourhood query on ``conn``; returns its ``QueryResult``.

    Example:
        >>> hub = conn.query_scalar("MATCH (c:Customer)-[:SHARES_ACCOUNT]-() RETURN c.id LIMIT 1")
        >>> neighbourhood(conn, ("Customer", hub), hops=2).row_count > 0   # = conn.neighbourhood(...)
        True
    """
    if schema is None:
        schema = conn.get_schema()
    statement, params = neighbourhood_query(schema, node, hops=hops, limit=limit,
                                            relationship_types=relationship_types,
                                            direction=direction)
    return conn.query(statement, params, **query_kwargs)

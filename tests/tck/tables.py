"""Turns a TCK set-up graph into warehouse tables and a mapping, or says why it cannot.

A graph is expressible when the platform's mapping model (API.md §3.2) can state it exactly:

* every node has exactly one label (a node definition per label);
* every relationship type connects one (from label, to label) pair (an edge definition per type),
  its name is upper case as edge types must be;
* within a label or a type, each property has one type: integer → ``INT64``, float → ``DOUBLE``,
  string → ``STRING``, boolean → ``BOOL``, a non-empty list of one of those → ``LIST<T>``;
  maps are not property values in Cypher either;
* label, type and property names follow the identifier rule and are not reserved words.

Each label becomes ``<schema>/<label>.parquet`` with a synthetic primary key (:data:`KEY`, an
``INT64`` that the comparison drops from returned nodes) and one nullable column per property;
each type ``<schema>/rel_<type>.parquet`` with :data:`SRC`, :data:`DST` and its properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pyarrow as pa
import pyarrow.parquet as pq
from setup_graph import Graph

KEY = "tck_node_key"
SRC = "tck_src_key"
DST = "tck_dst_key"
EMPTY_LABEL = "TckEmptyGraph"
CATALOG = "default_catalog"

IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
RESERVED = {"NODE", "RELATIONSHIP", "MATCH", "WHERE", "RETURN", "CREATE", "DELETE", "SET",
            "REMOVE", "WITH", "ORDER", "LIMIT", "SKIP", "UNION", "CALL", "YIELD"}


class NotExpressible(Exception):
    """The graph cannot be stated as warehouse tables; ``reason`` is countable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _scalar_type(v: Any) -> Optional[str]:
    if isinstance(v, bool):
        return "BOOL"
    if isinstance(v, int):
        return "INT64" if -(2 ** 63) <= v < 2 ** 63 else None
    if isinstance(v, float):
        return "DOUBLE"
    if isinstance(v, str):
        return "STRING"
    return None


def _value_type(v: Any) -> Optional[str]:
    if isinstance(v, list):
        inner = {_scalar_type(x) for x in v}
        if not v:
            return "LIST<?>"
        if len(inner) == 1 and None not in inner:
            return f"LIST<{inner.pop()}>"
        return None
    return _scalar_type(v)


ARROW = {"BOOL": pa.bool_(), "INT64": pa.int64(), "DOUBLE": pa.float64(), "STRING": pa.string()}


def _arrow(t: str) -> pa.DataType:
    if t.startswith("LIST<"):
        return pa.list_(ARROW[t[5:-1]])
    return ARROW[t]


def _property_types(rows: List[Dict[str, Any]], what: str) -> Dict[str, str]:
    types: Dict[str, str] = {}
    for props in rows:
        for k, v in props.items():
            if not IDENT.match(k) or k.upper() in RESERVED or k in (KEY, SRC, DST):
                raise NotExpressible("property name outside the identifier rule")
            t = _value_type(v)
            if t is None:
                raise NotExpressible("property value of no table type (map, mixed list)")
            old = types.get(k)
            if old is None or old == "LIST<?>":
                types[k] = t
            elif t != old and t != "LIST<?>":
                raise NotExpressible(f"property with several types in one {what}")
    for t in types.values():
        if t == "LIST<?>":
            raise NotExpressible("empty-list property of unknown element type")
    return types


@dataclass
class Tables:
    """What to write and what to map: node and edge definitions for the mapping API, and
    Arrow tables by file name."""

    node_definitions: List[Dict[str, Any]]
    edge_definitions: List[Dict[str, Any]]
    files: Dict[str, pa.Table]


def express(g: Graph, schema: str) -> Tables:
    """Check the rules above and build the tables of ``g`` in warehouse schema ``schema``."""
    by_label: Dict[str, List[int]] = {}
    for i, n in enumerate(g.nodes):
        if len(n.labels) != 1:
            raise NotExpressible("node without a label" if not n.labels
                                 else "node with several labels")
        by_label.setdefault(n.labels[0], []).append(i)
    lower = {}
    for label in by_label:
        if not IDENT.match(label) or label.upper() in RESERVED:
            raise NotExpressible("label outside the identifier rule")
        if label.lower() in lower:
            raise NotExpressible("labels differing only in case")
        lower[label.lower()] = label
    by_type: Dict[str, List[int]] = {}
    ends: Dict[str, Tuple[str, str]] = {}
    for i, r in enumerate(g.rels):
        if not TYPE_NAME.match(r.type) or r.type in RESERVED:
            raise NotExpressible("relationship type not upper case")
        pair = (g.nodes[r.src].labels[0], g.nodes[r.dst].labels[0])
        if ends.setdefault(r.type, pair) != pair:
            raise NotExpressible("relationship type over several label pairs")
        by_type.setdefault(r.type, []).append(i)
    for t in by_type:
        if t.lower() in lower:
            raise NotExpressible("a label and a type of the same name")

    nodes_defs: List[Dict[str, Any]] = []
    edge_defs: List[Dict[str, Any]] = []
    files: Dict[str, pa.Table] = {}
    if not by_label:
        by_label = {EMPTY_LABEL: []}
    for label, idxs in by_label.items():
        types = _property_types([g.nodes[i].props for i in idxs], "label")
        cols: Dict[str, List[Any]] = {KEY: idxs}
        for k in types:
            cols[k] = [g.nodes[i].props.get(k) for i in idxs]
        fields = [pa.field(KEY, pa.int64(), nullable=False)] + [
            pa.field(k, _arrow(t)) for k, t in types.items()]
        files[label.lower()] = pa.table(cols, schema=pa.schema(fields))
        nodes_defs.append({
            "label": label,
            "sql": f'SELECT * FROM "{CATALOG}"."{schema}"."{label.lower()}"',
            "primary_key": {"name": KEY, "type": "INT64"},
            "properties": [{"name": k, "type": t} for k, t in types.items()],
        })
    for rtype, idxs in by_type.items():
        types = _property_types([g.rels[i].props for i in idxs], "type")
        cols = {SRC: [g.rels[i].src for i in idxs], DST: [g.rels[i].dst for i in idxs]}
        for k in types:
            cols[k] = [g.rels[i].props.get(k) for i in idxs]
        fields = [pa.field(SRC, pa.int64(), nullable=False),
                  pa.field(DST, pa.int64(), nullable=False)] + [
            pa.field(k, _arrow(t)) for k, t in types.items()]
        name = f"rel_{rtype.lower()}"
        files[name] = pa.table(cols, schema=pa.schema(fields))
        src, dst = ends[rtype]
        edge_defs.append({
            "type": rtype, "from_node": src, "to_node": dst,
            "sql": f'SELECT * FROM "{CATALOG}"."{schema}"."{name}"',
            "from_key": SRC, "to_key": DST,
            "properties": [{"name": k, "type": t} for k, t in types.items()],
        })
    return Tables(nodes_defs, edge_defs, files)


def write(tables: Tables, warehouse: Path, schema: str) -> None:
    """Write the tables as ``warehouse/default_catalog/<schema>/<name>.parquet``."""
    d = warehouse / CATALOG / schema
    d.mkdir(parents=True, exist_ok=True)
    for name, table in tables.files.items():
        pq.write_table(table, d / f"{name}.parquet")

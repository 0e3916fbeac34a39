"""Query results: :class:`QueryResult` and value decoding (API.md §10.6).

Owns turning a ``POST /query`` JSON body into Python values and converting
results to DataFrames, NetworkX graphs, CSV/Parquet files and notebook
displays.  It does not send requests (see :mod:`graph_olap.instance.connection`).

Example:
    >>> r = QueryResult.from_response({"columns": ["name", "age"], "column_types": ["STRING", "INT64"],
    ...     "rows": [["Ann", 31], ["Bob", 40]], "row_count": 2, "execution_time_ms": 3})
    >>> r.to_dicts()
    [{'name': 'Ann', 'age': 31}, {'name': 'Bob', 'age': 40}]
    >>> [row["name"] for row in r]
    ['Ann', 'Bob']
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
from datetime import date
from typing import Any, Dict, Iterator, List, Optional, Sequence

from graph_olap.durations import parse_duration
from graph_olap.timestamps import parse_timestamp

__all__ = ["QueryResult", "decode_value"]

_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def decode_value(value: Any, type_name: Optional[str]) -> Any:
    """Decode one JSON value according to its ``column_types`` entry.

    ``DATE`` → ``date``, ``TIMESTAMP`` → aware ``datetime``, ``INTERVAL`` →
    ``timedelta``, ``BLOB`` → ``bytes``, ``"NaN"``/``"Infinity"`` in float
    columns → ``float``; nodes, relationships, paths and maps stay dicts.

    Example:
        >>> decode_value("2024-01-31", "DATE")
        datetime.date(2024, 1, 31)
        >>> decode_value("NaN", "DOUBLE") != decode_value("NaN", "DOUBLE")
        True
        >>> decode_value([1, 2], "LIST<INT64>")
        [1, 2]
    """
    if value is None or not type_name:
        return value
    t = type_name.upper()
    try:
        if t in ("DOUBLE", "FLOAT") and isinstance(value, str):
            return _FLOATS.get(value, value)
        if t == "DATE" and isinstance(value, str):
            return date.fromisoformat(value)
        if t == "TIMESTAMP" and isinstance(value, str):
            return parse_timestamp(value)
        if t == "INTERVAL" and isinstance(value, str):
            return parse_duration(value)
        if t == "BLOB" and isinstance(value, str):
            return base64.b64decode(value)
        if t.startswith("LIST<") and isinstance(value, list):
            inner = t[5:-1]
            return [decode_value(v, inner) for v in value]
    except (ValueError, TypeError):
        return value
    return value


def _is_node(v: Any) -> bool:
    return isinstance(v, dict) and "_id" in v and "_label" in v


def _is_rel(v: Any) -> bool:
    return isinstance(v, dict) and "_type" in v and "_src" in v and "_dst" in v


def _is_path(v: Any) -> bool:
    return isinstance(v, dict) and "_nodes" in v and "_rels" in v


class QueryResult:
    """Result of a Cypher query.

    Attributes:
        columns: column names.
        column_types: one type name per column (``STRING``, ``INT64``, ``NODE`` …).
        rows: decoded rows (lists in column order).
        row_count: number of rows returned.
        execution_time_ms: server-side time.
        truncated: ``True`` when ``max_rows`` cut the result.

    Iterating yields one ``dict`` per row.

    Example:
        >>> r = QueryResult(["n"], ["INT64"], [[5]])
        >>> r.scalar(), len(r), r.truncated
        (5, 1, False)
    """

    def __init__(
        self,
        columns: Sequence[str],
        column_types: Optional[Sequence[str]] = None,
        rows: Optional[Sequence[Sequence[Any]]] = None,
        *,
        row_count: Optional[int] = None,
        execution_time_ms: Optional[int] = None,
        truncated: bool = False,
        query: Optional[str] = None,
    ) -> None:
        self.columns: List[str] = list(columns)
        self.column_types: List[str] = list(column_types or ["ANY"] * len(self.columns))
        self.rows: List[List[Any]] = [list(r) for r in rows or []]
        self.row_count = len(self.rows) if row_count is None else int(row_count)
        self.execution_time_ms = execution_time_ms
        self.truncated = bool(truncated)
        self.query = query

    @classmethod
    def from_response(cls, body: Dict[str, Any], *, query: Optional[str] = None,
                      decode: bool = True) -> QueryResult:
        """Build from the instance API's JSON body.

        Example:
            >>> QueryResult.from_response({"columns": ["d"], "column_types": ["DATE"],
            ...                            "rows": [["2024-01-02"]]}).scalar()
            datetime.date(2024, 1, 2)
        """
        columns = body.get("columns") or []
        types = body.get("column_types") or ["ANY"] * len(columns)
        rows = body.get("rows") or []
        if rows and isinstance(rows[0], dict):  # tolerate row objects
            rows = [[r.get(c) for c in columns] for r in rows]
        if decode:
            rows = [[decode_value(v, t) for v, t in zip(row, types)] for row in rows]
        return cls(columns, types, rows, row_count=body.get("row_count"),
                   execution_time_ms=body.get("execution_time_ms"),
                   truncated=bool(body.get("truncated", False)), query=query)

    @classmethod
    def from_api_response(cls, data: Dict[str, Any], coerce_types: bool = True) -> QueryResult:
        """Build from the instance API's JSON body (``coerce_types=False`` keeps raw JSON values).

        Example:
            >>> QueryResult.from_api_response({"columns": ["n"], "rows": [[1]], "row_count": 1}).rows
            [[1]]
        """
        return cls.from_response(data, decode=coerce_types)

    # ----------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        for row in self.rows:
            yield dict(zip(self.columns, row))

    def __getitem__(self, index: int) -> Dict[str, Any]:
        return dict(zip(self.columns, self.rows[index]))

    def __bool__(self) -> bool:
        return bool(self.rows)

    def to_dicts(self) -> List[Dict[str, Any]]:
        """Rows as a list of dicts."""
        return list(self)

    def to_list_of_dicts(self) -> List[Dict[str, Any]]:
        """Rows as a list of dicts (same as :meth:`to_dicts`).

        Example:
            >>> QueryResult(["a"], None, [[1], [2]]).to_list_of_dicts()
            [{'a': 1}, {'a': 2}]
        """
        return self.to_dicts()

    def column(self, name: str) -> List[Any]:
        """All values of one column.

        Example:
            >>> QueryResult(["a", "b"], None, [[1, 2], [3, 4]]).column("b")
            [2, 4]
        """
        idx = self.columns.index(name)
        return [row[idx] for row in self.rows]

    def scalar(self) -> Any:
        """The first column of the first row (``None`` for an empty result)."""
        if not self.rows or not self.columns:
            return None
        return self.rows[0][0]

    def first(self) -> Optional[Dict[str, Any]]:
        """The first row as a dict, or ``None``."""
        return self[0] if self.rows else None

    # ----------------------------------------------------------- dataframes
    def _frame_columns(self) -> Dict[str, List[Any]]:
        data: Dict[str, List[Any]] = {}
        for i, (name, t) in enumerate(zip(self.columns, self.column_types)):
            values = [row[i] for row in self.rows]
            if t.upper() in ("NODE", "REL", "PATH", "MAP", "ANY") or any(
                    isinstance(v, dict) for v in values):
                values = [json.dumps(v, default=str) if isinstance(v, (dict, list)) else v
                          for v in values]
                if t.upper() == "ANY":
                    values = [None if v is None else str(v) for v in values]
            data[name] = values
        return data

    def to_polars(self) -> Any:
        """Result as a ``polars.DataFrame`` (node/relationship values as JSON text).

        Example:
            >>> QueryResult(["a"], ["INT64"], [[1], [2]]).to_polars().shape
            (2, 1)
        """
        import polars as pl

        data = self._frame_columns()
        try:
            return pl.DataFrame(data, strict=False)
        except TypeError:  # older polars without ``strict``
            return pl.DataFrame(data)

    def to_pandas(self) -> Any:
        """Result as a ``pandas.DataFrame`` (node/relationship values stay dicts).

        Example:
            >>> QueryResult(["a"], ["INT64"], [[1], [2]]).to_pandas()["a"].tolist()
            [1, 2]
        """
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def to_df(self, backend: str = "polars") -> Any:
        """``to_polars()`` or ``to_pandas()``."""
        return self.to_pandas() if backend == "pandas" else self.to_polars()

    def to_arrow(self) -> Any:
        """Result as a ``pyarrow.Table``."""
        import pyarrow as pa

        return pa.table(self._frame_columns())

    # ------------------------------------------------------------- files
    def to_csv(self, path: Any) -> None:
        """Write the result as CSV with a header row (complex values as JSON).

        Example:
            >>> import tempfile, os
            >>> p = os.path.join(tempfile.mkdtemp(), "r.csv")
            >>> QueryResult(["a"], ["INT64"], [[1]]).to_csv(p); open(p).read().split()
            ['a', '1']
        """
        data = self._frame_columns()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.columns)
            for i in range(len(self.rows)):
                writer.writerow(["" if data[c][i] is None else data[c][i] for c in self.columns])

    def to_parquet(self, path: Any) -> None:
        """Write the result as Parquet (requires pyarrow)."""
        import pyarrow.parquet as pq

        pq.write_table(self.to_arrow(), str(path))

    # ---------------------------------------------------------- networkx
    def nodes(self) -> List[Dict[str, Any]]:
        """Distinct node objects found anywhere in the result (incl. inside paths)."""
        seen: Dict[Any, Dict[str, Any]] = {}
        for v in self._walk():
            if _is_node(v):
                seen.setdefault(v["_id"], v)
        return list(seen.values())

    def relationships(self) -> List[Dict[str, Any]]:
        """Distinct relationship objects found anywhere in the result."""
        seen: Dict[Any, Dict[str, Any]] = {}
        for v in self._walk():
            if _is_rel(v):
                seen.setdefault(v["_id"], v)
        return list(seen.values())

    def _walk(self) -> Iterator[Any]:
        stack: List[Any] = [v for row in self.rows for v in row]
        while stack:
            v = stack.pop(0)
            if _is_path(v):
                stack.extend(v["_nodes"])
                stack.extend(v["_rels"])
            elif isinstance(v, list):
                stack.extend(v)
            yield v

    def to_networkx(self, *, directed: bool = True) -> Any:
        """Build a NetworkX graph from the nodes, relationships and paths returned.

        Nodes are keyed by ``_id`` with their properties (``label`` attribute =
        ``_label``); relationships become edges with ``type`` and properties.
        Relationship endpoints not returned as nodes are added bare.

        Example:
            >>> r = QueryResult(["a", "r", "b"], ["NODE", "REL", "NODE"], [[
            ...     {"_id": 1, "_label": "C", "id": "x"},
            ...     {"_id": 9, "_type": "R", "_src": 1, "_dst": 2},
            ...     {"_id": 2, "_label": "C", "id": "y"}]])
            >>> g = r.to_networkx()
            >>> sorted(g.nodes), list(g.edges)
            ([1, 2], [(1, 2, 9)])
        """
        import networkx as nx

        g = nx.MultiDiGraph() if directed else nx.MultiGraph()
        for n in self.nodes():
            attrs = {k: v for k, v in n.items() if not k.startswith("_")}
            g.add_node(n["_id"], label=n.get("_label"), **attrs)
        for r in self.relationships():
            attrs = {k: v for k, v in r.items() if not k.startswith("_")}
            g.add_edge(r["_src"], r["_dst"], key=r["_id"], type=r.get("_type"), **attrs)
        return g

    # ---------------------------------------------------------- display
    def visualize(self, **kwargs: Any) -> Any:
        """Draw the graph contained in the result (see :func:`graph_olap.viz.show_graph`)."""
        from graph_olap.viz import show_graph

        return show_graph(self, **kwargs)

    def plot(self, column: Optional[str] = None, **kwargs: Any) -> Any:
        """Chart a numeric column: its distribution, value counts or a bar per category.

        See :func:`graph_olap.viz.plot_result` for the options (``by=``, ``kind=``, ``log=``);
        returns the matplotlib axes.
        """
        from graph_olap.viz import plot_result

        return plot_result(self, column, **kwargs)

    def show(self, max_rows: int = 50) -> None:
        """Display the result: interactive table (itables) or HTML in Jupyter, text elsewhere."""
        from graph_olap.display import show_table

        show_table(self, max_rows=max_rows)

    def _text_table(self, max_rows: int = 20, width: int = 30) -> str:
        def cell(v: Any) -> str:
            s = "null" if v is None else (json.dumps(v, default=str)
                                          if isinstance(v, (dict, list)) else str(v))
            return s if len(s) <= width else s[: width - 1] + "…"

        shown = [[cell(v) for v in row] for row in self.rows[:max_rows]]
        widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(self.columns)]
        line = " | ".join(c.ljust(w) for c, w in zip(self.columns, widths))
        out = [line, "-+-".join("-" * w for w in widths)]
        out += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in shown]
        if len(self.rows) > max_rows:
            out.append(f"… {len(self.rows) - max_rows} more rows")
        return "\n".join(out)

    def __repr__(self) -> str:
        flag = ", truncated" if self.truncated else ""
        return (f"QueryResult(columns={self.columns!r}, rows={len(self.rows)}"
                f"{flag}, execution_time_ms={self.execution_time_ms})")

    def __str__(self) -> str:
        return self._text_table()

    def _repr_html_(self, max_rows: int = 50) -> str:
        head = "".join(f"<th>{html.escape(c)}<div class='go-muted'>{html.escape(t)}</div></th>"
                       for c, t in zip(self.columns, self.column_types))
        body = []
        for row in self.rows[:max_rows]:
            cells = []
            for v in row:
                text = "null" if v is None else (json.dumps(v, default=str)
                                                 if isinstance(v, (dict, list)) else str(v))
                cells.append(f"<td>{html.escape(text[:200])}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        more = (f"showing {max_rows} of {len(self.rows)} rows" if len(self.rows) > max_rows
                else f"{len(self.rows)} rows")
        extra = " · truncated by max_rows" if self.truncated else ""
        ms = f" · {self.execution_time_ms} ms" if self.execution_time_ms is not None else ""
        return (f"<div class='graph-olap'><table class='go-table'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table><div class='go-muted'>{more}{ms}{extra}"
                "</div></div>")

"""Query results: decoding, conversions, and the Arrow path of ``query_df`` (API.md §10.6)."""

from __future__ import annotations

import io
import math
from datetime import date, timedelta

import pytest

from graph_olap.config import Config
from graph_olap.instance.connection import ARROW_STREAM, InstanceConnection
from graph_olap.instance.result import QueryResult

from .scripted_server import ScriptedServer

BODY = {
    "columns": ["c", "r", "d", "when", "score", "since", "blob", "tags"],
    "column_types": ["NODE", "REL", "NODE", "TIMESTAMP", "DOUBLE", "DATE", "BLOB",
                     "LIST<STRING>"],
    "rows": [[
        {"_id": 1, "_label": "Customer", "id": "C1", "bk_sectr": "P"},
        {"_id": 10, "_type": "SHARES_ACCOUNT", "_src": 1, "_dst": 2},
        {"_id": 2, "_label": "Customer", "id": "C2", "bk_sectr": "C"},
        "2024-01-31T10:30:00.123456Z", "NaN", "2024-01-31", "aGk=", ["a", "b"]]],
    "row_count": 1, "execution_time_ms": 4, "truncated": False,
}


def test_decoding() -> None:
    r = QueryResult.from_response(BODY)
    row = r[0]
    assert row["when"].microsecond == 123456
    assert math.isnan(row["score"])
    assert row["since"] == date(2024, 1, 31)
    assert row["blob"] == b"hi"
    assert row["tags"] == ["a", "b"]
    assert QueryResult.from_response({"columns": ["i"], "column_types": ["INTERVAL"],
                                      "rows": [["PT1H"]]}).scalar() == timedelta(hours=1)


def test_networkx_and_frames(tmp_path) -> None:
    r = QueryResult.from_response(BODY)
    g = r.to_networkx()
    assert g.nodes[1]["bk_sectr"] == "P" and g.nodes[1]["label"] == "Customer"
    assert list(g.edges(keys=True, data="type")) == [(1, 2, 10, "SHARES_ACCOUNT")]
    df = r.to_polars()
    assert df.shape == (1, 8)
    assert '"_label": "Customer"' in df["c"][0]
    pdf = r.to_pandas()
    assert pdf["c"][0]["id"] == "C1"
    r.to_csv(tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text().splitlines()[0].startswith("c,r,d,when")
    r.to_parquet(tmp_path / "r.parquet")
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "r.parquet").num_rows == 1


def test_paths_are_walked() -> None:
    r = QueryResult(["p"], ["PATH"], [[{"_nodes": [{"_id": 1, "_label": "A"},
                                                   {"_id": 2, "_label": "A"}],
                                        "_rels": [{"_id": 5, "_type": "R", "_src": 1,
                                                   "_dst": 2}]}]])
    assert len(r.nodes()) == 2 and len(r.relationships()) == 1
    from graph_olap.viz import show_graph

    view = show_graph(r, backend="html")
    assert view.node_count == 2 and "<svg" in view._repr_html_()


def test_text_rendering() -> None:
    r = QueryResult(["name", "n"], ["STRING", "INT64"], [["Ann", 1], [None, 2]])
    text = str(r)
    assert "name" in text and "null" in text
    assert "<table" in r._repr_html_()


def _arrow_bytes() -> bytes:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    table = pa.table({"id": ["C1", "C2"], "n": pa.array([3, 4], pa.int64())})
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


@pytest.fixture
def conn(server: ScriptedServer):
    c = InstanceConnection(server.url + "/wrapper/slug",
                           config=Config(username="analyst_alice@e2e.local"))
    yield c
    c.close()


def test_query_df_uses_arrow_stream(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(200, _arrow_bytes(), {"Content-Type": ARROW_STREAM,
                                     "X-Graph-Olap-Row-Count": "2"})
    df = conn.query_df("MATCH (c) RETURN c.id AS id, 3 AS n")
    assert df.columns == ["id", "n"] and df["n"].to_list() == [3, 4]
    req = server.requests[0]
    assert req.path == "/wrapper/slug/query"
    assert ARROW_STREAM in req.headers["accept"]
    assert req.json()["query"].startswith("MATCH")
    server.add(200, _arrow_bytes(), {"Content-Type": ARROW_STREAM})
    pdf = conn.query_df("MATCH (c) RETURN c.id AS id", backend="pandas")
    assert list(pdf["id"]) == ["C1", "C2"]


def test_query_arrow_is_a_view_of_the_response_body(server: ScriptedServer,
                                                    conn: InstanceConnection) -> None:
    """No copy between the Arrow stream and the table: every buffer of every column lies inside
    the one response body (several record batches, strings, integers, floats and nulls), and
    Arrow's memory pool allocates nothing. (Reading the stream from a file object would give one
    root buffer per message; concatenating chunks would allocate from the pool.)"""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    n = 150_000  # three record batches of at most 65,536 rows, as the instance sends them
    source = pa.table({"id": [f"C{i:06d}" for i in range(n)], "k": pa.array(range(n), pa.int64()),
                       "pr": pa.array([None if i % 7 == 0 else i / n for i in range(n)])})
    sink = io.BytesIO()
    with ipc.new_stream(sink, source.schema) as writer:
        writer.write_table(source, max_chunksize=65_536)
    body = sink.getvalue()
    server.add(200, body, {"Content-Type": ARROW_STREAM})
    allocated = pa.total_allocated_bytes()
    table = conn.query_arrow("MATCH (c:Customer) RETURN c.id AS id, c.k AS k, c.pr AS pr")
    assert pa.total_allocated_bytes() == allocated  # Arrow's memory pool gave nothing to the table
    assert table.equals(source) and table.column("k").num_chunks == 3
    buffers = [b for column in table.columns for chunk in column.chunks for b in chunk.buffers()
               if b is not None and b.size > 0]

    def root(buffer: pa.Buffer) -> pa.Buffer:
        while buffer.parent is not None:  # a slice of a record batch, itself a slice of the body
            buffer = buffer.parent
        return buffer

    roots = {(root(b).address, root(b).size) for b in buffers}
    assert len(roots) == 1 and next(iter(roots))[1] == len(body)
    start, size = next(iter(roots))
    assert all(start <= b.address and b.address + b.size <= start + size for b in buffers)
    # polars and pandas take the same table (query_df), so they see the same values.
    server.add(200, body, {"Content-Type": ARROW_STREAM})
    frame = conn.query_df("MATCH (c:Customer) RETURN c.id AS id, c.k AS k, c.pr AS pr")
    assert frame.shape == (n, 3) and frame["pr"].null_count() == len(range(0, n, 7))
    assert frame["k"].n_chunks() == 3  # polars kept the record batches rather than copy them into one
    server.add(200, body, {"Content-Type": ARROW_STREAM})
    pdf = conn.query_df("MATCH (c:Customer) RETURN c.id AS id, c.k AS k", backend="pandas")
    assert int(pdf["k"].sum()) == n * (n - 1) // 2 and pdf["id"].iloc[-1] == f"C{n - 1:06d}"


def test_query_df_json_fallback(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(200, {"columns": ["x"], "column_types": ["INT64"], "rows": [[1]],
                     "row_count": 1, "execution_time_ms": 1, "truncated": False})
    assert conn.query_df("RETURN 1 AS x")["x"].to_list() == [1]


def test_query_and_lock(server: ScriptedServer, conn: InstanceConnection) -> None:
    server.add(200, {"columns": ["n"], "column_types": ["INT64"], "rows": [[42]],
                     "row_count": 1, "execution_time_ms": 1, "truncated": False})
    assert conn.query_scalar("MATCH (n) RETURN count(n) AS n", {"a": 1}, b=2) == 42
    assert server.requests[0].json()["parameters"] == {"a": 1, "b": 2}
    server.add(200, {"lock": {"locked": False, "holder_id": None}})
    assert conn.get_lock().locked is False

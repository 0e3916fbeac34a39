"""The picture checks that the example notebooks are held to (``tests/pictures.py``), on a
notebook executed in a real kernel without a platform: graph views from NetworkX, a chart of a
query result, and the HTML export rendered in headless Chromium from the static fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pictures import check_exported_views, check_pictures

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("anywidget")
pytest.importorskip("matplotlib")
pytest.importorskip("nbconvert")


def cell(source: str, *tags: str) -> Any:
    made = nbformat.v4.new_code_cell(source)
    if tags:
        made.metadata["tags"] = list(tags)
    return made


def executed(*cells: Any) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    return nb


SETUP = ("%matplotlib inline\nimport networkx as nx\nfrom graph_olap.widget import GraphView\n"
         "from graph_olap.instance.result import QueryResult\n"
         "karate = nx.karate_club_graph()\n"
         "nx.set_node_attributes(karate, nx.degree_centrality(karate), 'pr')")


def test_views_and_charts_are_checked_and_the_export_renders(tmp_path: Path) -> None:
    nb = executed(
        cell(SETUP),
        cell("GraphView(karate, color_by='club', size_by='pr', height=300)", "picture:graph"),
        cell("GraphView(nx.path_graph(5), height=200)", "picture:graph"),
        cell("QueryResult(['pr'], ['DOUBLE'], [[v] for v in nx.degree_centrality(karate).values()])"
             ".plot('pr', log=True);", "picture:chart"),
        cell("QueryResult(['a', 'r', 'b'], ['NODE', 'REL', 'NODE'], [[{'_id': 1, '_label': 'C'},"
             " {'_id': 9, '_type': 'R', '_src': 1, '_dst': 2}, {'_id': 2, '_label': 'C'}]]).visualize()",
             "picture:graph"))
    views = check_pictures(nb)
    assert [(v.cell, v.nodes, v.edges) for v in views] == [(1, 34, 78), (2, 5, 4), (4, 2, 1)]
    assert views[0].colours == 2 and views[0].sizes > 10  # two clubs; sizes by degree centrality
    assert views[1].ids == ["0", "1", "2", "3", "4"]
    check_exported_views(nb, tmp_path, "pictures-unit", [34, 5, 2])


def test_a_picture_cell_without_its_picture_fails() -> None:
    nb = executed(cell(SETUP), cell("print('no view here')", "picture:graph"))
    with pytest.raises(AssertionError, match="expected one graph view"):
        check_pictures(nb)
    nb = executed(cell("1 + 1", "picture:chart"))
    with pytest.raises(AssertionError, match="expected one chart"):
        check_pictures(nb)

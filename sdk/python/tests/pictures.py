"""What a reader of an executed notebook sees, checked: its graph views and its charts.

Cells tagged ``picture:graph`` must show a graph view — the widget (whose saved state holds the
nodes and relationships) and, in the same output, the static rendering for viewers without
widgets, both of the same graph. Cells tagged ``picture:chart`` must show a PNG chart. The
exported HTML (no widget state, as JupyterLab saves by default) is rendered in headless Chromium,
where every view must draw its graph; screenshots go to ``$GRAPH_OLAP_TEST_ARTEFACTS``.
"""

from __future__ import annotations

import base64
import copy
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import pytest

from graph_olap.widget._chromium import Chromium, find_chromium

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SUMMARY = re.compile(r"go-gv-summary[^>]*>([\d,]+) nodes · ([\d,]+) relationships")
ARTEFACTS = Path(os.environ.get("GRAPH_OLAP_TEST_ARTEFACTS",
                                os.path.join(tempfile.gettempdir(), "graph-olap-artefacts")))
ROOTS = "[...document.querySelectorAll('.go-gv')]"


@dataclass
class ViewOutput:
    """One graph view as the notebook holds it."""

    cell: int
    nodes: int
    edges: int
    ids: List[str]
    colours: int
    sizes: int


def _displays(cell: Any) -> List[Dict[str, Any]]:
    return [o["data"] for o in cell.outputs if o.output_type in ("display_data", "execute_result")]


def _view(index: int, cell: Any, states: Dict[str, Any]) -> ViewOutput:
    shown = [d for d in _displays(cell) if WIDGET_VIEW in d and "text/html" in d]
    assert len(shown) == 1, f"cell {index}: expected one graph view, got outputs {cell.outputs}"
    found = SUMMARY.search(shown[0]["text/html"])
    assert found, f"cell {index}: the static rendering has no summary"
    nodes, edges = (int(g.replace(",", "")) for g in found.groups())
    state = states[shown[0][WIDGET_VIEW]["model_id"]]["state"]
    assert (len(state["nodes"]), len(state["edges"])) == (nodes, edges), f"cell {index}"
    return ViewOutput(index, nodes, edges, [n["id"] for n in state["nodes"]][:20],
                      len({n["color"] for n in state["nodes"]}),
                      len({n["size"] for n in state["nodes"]}))


def _chart(index: int, cell: Any) -> None:
    pngs = [base64.b64decode(d["image/png"]) for d in _displays(cell) if "image/png" in d]
    assert len(pngs) == 1, f"cell {index}: expected one chart, got outputs {cell.outputs}"
    assert pngs[0][:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", pngs[0][16:24])
    assert width >= 300 and height >= 150, f"cell {index}: chart of {width}x{height}"


def check_pictures(nb: Any) -> List[ViewOutput]:
    """Check every tagged cell's picture; returns the graph views in cell order."""
    states = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    views, charts = [], 0
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        assert not any(e.output_type == "error" for e in cell.get("outputs", []))
        if "picture:graph" in tags:
            views.append(_view(index, cell, states))
        elif "picture:chart" in tags:
            _chart(index, cell)
            charts += 1
    assert views or charts, "no cell tagged picture:graph or picture:chart"
    return views


def check_exported_views(nb: Any, tmp_path: Path, name: str, expected_nodes: List[int]) -> None:
    """The notebook exported to HTML without widget state: scrolled to, each view draws in headless
    Chromium from its static rendering, no WebGL context is lost, and each is kept as a screenshot."""
    if find_chromium() is None:
        pytest.skip("pictures checked; the HTML export is not rendered: no Chromium "
                    "(apt-get install chromium)")
    from nbconvert import HTMLExporter

    exported = copy.deepcopy(nb)
    exported.metadata.pop("widgets", None)
    body, _ = HTMLExporter().from_notebook_node(exported)
    page_path = tmp_path / f"{name}.html"
    page_path.write_text(body, encoding="utf-8")
    with Chromium(timeout=60) as browser:
        page = browser.open(page_path.as_uri(), width=1100, height=900)
        page.wait_for(f"{ROOTS}.length === {len(expected_nodes)}", timeout=60)
        assert page.evaluate(f"{ROOTS}.map(e => Number(e.dataset.nodeCount))") == expected_nodes
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        for i in range(len(expected_nodes)):  # as a reader scrolls: views draw when on screen
            page.evaluate(f"{ROOTS}[{i}].scrollIntoView(); 0")
            page.wait_for(f"{ROOTS}[{i}].dataset.rendered === '1' && {ROOTS}[{i}].dataset.live === '1'"
                          f" && {ROOTS}[{i}].dataset.layout === 'stopped'", timeout=120)
            lost = page.evaluate(f"{ROOTS}.flatMap(e => Object.values(e.__graphOlap.renderer?.webGLContexts"
                                 " || {})).filter(g => g.isContextLost()).length")
            assert lost == 0, f"WebGL contexts lost with view {i} on screen"
            (ARTEFACTS / f"{name}-view-{i}.png").write_bytes(page.screenshot())
        assert page.errors() == []

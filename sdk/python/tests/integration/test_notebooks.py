"""Execute the example notebooks and the ops tutorials (seeds 000/001) with nbclient.

Each notebook runs in a kernel whose environment points ``GRAPH_OLAP_API_URL`` at a
platform started for that notebook (tutorials change global state such as job
rate limits, so they get a fresh platform each). Every code cell must have run; the gallery's
pictures are checked one by one (``check_pictures``) and its HTML export is rendered in
headless Chromium, where every graph view must show from the static fallback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.pictures import check_exported_views, check_pictures

from .conftest import Platform

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def run_notebook(path: Path, env: Dict[str, str], timeout: int = 900) -> Any:
    """Execute the notebook (a failing cell fails the test) and return it with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is None]
    assert not unrun, f"{path.name}: cells {unrun} did not run"
    return nb


def _env(platform: Platform, **extra: str) -> Dict[str, str]:
    env = {"GRAPH_OLAP_API_URL": platform.url}
    env.update(extra)
    return env


@pytest.mark.parametrize("name", ["tutorials/platform_configuration.ipynb",
                                  "tutorials/ops_reference.ipynb"])
def test_ops_tutorials_run_unmodified(fresh_platform: Platform, name: str) -> None:
    # The tutorials never use `conn`; skip instance provisioning so they also run
    # on platforms without instance support.
    run_notebook(EXAMPLES / name, _env(fresh_platform, GRAPH_OLAP_PROVISION_INSTANCE="0"))


@pytest.mark.parametrize("name", ["ops.ipynb", "mappings.ipynb"])
def test_examples_without_instances(fresh_platform: Platform, name: str) -> None:
    run_notebook(EXAMPLES / name, _env(fresh_platform))


@pytest.mark.needs_instances
@pytest.mark.parametrize("name,views", [("basic_workflow.ipynb", 1), ("algorithms.ipynb", 0)])
def test_examples_with_instances(platform: Platform, name: str, views: int) -> None:
    nb = run_notebook(EXAMPLES / name, _env(platform))
    if views:
        shown = check_pictures(nb)
        assert len(shown) == views and all(v.nodes > 1 and v.edges > 0 for v in shown)


@pytest.mark.needs_instances
def test_gallery_shows_every_picture(platform: Platform, tmp_path: Path) -> None:
    nb = run_notebook(EXAMPLES / "gallery.ipynb", _env(platform))
    views = check_pictures(nb)
    # In order: the bank-graph mapping's schema, the instance's, a query result, a neighbourhood,
    # a NetworkX graph.
    assert [(v.nodes, v.edges) for v in views[:2]] == [(2, 2), (1, 1)]
    assert views[0].ids == ["Customer", "Account"] and views[1].ids == ["Customer"]
    assert len(views) == 5
    for view in (views[2], views[4]):  # many customers: several communities, PageRank/betweenness
        assert view.nodes > 10 and view.edges > 0
        assert view.colours > 1 and view.sizes > 1
    assert views[3].nodes > 1 and views[3].edges > 0  # the hub's neighbourhood
    check_exported_views(nb, tmp_path, "gallery", [v.nodes for v in views])


@pytest.mark.needs_instances
def test_tutorial_provisioning_with_instance(platform: Platform) -> None:
    from graph_olap.notebook_setup import provision

    personas, conn = provision("tutorial-user@e2e.local", api_url=platform.url,
                               require_instance=True, show_progress=False)
    assert conn is not None
    assert conn.query_scalar("MATCH (c:Customer) RETURN count(c)") > 0
    _again, conn2 = provision("tutorial-user@e2e.local", api_url=platform.url,
                             require_instance=True, show_progress=False)
    assert conn2 is not None and conn2.instance_id == conn.instance_id  # found, not recreated
    assert set(personas) >= {"analyst", "admin", "ops", "user"}

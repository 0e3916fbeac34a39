"""Execute the example notebooks and the ops tutorials (seeds 000/001) with nbclient.

Each notebook runs in a kernel whose environment points ``GRAPH_OLAP_API_URL`` at a
platform started for that notebook (tutorials change global state such as job
rate limits, so they get a fresh platform each).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import pytest

from .conftest import Platform

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def run_notebook(path: Path, env: Dict[str, str], timeout: int = 900) -> None:
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
@pytest.mark.parametrize("name", ["basic_workflow.ipynb", "algorithms.ipynb"])
def test_examples_with_instances(platform: Platform, name: str) -> None:
    run_notebook(EXAMPLES / name, _env(platform))


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

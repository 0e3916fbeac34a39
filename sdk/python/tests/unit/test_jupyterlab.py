"""The graph view inside real Jupyter front ends: a ``jupyter lab`` server (JupyterLab 4 and
Notebook 7, which share the widget manager) driven by headless Chromium through the app's own
commands. The notebook's cell shows a view; the widget (not the static fallback) must render
with every node, and expanding a node must go page → kernel → page through the comm.

Skips without Chromium or without ``jupyterlab``/``notebook`` (``pip install ".[all,test]"``).
Screenshots go to ``$GRAPH_OLAP_TEST_ARTEFACTS``."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Tuple

import httpx
import pytest

from graph_olap.widget._chromium import Chromium, find_chromium

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("jupyterlab")
pytest.importorskip("notebook")
pytest.importorskip("anywidget")
pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="Chromium not installed (apt-get install chromium)")

ARTEFACTS = Path(os.environ.get("GRAPH_OLAP_TEST_ARTEFACTS",
                                os.path.join(tempfile.gettempdir(), "graph-olap-artefacts")))
CELL = """import networkx as nx
from graph_olap.widget import GraphView

def neighbours(node):  # what a connection would fetch: three new nodes around the one clicked
    return nx.Graph([(int(node.key), 1000 + k) for k in range(3)])

GraphView(nx.karate_club_graph(), color_by="club", size_by="degree", height=350, expand=neighbours)"""
# Views rendered by the widget, not the static fallback that sits in the same output.
WIDGET_VIEWS = "[...document.querySelectorAll('.go-gv')].filter(e => !e.closest('.go-gv-static'))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, Path]]:
    """A Jupyter server (JupyterLab and Notebook 7) on a free port, state kept in a temp dir."""
    root = tmp_path_factory.mktemp("jupyter")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(root / "view.ipynb"))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".config"),
           "JUPYTER_RUNTIME_DIR": str(root / ".runtime"), "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces")}
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (root / "server.log").read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{url}/api/status?token={token}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "jupyter server did not start"
            time.sleep(0.3)
        yield f"{url}/{{path}}?token={token}", root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.parametrize("front_end,path", [("jupyterlab", "lab/tree/view.ipynb"),
                                            ("notebook7", "notebooks/view.ipynb")])
def test_widget_renders_and_expands_in_the_front_end(server: Tuple[str, Path], front_end: str,
                                                     path: str) -> None:
    url, _root = server
    with Chromium(timeout=120) as browser:
        page = browser.open(url.format(path=path), width=1200, height=900)
        page.wait_for("globalThis.jupyterapp && jupyterapp.shell.currentWidget"
                      " && jupyterapp.shell.currentWidget.sessionContext"
                      " && jupyterapp.shell.currentWidget.sessionContext.session"
                      " && jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                      " && jupyterapp.shell.currentWidget.sessionContext.session.kernel.connectionStatus"
                      " === 'connected'", timeout=240)
        page.evaluate("jupyterapp.commands.execute('notebook:run-all-cells').then(() => 0)", timeout=120)
        page.wait_for(f"{WIDGET_VIEWS}.length === 1 && {WIDGET_VIEWS}[0].dataset.rendered === '1'",
                      timeout=240)
        view = f"{WIDGET_VIEWS}[0]"
        assert page.evaluate(f"[{view}.dataset.nodeCount, {view}.dataset.edgeCount]") == ["34", "78"]
        # The static fallback is in the output too, but JupyterLab shows the widget only.
        assert page.evaluate("document.querySelectorAll('.go-gv-static .go-gv').length") == 0
        # What a click does: the page asks the kernel, which expands and syncs the new state.
        assert page.evaluate(f"{view}.__graphOlap.expand('0')") is True
        page.wait_for(f"{view}.dataset.nodeCount === '37' && {view}.dataset.expanded === '1'", timeout=120)
        assert page.evaluate(f"{view}.__graphOlap.graph.neighbors('0').includes('1000')") is True
        page.wait_for(f"{view}.dataset.layout === 'stopped'", timeout=60)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTS / f"{front_end}-widget.png").write_bytes(page.screenshot())
        errors = [e for e in page.errors() if "graph" in e.lower() or "go-gv" in e]
        assert errors == []

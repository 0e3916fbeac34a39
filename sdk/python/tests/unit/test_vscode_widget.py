"""The graph view in VS Code's notebook widget renderer, as closely as it can run without VS Code.

VS Code's Jupyter extension (on neither npm nor PyPI, so not installable here) renders widget
outputs in a webview with three parts that are published on npm: requirejs, the ipywidgets 8
manager bundle ``@vscode/jupyter-ipywidgets8`` (its ``WidgetManager``, which ``define``s
``@jupyter-widgets/*`` for requirejs), and a ``@jupyterlab/services`` kernel connection whose web
socket posts every wire message to the extension host, which relays it to the kernel. Third-party
widget modules (``anywidget``) are looked up by the extension host in the kernel environment's
``nbextensions`` folder and registered in requirejs.

This test runs those published parts in headless Chromium (``@vscode/jupyter-ipywidgets8`` 1.0.9,
``@jupyterlab/services`` 7.5.1 as pinned by vscode-jupyter's lockfile, requirejs 2.3.8; pinned in
``vscode_host/package.json``, ``vscode_host/host.js`` is the webview glue) and plays the extension
host itself: a real ipykernel executes the cell, and every wire message between kernel and page
goes through the test as JSON text, as it goes through VS Code's ``postMessage``. So the widget's
model is opened by the kernel's real ``comm_open``, its class is loaded from anywidget's real AMD
module through requirejs, the output is rendered the way VS Code's renderer does, the widget's
Layout view updating the element does not collapse it, and a mouse click's ``expand`` message
travels page → comm → kernel → page.

Not covered: VS Code's own code (its webview glue and extension-host relay are written here after
reading vscode-jupyter's sources), its CDN fallback for widget scripts, restoring widgets from
saved notebook state, and its mirrored executes / message hooks (which Output widgets need).

npm packages are installed once into ``$GRAPH_OLAP_NPM_CACHE`` (default
``~/.cache/graph-olap/npm``); the test skips without ``npm`` or Chromium, or without
``anywidget``/``ipykernel``/``networkx``. Screenshots go to ``$GRAPH_OLAP_TEST_ARTEFACTS``.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from graph_olap.widget._chromium import Chromium, Page, find_chromium

networkx = pytest.importorskip("networkx")
pytest.importorskip("anywidget")
pytest.importorskip("ipykernel")
jupyter_client = pytest.importorskip("jupyter_client")
pytestmark = [
    pytest.mark.skipif(find_chromium() is None,
                       reason="Chromium not installed (apt-get install chromium)"),
    pytest.mark.skipif(shutil.which("npm") is None,
                       reason="npm not installed (apt-get install npm): the test fetches VS Code's"
                              " widget manager from npm"),
]

HOST = Path(__file__).with_name("vscode_host")
# The widget manager bundle of VS Code's Jupyter extension, fetched as a tarball (its npm
# dependencies are already bundled into dist/ipywidgets.js); integrity as published on npm.
IPYWIDGETS8 = "@vscode/jupyter-ipywidgets8@1.0.9"
IPYWIDGETS8_INTEGRITY = ("sha512-bocCThfa4JDIDd7qCFAfW3HpzHfTLYxOTpTbiDfw4DXOUjKHnr6ObkMBiIkuzYPR"
                         "ybh5bY4FhYLemuDuTvIbpQ==")
ARTEFACTS = Path(os.environ.get("GRAPH_OLAP_TEST_ARTEFACTS",
                                os.path.join(tempfile.gettempdir(), "graph-olap-artefacts")))
CELL = """import networkx as nx
from graph_olap.widget import GraphView

def neighbours(node):  # what a connection would fetch: three new nodes around the one clicked
    return nx.Graph([(int(node.key), 1000 + k) for k in range(3)])

view = GraphView(nx.karate_club_graph(), color_by="club", size_by="degree", height=400, expand=neighbours)
view"""
# The widget's Layout view sets and removes the view element's inline size; it does so when it
# attaches after render (VS Code's manager may load it later), which must not collapse the view.
RESET_LAYOUT = 'view.widget.layout.height = "300px"\nview.widget.layout.height = None'

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
VIEW = "document.querySelector('#output .go-gv')"
CLIENT_ID = "vscode-webview-client"


def npm(args: List[str], cwd: Path) -> str:
    done = subprocess.run(["npm", *args, "--no-audit", "--no-fund", "--fetch-retries=5"], cwd=cwd,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, f"npm {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def front_end() -> Path:
    """The npm parts of VS Code's widget renderer, installed once per package set into a cache."""
    files = ["package.json", "package-lock.json", "services_entry.js"]
    key = hashlib.sha256(IPYWIDGETS8.encode() + b"".join((HOST / f).read_bytes() for f in files))
    root = Path(os.environ.get("GRAPH_OLAP_NPM_CACHE", Path.home() / ".cache" / "graph-olap" / "npm"))
    target = root / f"vscode-widgets-{key.hexdigest()[:16]}"
    if (target / "ready").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vscode-widgets-", dir=root))
    try:
        for f in files:
            shutil.copy(HOST / f, work / f)
        npm(["ci", "--ignore-scripts"], work)
        packed = json.loads(npm(["pack", IPYWIDGETS8, "--json"], work))[0]
        assert packed["integrity"] == IPYWIDGETS8_INTEGRITY, packed["integrity"]
        with tarfile.open(work / packed["filename"]) as tar:
            if hasattr(tarfile, "data_filter"):  # Python ≥ 3.9.17 / 3.10.12 / 3.11.4
                tar.extractall(work / "ipywidgets8", filter="data")
            else:
                tar.extractall(work / "ipywidgets8")  # a pinned, integrity-checked tarball
        esbuild = work / "node_modules" / ".bin" / "esbuild"
        subprocess.run([str(esbuild), "services_entry.js", "--bundle", "--format=iife", "--platform=browser",
                        "--external:ws", "--define:process.env.NODE_ENV=\"production\"",
                        "--outfile=services.js", "--log-level=warning"], cwd=work, check=True, timeout=300)
        (work / "ready").write_text(IPYWIDGETS8 + "\n")
        if not target.exists():
            work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def widget_script_uri(module: str) -> Optional[str]:
    """Where VS Code's extension host finds a widget module for a local kernel: the require
    mapping in ``nbextensions/*/extension.js`` of the kernel environment's Jupyter data dirs."""
    from jupyter_core.paths import jupyter_path

    mapping = re.compile(r"""["']?([@\w][\w@/.-]*)["']?\s*:\s*["'](nbextensions/[^"']+)["']""")
    for data_dir in jupyter_path():
        for entry in sorted(Path(data_dir, "nbextensions").glob("*/extension.js")):
            for name, path in mapping.findall(entry.read_text(encoding="utf-8", errors="replace")):
                script = Path(data_dir, path + ".js")
                if name == module and script.is_file():
                    return script.as_uri()
    return None


class RelayTimeout(AssertionError):
    """What the test waited for did not happen in time."""


class ExtensionHost:
    """The extension host's part: relays kernel wire messages between a kernel client and the page
    (JSON text both ways, the web socket's format) and answers widget script requests."""

    def __init__(self, page: Page, client: Any) -> None:
        self.page = page
        self.client = client
        self.from_page: List[Dict[str, Any]] = []
        self.to_page: List[Dict[str, Any]] = []
        self.scripts: Dict[str, Optional[str]] = {}
        self.sockets = {"shell": client.shell_channel, "control": client.control_channel,
                        "stdin": client.stdin_channel}

    def _page_to_kernel(self) -> int:
        items = self.page.evaluate("vscodeHost.outbox.splice(0)")
        for item in items:
            if item["type"] == "ws":
                msg = json.loads(item["payload"])
                channel = msg.pop("channel")
                assert not msg.pop("buffers", None), "the page sent binary buffers"
                self.from_page.append({**msg, "channel": channel})
                self.client.session.send(self.sockets[channel].socket, msg)
            elif item["type"] == "script-request":
                name = item["payload"]["moduleName"]
                self.scripts[name] = uri = widget_script_uri(name)
                self._deliver({"type": "script-source", "payload": {"moduleName": name, "scriptUri": uri}})
            else:
                raise AssertionError(f"unknown message from the page: {item}")
        return len(items)

    def _kernel_to_page(self) -> int:
        moved = 0
        for name in ("iopub", "shell", "control"):
            channel = getattr(self.client, f"{name}_channel")
            while True:
                try:
                    msg = channel.get_msg(timeout=0)
                except queue.Empty:
                    break
                assert not msg.get("buffers"), f"binary buffers from the kernel: {msg['msg_type']}"
                wire = {k: msg[k] for k in ("header", "parent_header", "metadata", "content")}
                wire.update(channel=name, buffers=[])
                text = json.dumps(wire, default=jupyter_client.jsonutil.json_default)
                self.to_page.append(json.loads(text))
                self._deliver({"type": "ws", "payload": text})
                moved += 1
        return moved

    def _deliver(self, message: Dict[str, Any]) -> None:
        self.page.evaluate(f"vscodeHost.receive({json.dumps(message)})")

    def pump(self, until: Callable[[], Any], timeout: float, what: str) -> Any:
        """Relay both ways until ``until()`` is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            moved = self._page_to_kernel() + self._kernel_to_page()
            value = until()
            if value:
                return value
            error = self.page.evaluate("vscodeHost.renderError")
            assert error is None, error
            if time.monotonic() > deadline:
                raise RelayTimeout(f"timed out waiting for {what}; page errors: {self.page.errors()}; "
                                   f"manager log: {self.page.evaluate('vscodeHost.log')}")
            if not moved:
                time.sleep(0.02)

    def page_value(self, expression: str) -> Callable[[], Any]:
        return lambda: self.page.evaluate(expression)

    def kernel_messages(self, msg_type: str, parent: Optional[str] = None) -> List[Dict[str, Any]]:
        return [m for m in self.to_page if m["header"]["msg_type"] == msg_type
                and (parent is None or m["parent_header"].get("msg_id") == parent)]


@pytest.fixture
def kernel_client() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def host_page(front_end: Path, tmp_path: Path) -> Path:
    """The webview: requirejs, the kernel connection, the glue, then the manager bundle (an ES
    module whose ``activate`` VS Code calls)."""
    bundle = (front_end / "ipywidgets8" / "package" / "dist" / "ipywidgets.js").as_uri()
    page = tmp_path / "webview.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<script src='{(front_end / 'node_modules' / 'requirejs' / 'require.js').as_uri()}'></script>"
        f"<script src='{(front_end / 'services.js').as_uri()}'></script>"
        f"<script src='{(HOST / 'host.js').as_uri()}'></script>"
        f"<script type='module'>import {{ activate }} from '{bundle}'; activate();"
        " globalThis.vscodeHost.activated = true;</script>"
        "</head><body style='margin:8px'><div id='widgets'></div>"
        "<div id='output' style='width:1000px'></div></body></html>", encoding="utf-8")
    return page


def settled_target(page: Page) -> Tuple[str, float, float]:
    """The node drawn nearest the middle of the view and where it is on screen, once two readings
    a few frames apart agree (the layout worker may post a last move after it stops)."""
    where = (f"(() => {{ const g = {VIEW}.__graphOlap;"
             f" const box = {VIEW}.querySelector('.go-gv-stage').getBoundingClientRect();"
             " const cx = box.left + box.width / 2, cy = box.top + box.height / 2; let best = null;"
             " g.graph.forEachNode((key, a) => { const p = g.renderer.graphToViewport({x: a.x, y: a.y});"
             " const x = box.left + p.x, y = box.top + p.y, d = Math.hypot(x - cx, y - cy);"
             " if (!best || d < best[3]) best = [key, x, y, d]; }); return best.slice(0, 3); })()")
    frames = ("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() =>"
              " setTimeout(() => r(0), 300))))")
    before = None
    for _ in range(20):
        page.evaluate(frames)
        now = page.evaluate(where)
        if now == before:
            return str(now[0]), float(now[1]), float(now[2])
        before = now
    raise AssertionError("the view's nodes keep moving")


def test_graph_view_renders_and_expands_in_vscodes_widget_manager(
        front_end: Path, kernel_client: Any, tmp_path: Path) -> None:
    from graph_olap.widget import GraphView

    with Chromium(timeout=120) as browser:
        page = browser.open(host_page(front_end, tmp_path).as_uri(), width=1040, height=520)
        page.wait_for("globalThis.vscodeHost && vscodeHost.activated === true", timeout=60)
        # The kernel options VS Code's extension sends to the webview.
        options = {"clientId": CLIENT_ID, "userName": "analyst", "model": {"id": "kernel", "name": "python3"}}
        status = page.evaluate(f"vscodeHost.start({json.dumps(options)})")
        assert status == "connected"
        host = ExtensionHost(page, kernel_client)

        # The extension executes the cell on the kernel; the page sees every message.
        execute = kernel_client.execute(CELL)
        host.pump(lambda: any(m["content"].get("execution_state") == "idle"
                              for m in host.kernel_messages("status", execute)), 120, "the cell to run")
        results = host.kernel_messages("execute_result", execute)
        assert len(results) == 1, host.kernel_messages("error", execute)
        view_data = results[0]["content"]["data"][WIDGET_MIME]
        opened = [m["content"] for m in host.kernel_messages("comm_open", execute)
                  if m["content"]["comm_id"] == view_data["model_id"]]
        assert opened and opened[0]["data"]["state"]["_model_module"] == "anywidget"

        # The renderer shows the output; the manager has loaded anywidget's module via requirejs.
        page.evaluate(f"vscodeHost.render({json.dumps(view_data)}, 'output')")
        host.pump(host.page_value(f"{VIEW} && {VIEW}.dataset.rendered === '1'"), 120, "the view to render")
        assert host.scripts == {"anywidget": widget_script_uri("anywidget")}
        assert str(host.scripts["anywidget"]).endswith("/nbextensions/anywidget/index.js")
        loaded = page.evaluate("vscodeHost.loaded.map(l => `${l.moduleName}:${l.className}`)")
        assert {"anywidget:AnyModel", "anywidget:AnyView"} <= set(loaded), loaded
        assert page.evaluate("vscodeHost.failed") == []
        assert page.evaluate(f"!!{VIEW}.closest('.cell-output-ipywidget-background .lm-Widget')") is True
        # Its own size, also after the Layout view has set and removed the inline height.
        height = f"{VIEW}.querySelector('.go-gv-stage').getBoundingClientRect().height"
        assert 390 <= page.evaluate(height) <= 400
        reset = kernel_client.execute(RESET_LAYOUT)
        host.pump(lambda: any(m["content"].get("execution_state") == "idle"
                              for m in host.kernel_messages("status", reset)), 60, "the layout reset")
        layout_updates = [m for m in host.kernel_messages("comm_msg", reset)
                          if m["content"]["data"].get("state", {}).keys() == {"height"}]
        assert [m["content"]["data"]["state"]["height"] for m in layout_updates] == ["300px", None]
        page.wait_for(f"{VIEW}.style.height === ''", timeout=10)
        assert 390 <= page.evaluate(height) <= 400

        # Every node and relationship, drawn on canvases, and the legend of the colouring.
        assert page.evaluate(f"[{VIEW}.dataset.nodeCount, {VIEW}.dataset.edgeCount]") == ["34", "78"]
        assert page.evaluate(f"[{VIEW}.__graphOlap.graph.order, {VIEW}.__graphOlap.graph.size]") == [34, 78]
        canvases = page.evaluate(f"[...{VIEW}.querySelectorAll('canvas')].map(c => [c.width, c.height])")
        assert len(canvases) >= 2 and all(w > 0 and h > 0 for w, h in canvases)
        expected = GraphView(networkx.karate_club_graph(), color_by="club")
        legend = [item["value"] for item in expected.style.legend(expected.data)["items"]]
        shown = page.evaluate(f"[...{VIEW}.querySelectorAll('.go-gv-legend div')]"
                              ".map(d => d.textContent.trim())")
        assert shown == legend == ["Mr. Hi", "Officer"]

        # A real mouse click on a node sends `expand` over the comm, as a comm_msg on the shell.
        page.evaluate(f"{VIEW}.__graphOlap.stopLayout(); 0")

        def expand_sent() -> List[Dict[str, Any]]:
            return [m for m in host.from_page if m["header"]["msg_type"] == "comm_msg"
                    and m["content"]["data"].get("method") == "custom"]

        for _attempt in range(3):  # a loaded machine may still move the node as the layout stops
            node, x, y = settled_target(page)
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                page.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                        "clickCount": 0 if kind == "mouseMoved" else 1})
            try:
                sent = host.pump(expand_sent, 10, "the click's expand message")
                break
            except RelayTimeout:
                continue
        else:
            raise AssertionError(f"three clicks on node {node} at {x},{y} sent nothing;"
                                 f" page errors: {page.errors()}")
        assert len(sent) == 1 and sent[0]["channel"] == "shell"
        assert sent[0]["header"]["session"] == CLIENT_ID
        assert sent[0]["content"]["comm_id"] == view_data["model_id"]
        assert sent[0]["content"]["data"]["content"] == {"type": "expand", "node": node}

        # The kernel expands, syncs the new state and answers; the page adds the neighbours.
        host.pump(host.page_value(f"{VIEW}.dataset.nodeCount === '37' && {VIEW}.dataset.expanded === '1'"),
                  60, "the expanded graph")
        answers = [m["content"]["data"] for m in host.kernel_messages("comm_msg")
                   if m["content"]["comm_id"] == view_data["model_id"]]
        assert {"method": "custom", "content": {"type": "expanded", "node": node, "nodes_added": 3,
                                                "edges_added": 3}} in answers
        assert any(a["method"] == "update" and len(a["state"].get("nodes", [])) == 37 for a in answers)
        assert page.evaluate(f"{VIEW}.dataset.edgeCount") == "81"
        neighbours = page.evaluate(f"{VIEW}.__graphOlap.graph.neighbors({json.dumps(node)})")
        assert {"1000", "1001", "1002"} <= set(neighbours)

        page.wait_for(f"{VIEW}.dataset.layout === 'stopped'", timeout=60)
        assert 390 <= page.evaluate(height) <= 400
        page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 2, "y": 2})
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        png = page.screenshot()
        (ARTEFACTS / "vscode-widget.png").write_bytes(png)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert page.errors() == []

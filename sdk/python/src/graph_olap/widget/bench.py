"""Benchmark of the graph view in headless Chromium: time to first render and frame times.

Run ``python -m graph_olap.widget.bench`` (sizes 500, 5,000 and 20,000 nodes with four
relationships per node; ``--sizes 1000,50000`` and ``--edges-per-node`` change that,
``--json`` prints machine-readable figures, ``--screenshots DIR`` keeps a PNG per size).

For each size it writes the standalone page of a generated graph, loads it and reports:

* ``first_render_ms`` — from navigation start to the first frame showing the graph (parsing the page's
  data and code, building the graph, first WebGL draw);
* ``render_start_ms`` — the part of that spent inside the view (graph build + first draw);
* ``layout_frame_ms`` — mean / p95 interval between frames while ForceAtlas2 moves every node;
* ``pan_frame_ms`` — mean / p95 interval between the frames the page shows
  (``requestAnimationFrame``) while a real mouse drag (input events through the DevTools
  protocol, from a point with no node under it) pans the stage, layout stopped: what a user
  feels; ``pan_cpu_ms`` — CPU of every browser process per such frame (Linux ``/proc``);
* ``pan_settle_ms`` — from the button's release to the end of the first frame drawn with the
  camera at rest, its pixels included (the graph complete and sharp again); ``pan_settle_cpu_ms``
  its CPU;
* ``zoom_frame_ms``, ``zoom_cpu_ms``, ``zoom_settle_ms``, ``zoom_settle_cpu_ms`` — the same for wheel
  zoom steps (three in, three out, ~8 a second) over the stage's middle;
* ``camera_step_frame_ms`` — frame intervals while the camera is moved by code every frame:
  sigma does not count that as moving, so everything is drawn in every frame (what a drag cost
  before issue 23);
* ``redraw_ms`` — mean time of one full synchronous redraw (JavaScript and WebGL calls only: the
  GPU process rasterises afterwards).

The pan and zoom figures are measured for each of ``--modes`` on the same page, alternately
(``--rounds``): ``picture`` — the view's default where WebGL is software-rendered: the last drawn
picture is moved with a CSS transform and the graph drawn once at rest; ``redraw`` — the graph
drawn every frame (relationships hidden while moving), as before. ``--bundle FILE`` measures
another build of the front end (e.g. main's). Per mode the figures are under ``modes``; those of
the first mode are also at the top level.

Chromium runs with ``--disable-gpu`` (software WebGL, SwiftShader), so the figures are an
upper bound for a machine with a GPU. ``--breakdown`` measures instead what one frame costs
part by part (see :func:`frame_breakdown`).

Example:
    >>> data = synthetic_graph(100, 300, seed=1)
    >>> len(data.nodes), len(data.edges)
    (100, 300)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from graph_olap.widget._data import EdgeRecord, GraphData, NodeRecord

__all__ = ["frame_breakdown", "measure", "run", "synthetic_graph", "trace_pan"]

LABELS = ("Customer", "Account", "Merchant")


def synthetic_graph(nodes: int, edges: int, *, seed: int = 0, communities: int = 12) -> GraphData:
    """A reproducible graph with community structure, three labels, ``pr`` and ``community``.

    Example:
        >>> g = synthetic_graph(10, 20, seed=3)
        >>> sorted({n.label for n in g.nodes}) == sorted(LABELS), len(g.edges)
        (True, 20)
    """
    rnd = random.Random(seed)
    comm = [rnd.randrange(communities) for _ in range(nodes)]
    members: Dict[int, List[int]] = {}
    for i, c in enumerate(comm):
        members.setdefault(c, []).append(i)
    records = [NodeRecord(str(i), i, LABELS[i % len(LABELS)],
                          {"id": f"N{i:06d}", "community": comm[i], "pr": round(rnd.paretovariate(2.0), 4)})
               for i in range(nodes)]
    links = []
    for k in range(edges):
        s = rnd.randrange(nodes)
        # Mostly inside the community, some bridges between communities.
        pool = members[comm[s]] if rnd.random() < 0.85 else range(nodes)
        t = rnd.choice(pool) if isinstance(pool, list) else rnd.randrange(nodes)
        links.append(EdgeRecord(str(nodes + k), str(s), str(t), "LINK", {"w": k % 7}))
    return GraphData(records, links)


def _stats(values: Sequence[float]) -> Dict[str, float]:
    if not values:
        return {"mean": float("nan"), "p95": float("nan"), "frames": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"mean": round(statistics.fmean(values), 1), "p95": round(p95, 1), "frames": len(values)}


_FRAMES_JS = """
new Promise((resolve) => {
  const out = []; let last = null; const end = performance.now() + %(ms)d;
  function step(t) {
    if (last !== null) out.push(t - last);
    last = t;
    %(body)s
    if (t < end) requestAnimationFrame(step); else resolve(out);
  }
  requestAnimationFrame(step);
})
"""


_RECORD_JS = """
(() => { const rec = {frames: [], last: null, on: true}; window.__goFrames = rec;
  function step(t) { if (!rec.on) return; if (rec.last !== null) rec.frames.push(t - rec.last);
    rec.last = t; requestAnimationFrame(step); }
  requestAnimationFrame(step); return 0; })()
"""


# Installed just before a move ends (the button released, the last wheel step): the time from
# that input event to the end of the first frame the view draws with the camera at rest, its
# pixels included (a one-pixel read of each WebGL canvas waits until the GPU process has drawn
# them) — what a user waits for the graph to be sharp and complete again.
_SETTLE_HOOK_JS = """(() => { const r = document.querySelector('.go-gv').__graphOlap.renderer;
  const s = window.__goSettle = {start: null, end: null};
  const mark = () => { s.start = performance.now(); };
  document.addEventListener('mouseup', mark, {capture: true});
  document.addEventListener('wheel', mark, {capture: true, passive: true});
  const moving = () => { const m = r.getMouseCaptor(); return r.getCamera().isAnimated() || m.isMoving
    || m.draggedEvents > 0 || m.currentWheelDirection !== 0; };
  const rest = () => { if (s.start === null || moving()) return; r.removeListener('afterRender', rest);
    document.removeEventListener('mouseup', mark, {capture: true});
    document.removeEventListener('wheel', mark, {capture: true});
    const px = new Uint8Array(4);
    for (const gl of Object.values(r.webGLContexts)) { gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); }
    s.end = performance.now(); };
  r.on('afterRender', rest); return 0; })()"""


def _cpu_total(page: Any) -> float:
    """CPU seconds so far of the page's browser, all processes and threads (0 without ``/proc``)."""
    return sum(_cpu_by_thread(page.browser.pid).values())


def _wait_settle(page: Any) -> float:
    return float(page.wait_for("window.__goSettle.end !== null &&"
                               " window.__goSettle.end - window.__goSettle.start", timeout=300))


def _stage_middle(page: Any) -> List[float]:
    """A point near the middle of the stage with no node under it (so a drag starting there does
    not first highlight a node: that redraw is not part of the move), and the stage's width."""
    return list(page.evaluate(
        "(() => { const root = document.querySelector('.go-gv'); const r = root.__graphOlap.renderer;"
        " const b = root.querySelector('.go-gv-stage').getBoundingClientRect();"
        " const cx = b.width / 2, cy = b.height / 2; let at = [cx, cy];"
        " search: for (let d = 0; d < 200; d += 3) for (const [x, y] of [[cx - d, cy], [cx + d, cy],"
        "   [cx, cy - d], [cx, cy + d]]) if (!r.getNodeAtPosition({x, y})) { at = [x, y]; break search; }"
        " return [b.left + at[0], b.top + at[1], b.width]; })()"))


def _drag_frames(page: Any, sample_ms: int) -> Dict[str, Any]:
    """Frame intervals (``requestAnimationFrame``: the frames the page shows) while the left
    button drags the stage back and forth across its middle, and the settle time after release."""
    x, y, width = _stage_middle(page)
    reach, step = width / 4, 6.0
    page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    page.call("Input.dispatchMouseEvent", {"type": "mousePressed", "x": x, "y": y, "button": "left",
                                           "buttons": 1, "clickCount": 1})
    page.evaluate(_RECORD_JS, timeout=300)
    cpu0 = _cpu_total(page)
    start, end, pos, direction = x, time.monotonic() + sample_ms / 1000, x, 1.0
    while time.monotonic() < end:
        pos += direction * step
        if abs(pos - start) > reach:
            direction = -direction
        page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": pos, "y": y, "button": "left",
                                               "buttons": 1}, timeout=120)
    frames = page.evaluate("window.__goFrames.on = false, window.__goFrames.frames", timeout=300)
    page.evaluate(_SETTLE_HOOK_JS, timeout=300)
    cpu1 = _cpu_total(page)
    page.call("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": pos, "y": y, "button": "left",
                                           "buttons": 0, "clickCount": 1}, timeout=120)
    settle = _wait_settle(page)
    return {"frames": list(frames), "settle": settle, "cpu": (cpu1 - cpu0) * 1000 / max(len(frames), 1),
            "settle_cpu": (_cpu_total(page) - cpu1) * 1000}


def _wheel_frames(page: Any, sample_ms: int) -> Dict[str, Any]:
    """Frame intervals while the wheel zooms in and out (three steps each way, ~8 steps a
    second) over the stage's middle, and the settle time after the last step."""
    x, y, _ = _stage_middle(page)
    page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
    page.evaluate(_RECORD_JS, timeout=300)
    cpu0 = _cpu_total(page)
    end = time.monotonic() + sample_ms / 1000
    while True:
        last = time.monotonic() + 6 * 0.12 >= end   # decided before a cycle, which always ends out
        for k in range(6):
            if last and k == 5:
                page.evaluate(_SETTLE_HOOK_JS, timeout=300)
                cpu1 = _cpu_total(page)
            page.call("Input.dispatchMouseEvent", {"type": "mouseWheel", "x": x, "y": y, "deltaX": 0,
                                                   "deltaY": -120 if k < 3 else 120}, timeout=300)
            time.sleep(0.12)
        if last:
            break
    frames = page.evaluate("window.__goFrames.on = false, window.__goFrames.frames", timeout=300)
    settle = _wait_settle(page)
    # The CPU of the last step's frames is counted in the settle's.
    return {"frames": list(frames), "settle": settle, "cpu": (cpu1 - cpu0) * 1000 / max(len(frames), 1),
            "settle_cpu": (_cpu_total(page) - cpu1) * 1000}


_SETTLE_JS = """new Promise((done) => setTimeout(() =>
 requestAnimationFrame(() => requestAnimationFrame(() => {
  const r = document.querySelector('.go-gv').__graphOlap.renderer; const px = new Uint8Array(4);
  for (const gl of Object.values(r.webGLContexts)) {
    gl.bindFramebuffer(gl.FRAMEBUFFER, null); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); }
  done(0); })), 1000))"""


def _settle(page: Any) -> None:
    """Let the layout worker's last move land and the GPU process finish every queued frame (a
    one-pixel read of each canvas waits for it), so one measure does not pay for the previous."""
    for _ in range(2):
        page.evaluate(_SETTLE_JS, timeout=300)


# How a view may follow a moving camera (``root.__graphOlap.movePicture``): ``picture`` moves
# the last drawn picture and draws once at rest (issue 23); ``redraw`` draws every frame (before).
MODES = {"picture": "true", "redraw": "false"}
_NAMES = {"pan": "pan_frame", "zoom": "zoom_frame"}


def measure(page: Any, *, sample_ms: int = 3000, modes: Sequence[str] = ("picture",),
            rounds: int = 1) -> Dict[str, Any]:
    """Figures of the view already loaded in ``page`` (see the module docstring). The pan and
    zoom figures are measured once per mode (alternating, ``rounds`` times) on the same page.

    Example:
        >>> from graph_olap.widget._chromium import ChromiumNotFound
        >>> try:
        ...     figures = run([50], sample_ms=200)[0]   # measure() of the page of each size
        ... except ChromiumNotFound:   # no browser here: nothing to measure
        ...     figures = {"nodes": 50, "first_render_ms": None}
        >>> figures["nodes"], "first_render_ms" in figures
        (50, True)
    """
    root = "document.querySelector('.go-gv')"
    page.wait_for(f"{root} && {root}.dataset.rendered === '1'", timeout=180)
    first = float(page.evaluate(f"{root}.dataset.firstRenderAt"))
    inner = float(page.evaluate(f"{root}.dataset.firstRenderMs"))
    counts = page.evaluate(f"[{root}.dataset.nodeCount, {root}.dataset.edgeCount].map(Number)")
    layout = page.evaluate(_FRAMES_JS % {"ms": sample_ms, "body": ""}, timeout=sample_ms / 1000 + 60)
    page.evaluate(f"{root}.__graphOlap.stopLayout()")
    _settle(page)
    auto = page.evaluate(f"{root}.dataset.movePicture === '1'", timeout=300)
    moves: Dict[str, Dict[str, List[float]]] = {
        m: {k: [] for k in ("pan", "pan_settle", "pan_cpu", "pan_settle_cpu",
                            "zoom", "zoom_settle", "zoom_cpu", "zoom_settle_cpu")} for m in modes}
    for _ in range(rounds):
        for measure_move, key in ((_drag_frames, "pan"), (_wheel_frames, "zoom")):
            for mode in modes:
                page.evaluate(f"{root}.__graphOlap.movePicture = {MODES[mode]}, 0")
                got = measure_move(page, sample_ms)
                moves[mode][key] += got["frames"]
                moves[mode][f"{key}_settle"].append(got["settle"])
                moves[mode][f"{key}_cpu"].append(got["cpu"])
                moves[mode][f"{key}_settle_cpu"].append(got["settle_cpu"])
                _settle(page)
    page.evaluate(f"{root}.__graphOlap.movePicture = null, 0")
    steps = page.evaluate(_FRAMES_JS % {"ms": sample_ms, "body": (
        f"const cam = {root}.__graphOlap.renderer.getCamera(); const s = cam.getState();"
        "cam.setState({x: s.x + 0.002, y: s.y, ratio: s.ratio, angle: s.angle});")},
        timeout=sample_ms / 1000 + 120)
    redraw = page.evaluate(
        f"(() => {{ const r = {root}.__graphOlap.renderer; const t = []; "
        "for (let i = 0; i < 10; i++) { const a = performance.now(); "
        "r.refresh({skipIndexation: true}); t.push(performance.now() - a); } return t; })()",
        timeout=300)   # on a loaded machine the GPU process may still be drawing the camera steps
    out: Dict[str, Any] = {
        "nodes": counts[0], "edges": counts[1], "first_render_ms": round(first, 1),
        "render_start_ms": round(inner, 1), "layout_frame_ms": _stats(layout),
        "camera_step_frame_ms": _stats(steps), "redraw_ms": _stats(redraw),
        "edges_hidden_on_move": page.evaluate(
            f"{root}.__graphOlap.renderer.getSetting('hideEdgesOnMove')", timeout=300),
        "picture_on_move": auto,
        "software_webgl": page.evaluate(f"{root}.dataset.softwareWebgl", timeout=300) == "1",
        "modes": {m: {f"{_NAMES.get(k, k)}_ms": _stats(v) for k, v in got.items()}
                  for m, got in moves.items()}}
    # The figures of the first mode (by default the view's own) at the top level as well.
    out.update(out["modes"][modes[0]])
    return out


def run(sizes: Sequence[int] = (500, 5000, 20000), *, edges_per_node: float = 4.0,
        screenshots: Optional[Path] = None, sample_ms: int = 3000,
        modes: Sequence[str] = ("picture",), rounds: int = 1,
        bundle: Optional[Path] = None) -> List[Dict[str, Any]]:
    """Measure each size in a fresh headless Chromium; returns one dict of figures per size.

    Example:
        >>> from graph_olap.widget._chromium import ChromiumNotFound
        >>> try:
        ...     figures = run([50, 100], sample_ms=200)
        ... except ChromiumNotFound:   # no browser here
        ...     figures = [{"nodes": 50}, {"nodes": 100}]
        >>> [f["nodes"] for f in figures]
        [50, 100]
    """
    from graph_olap.widget._chromium import Chromium
    from graph_olap.widget._view import GraphView

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            data = synthetic_graph(n, int(n * edges_per_node), seed=n)
            view = GraphView(data, color_by="community", size_by="pr", height=700)
            page_path = Path(tmp) / f"bench-{n}.html"
            t0 = time.perf_counter()
            html = view.to_html()
            python_ms = (time.perf_counter() - t0) * 1000
            if bundle is not None:   # another build of the front end, e.g. main's to compare
                from graph_olap.widget._view import _bundle_text
                other = bundle.read_text(encoding="utf-8")
                html = html.replace(_bundle_text(),
                                    other.replace("</script", "<\\/script").replace("<!--", "<\\!--"))
            page_path.write_text(html, encoding="utf-8")
            with Chromium(timeout=300) as browser:  # a loaded machine answers slowly
                page = browser.open(page_path.as_uri(), width=1200, height=760)
                figures = measure(page, sample_ms=sample_ms, modes=modes, rounds=rounds)
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    (screenshots / f"bench-{n}.png").write_bytes(page.screenshot())
                errors = page.errors()
            figures.update(python_html_ms=round(python_ms, 1),
                           page_mb=round(page_path.stat().st_size / 1e6, 2),
                           browser=browser.version, errors=errors[:3],
                           bundle=str(bundle) if bundle is not None else "this package's")
            results.append(figures)
    return results


def _table(results: List[Dict[str, Any]]) -> str:
    head = ("| nodes | relationships | camera moves | first render (ms) | layout frame mean/p95 (ms) | "
            "pan (drag) frame mean/p95 (frames), CPU per frame (ms) | pan settle, its CPU (ms) | "
            "zoom (wheel) frame mean/p95 (frames), CPU per frame (ms) | zoom settle, its CPU (ms) | "
            "camera step frame mean/p95 (ms) | redraw (ms) | page (MB) |")
    lines = [head, "|" + "---|" * 12]

    def frames(f: Dict[str, float], cpu: Dict[str, float]) -> str:
        return f"{f['mean']:.0f} / {f['p95']:.0f} ({f['frames']}), {cpu['mean']:.0f}"

    for r in results:
        for mode, m in r["modes"].items():
            lines.append(f"| {r['nodes']:,} | {r['edges']:,} | {mode} | {r['first_render_ms']:.0f} "
                         f"| {r['layout_frame_ms']['mean']:.0f} / {r['layout_frame_ms']['p95']:.0f} "
                         f"| {frames(m['pan_frame_ms'], m['pan_cpu_ms'])} "
                         f"| {m['pan_settle_ms']['mean']:.0f}, {m['pan_settle_cpu_ms']['mean']:.0f} "
                         f"| {frames(m['zoom_frame_ms'], m['zoom_cpu_ms'])} "
                         f"| {m['zoom_settle_ms']['mean']:.0f}, {m['zoom_settle_cpu_ms']['mean']:.0f} "
                         f"| {r['camera_step_frame_ms']['mean']:.0f} / "
                         f"{r['camera_step_frame_ms']['p95']:.0f} "
                         f"| {r['redraw_ms']['mean']:.0f} | {r['page_mb']:.1f} |")
    return "\n".join(lines)


# What each variant of the breakdown leaves out of a frame (``R`` is the sigma renderer, ``O``
# what the variant may change, saved before the first one and put back before each).
_VARIANTS = {
    "full frame": "",
    "relationships not drawn": "for (const k in R.edgePrograms) R.edgePrograms[k].render = () => {};",
    "nodes not drawn": "for (const k in R.nodePrograms) R.nodePrograms[k].render = () => {};",
    "no picking pass": ("for (const k in R.nodePrograms) R.nodePrograms[k].pickProgram = null;"
                        " R.pickingLayers.clear();"),
    "no labels": "R.renderLabels = () => R;",
    "graph off screen": "R.getCamera().setState({...O.cam, x: O.cam.x + 50});",
    "canvas 1/4 of the area": ("root.style.setProperty('--go-gv-width', (O.w / 2) + 'px');"
                               " root.style.setProperty('--go-gv-height', (O.h / 2) + 'px'); R.resize();"),
    "empty frame": ("for (const k in R.edgePrograms) R.edgePrograms[k].render = () => {};"
                    " for (const k in R.nodePrograms) R.nodePrograms[k].render = () => {};"
                    " R.renderLabels = () => R;"),
}

_RESET_JS = """(() => { const root = document.querySelector('.go-gv'); const R = root.__graphOlap.renderer;
  const O = window.__goSaved = window.__goSaved || {
    edges: Object.fromEntries(Object.entries(R.edgePrograms).map(([k, p]) => [k, p.render])),
    nodes: Object.fromEntries(Object.entries(R.nodePrograms).map(([k, p]) => [k, p.render])),
    pick: Object.fromEntries(Object.entries(R.nodePrograms).map(([k, p]) => [k, p.pickProgram])),
    layers: [...R.pickingLayers], labels: R.renderLabels, cam: R.getCamera().getState(),
    w: R.getDimensions().width, h: R.getDimensions().height };
  for (const k in R.edgePrograms) R.edgePrograms[k].render = O.edges[k];
  for (const k in R.nodePrograms) {
    R.nodePrograms[k].render = O.nodes[k]; R.nodePrograms[k].pickProgram = O.pick[k]; }
  for (const l of O.layers) R.pickingLayers.add(l);
  R.renderLabels = O.labels;
  root.style.setProperty('--go-gv-width', O.w + 'px'); root.style.setProperty('--go-gv-height', O.h + 'px');
  R.resize(); R.getCamera().setState(O.cam);
  %s
  return 0; })()"""

# One camera step, a synchronous sigma render, and a one-pixel read of each WebGL canvas, which
# waits until the GPU process has rasterised everything drawn so far: the whole cost of a frame.
_STEPS_JS = """(() => { const R = document.querySelector('.go-gv').__graphOlap.renderer;
  const cam = R.getCamera(); const px = new Uint8Array(4); const out = [];
  for (let i = 0; i < %d; i++) { const a = performance.now(); const s = cam.getState();
    cam.setState({...s, x: s.x + 0.002}); R.render();
    for (const gl of Object.values(R.webGLContexts)) { gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); }
    out.push(performance.now() - a); }
  return out; })()"""


def _cpu_by_thread(browser_pid: int) -> Dict[str, float]:
    """CPU seconds so far of every thread of the browser and its child processes (Linux
    ``/proc``), by process type and thread name (SwiftShader's rasteriser threads are
    ``Thread<NN>``); empty where there is no ``/proc``."""
    parents: Dict[int, int] = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()) if os.path.isdir("/proc") else ():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        parents[int(pid)] = int(stat[stat.rindex(")") + 2:].split()[1])
    tree = {browser_pid}
    grown = True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    out: Dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for proc in tree:
        try:
            cmd = Path(f"/proc/{proc}/cmdline").read_bytes()
            tasks = os.listdir(f"/proc/{proc}/task")
        except OSError:
            continue
        kind = re.search(rb"--type=([a-z-]+)", cmd)
        process = kind.group(1).decode() if kind else "browser"
        for tid in tasks:
            try:
                stat = Path(f"/proc/{proc}/task/{tid}/stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            name = "swiftshader" if name.startswith("Thread<") else name
            fields = stat[stat.rindex(")") + 2:].split()
            key = f"{process}:{name}"
            out[key] = out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def frame_breakdown(nodes: int = 5000, *, edges_per_node: float = 4.0, frames: int = 6,
                    rounds: int = 2) -> List[Dict[str, Any]]:
    """What one frame of a pan costs, part by part, at ``nodes`` nodes (issue 23).

    For each variant of :data:`_VARIANTS` (the full frame; relationships, nodes, the picking pass
    or labels left out; the graph moved off screen; a canvas of a quarter of the area; an empty
    frame) it times ``frames`` synchronous frames that include the GPU process's rasterisation,
    and the CPU seconds each browser thread spent on them (Linux). Variants alternate ``rounds``
    times in one browser, so a loaded machine slows them alike; CPU per frame is the sturdier
    figure there.

    Example:
        >>> from graph_olap.widget._chromium import ChromiumNotFound
        >>> try:
        ...     rows = frame_breakdown(60, frames=1, rounds=1)
        ... except ChromiumNotFound:   # no browser here
        ...     rows = [{"variant": v} for v in _VARIANTS]
        >>> [r["variant"] for r in rows][:2]
        ['full frame', 'relationships not drawn']
    """
    from graph_olap.widget._chromium import Chromium
    from graph_olap.widget._view import GraphView

    samples: Dict[str, List[Any]] = {v: [] for v in _VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "breakdown.html"
        data = synthetic_graph(nodes, int(nodes * edges_per_node), seed=nodes)
        GraphView(data, color_by="community", size_by="pr", height=700).to_html(page_path)
        with Chromium(timeout=300) as browser:
            page = browser.open(page_path.as_uri(), width=1200, height=760)
            root = "document.querySelector('.go-gv')"
            page.wait_for(f"{root} && {root}.dataset.rendered === '1'", timeout=180)
            page.evaluate(f"{root}.__graphOlap.stopLayout()")
            time.sleep(1.0)   # the layout worker's last answer lands
            for _ in range(rounds):
                for name, change in _VARIANTS.items():
                    page.evaluate(_RESET_JS % change)
                    before = _cpu_by_thread(browser.pid)
                    times = page.evaluate(_STEPS_JS % frames, timeout=600)
                    after = _cpu_by_thread(browser.pid)
                    spent = {k: (after[k] - before.get(k, 0.0)) * 1000 / frames for k in after}
                    samples[name].append((statistics.median(times), spent))
            page.evaluate(_RESET_JS % "")
    rows = []
    for name, runs in samples.items():
        cpu: Dict[str, float] = {}
        for _, per_thread in runs:
            for k, v in per_thread.items():
                cpu[k] = cpu.get(k, 0.0) + v / len(runs)
        rows.append({"variant": name, "frame_ms": round(statistics.median(t for t, _ in runs), 1),
                     "cpu_ms": round(sum(cpu.values()), 1),
                     "cpu_ms_by_thread": {k: round(v, 1) for k, v in
                                          sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 1}})
    return rows


_TRACE_CATEGORIES = ["toplevel", "viz", "gpu", "cc", "blink", "v8.execute", "devtools.timeline",
                     "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame"]


def trace_pan(nodes: int, path: Path, *, edges_per_node: float = 4.0, pan_ms: int = 5000) -> List[str]:
    """Record a Chromium trace (all processes, CDP ``Tracing``) of a code-driven pan at
    ``nodes`` nodes into ``path`` (open it in Perfetto or ``chrome://tracing``); returns the
    busiest threads, each with its busy time, CPU time and longest events.

    Example:
        >>> import tempfile
        >>> from graph_olap.widget._chromium import ChromiumNotFound
        >>> try:
        ...     lines = trace_pan(60, Path(tempfile.mkdtemp()) / "pan.json", pan_ms=300)
        ... except ChromiumNotFound:   # no browser here
        ...     lines = ["CrRendererMain …"]
        >>> len(lines) > 0
        True
    """
    from graph_olap.widget._chromium import Chromium
    from graph_olap.widget._view import GraphView

    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "trace.html"
        data = synthetic_graph(nodes, int(nodes * edges_per_node), seed=nodes)
        GraphView(data, color_by="community", size_by="pr", height=700).to_html(page_path)
        with Chromium(timeout=300) as browser:
            page = browser.open(page_path.as_uri(), width=1200, height=760)
            root = "document.querySelector('.go-gv')"
            page.wait_for(f"{root} && {root}.dataset.rendered === '1'", timeout=180)
            page.evaluate(f"{root}.__graphOlap.stopLayout()")
            time.sleep(1.0)
            browser.call("Tracing.start", {"transferMode": "ReturnAsStream",
                                           "traceConfig": {"includedCategories": _TRACE_CATEGORIES}})
            page.evaluate(_FRAMES_JS % {"ms": pan_ms, "body": (
                f"const cam = {root}.__graphOlap.renderer.getCamera(); const s = cam.getState();"
                "cam.setState({...s, x: s.x + 0.002});")}, timeout=pan_ms / 1000 + 300)
            browser.call("Tracing.end")
            stream = _wait_trace_stream(browser)
            with open(path, "wb") as out:
                while True:
                    chunk = browser.call("IO.read", {"handle": stream, "size": 1 << 20})
                    text = chunk.get("data", "")
                    out.write(base64.b64decode(text) if chunk.get("base64Encoded") else text.encode())
                    if chunk.get("eof"):
                        break
            browser.call("IO.close", {"handle": stream})
    return _trace_summary(json.loads(Path(path).read_bytes()))


def _wait_trace_stream(browser: Any, timeout: float = 300.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in list(browser.events):
            if event.get("method") == "Tracing.tracingComplete":
                return str(event["params"]["stream"])
        time.sleep(0.2)
    raise TimeoutError("no Tracing.tracingComplete")


def _trace_summary(trace: Any, top: int = 6) -> List[str]:
    """Busy time (outermost complete events), CPU time and longest events per thread."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names: Dict[Any, str] = {}
    spans: Dict[Any, List[Dict[str, Any]]] = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") in ("process_name", "thread_name"):
            key = e["pid"] if e["name"] == "process_name" else (e["pid"], e["tid"])
            names[key] = e["args"]["name"]
        elif e.get("ph") == "X" and "dur" in e:
            spans.setdefault((e["pid"], e["tid"]), []).append(e)
    rows = []
    for key, evs in spans.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        busy = cpu = 0.0
        end = -1.0
        longest: Dict[str, float] = {}
        for e in evs:
            if e["ts"] >= end:
                busy += e["dur"]
                cpu += e.get("tdur", 0)
                end = e["ts"] + e["dur"]
            longest[e["name"]] = longest.get(e["name"], 0.0) + e["dur"]
        parts = sorted(longest.items(), key=lambda kv: -kv[1])[:top]
        where = f"{names.get(key[0], key[0])} / {names.get(key, key[1])}"
        rows.append((busy, f"{where}: busy {busy / 1000:.0f} ms, CPU {cpu / 1000:.0f} ms; "
                           + ", ".join(f"{n} {v / 1000:.0f}" for n, v in parts)))
    return [line for _, line in sorted(rows, key=lambda r: -r[0])[:8]]


def _breakdown_table(rows: List[Dict[str, Any]]) -> str:
    lines = ["| frame | wall (ms) | CPU (ms) | of which, by thread (ms) |", "|---|---|---|---|"]
    for r in rows:
        top = ", ".join(f"{k} {v:.0f}" for k, v in list(r["cpu_ms_by_thread"].items())[:4])
        lines.append(f"| {r['variant']} | {r['frame_ms']:.0f} | {r['cpu_ms']:.0f} | {top} |")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: ``python -m graph_olap.widget.bench [--sizes …] [--json]``."""
    parser = argparse.ArgumentParser(prog="python -m graph_olap.widget.bench",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="500,5000,20000")
    parser.add_argument("--edges-per-node", type=float, default=4.0)
    parser.add_argument("--sample-ms", type=int, default=3000)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--modes", default="picture",
                        help="how the view follows a moving camera, comma-separated and measured "
                             "alternately on the same page: picture (moves the last picture, "
                             "draws at rest: the default), redraw (draws every frame: before issue 23)")
    parser.add_argument("--bundle", type=Path,
                        help="measure this build of graph_view.js instead of the package's (e.g. "
                             "main's: git show main:sdk/python/src/graph_olap/widget/static/graph_view.js)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="pan and zoom samples per mode (alternating modes)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--breakdown", action="store_true",
                        help="what one pan frame costs part by part, at the first size")
    parser.add_argument("--trace", type=Path,
                        help="write a Chromium trace of a pan at the first size to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.trace:
        print("\n".join(trace_pan(sizes[0], args.trace, edges_per_node=args.edges_per_node)))
        return 0
    if args.breakdown:
        rows = frame_breakdown(sizes[0], edges_per_node=args.edges_per_node)
        print(json.dumps(rows, indent=2) if args.json else
              f"{sizes[0]:,} nodes, load average {os.getloadavg()[0]:.1f}\n" + _breakdown_table(rows))
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        parser.error(f"--modes: choose from {', '.join(MODES)}")
    results = run(sizes, edges_per_node=args.edges_per_node, screenshots=args.screenshots,
                  sample_ms=args.sample_ms, modes=modes, rounds=args.rounds, bundle=args.bundle)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{results[0]['browser'] if results else ''}, software WebGL (--disable-gpu), "
              f"load average {os.getloadavg()[0]:.1f}, bundle: {results[0]['bundle'] if results else ''}")
        print(_table(results))
        for r in results:
            if r["errors"]:
                print(f"page errors at {r['nodes']} nodes: {r['errors']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

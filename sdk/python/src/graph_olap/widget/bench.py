"""Benchmark of the graph view in headless Chromium: time to first render and frame times.

Run ``python -m graph_olap.widget.bench`` (sizes 500, 5,000 and 20,000 nodes with four
relationships per node; ``--sizes 1000,50000`` and ``--edges-per-node`` change that,
``--json`` prints machine-readable figures, ``--screenshots DIR`` keeps a PNG per size).

For each size it writes the standalone page of a generated graph, loads it and reports:

* ``first_render_ms`` — from navigation start to the first frame showing the graph (parsing the page's
  data and code, building the graph, first WebGL draw);
* ``render_start_ms`` — the part of that spent inside the view (graph build + first draw);
* ``layout_frame_ms`` — mean / p95 interval between frames while ForceAtlas2 moves every node;
* ``pan_frame_ms`` — mean / p95 interval between frames while the camera pans (layout stopped);
* ``redraw_ms`` — mean time of one full synchronous redraw.

Chromium runs with ``--disable-gpu`` (software WebGL, SwiftShader), so the figures are an
upper bound for a machine with a GPU.

Example:
    >>> data = synthetic_graph(100, 300, seed=1)
    >>> len(data.nodes), len(data.edges)
    (100, 300)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from graph_olap.widget._data import EdgeRecord, GraphData, NodeRecord

__all__ = ["measure", "run", "synthetic_graph"]

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


def measure(page: Any, *, sample_ms: int = 3000) -> Dict[str, Any]:
    """Figures of the view already loaded in ``page`` (see the module docstring).

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
    pan = page.evaluate(_FRAMES_JS % {"ms": sample_ms, "body": (
        f"const cam = {root}.__graphOlap.renderer.getCamera(); const s = cam.getState();"
        "cam.setState({x: s.x + 0.002, y: s.y, ratio: s.ratio, angle: s.angle});")},
        timeout=sample_ms / 1000 + 60)
    redraw = page.evaluate(
        f"(() => {{ const r = {root}.__graphOlap.renderer; const t = []; "
        "for (let i = 0; i < 10; i++) { const a = performance.now(); "
        "r.refresh({skipIndexation: true}); t.push(performance.now() - a); } return t; })()")
    return {"nodes": counts[0], "edges": counts[1], "first_render_ms": round(first, 1),
            "render_start_ms": round(inner, 1), "layout_frame_ms": _stats(layout),
            "pan_frame_ms": _stats(pan), "redraw_ms": _stats(redraw)}


def run(sizes: Sequence[int] = (500, 5000, 20000), *, edges_per_node: float = 4.0,
        screenshots: Optional[Path] = None, sample_ms: int = 3000) -> List[Dict[str, Any]]:
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
            view.to_html(page_path)
            python_ms = (time.perf_counter() - t0) * 1000
            with Chromium() as browser:
                page = browser.open(page_path.as_uri(), width=1200, height=760)
                figures = measure(page, sample_ms=sample_ms)
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    (screenshots / f"bench-{n}.png").write_bytes(page.screenshot())
                errors = page.errors()
            figures.update(python_html_ms=round(python_ms, 1),
                           page_mb=round(page_path.stat().st_size / 1e6, 2),
                           browser=browser.version, errors=errors[:3])
            results.append(figures)
    return results


def _table(results: List[Dict[str, Any]]) -> str:
    head = ("| nodes | relationships | first render (ms) | layout frame mean/p95 (ms) | "
            "pan frame mean/p95 (ms) | redraw (ms) | page (MB) |")
    lines = [head, "|" + "---|" * 7]
    for r in results:
        lines.append(f"| {r['nodes']:,} | {r['edges']:,} | {r['first_render_ms']:.0f} "
                     f"| {r['layout_frame_ms']['mean']:.1f} / {r['layout_frame_ms']['p95']:.1f} "
                     f"| {r['pan_frame_ms']['mean']:.1f} / {r['pan_frame_ms']['p95']:.1f} "
                     f"| {r['redraw_ms']['mean']:.1f} | {r['page_mb']:.1f} |")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: ``python -m graph_olap.widget.bench [--sizes …] [--json]``."""
    parser = argparse.ArgumentParser(prog="python -m graph_olap.widget.bench",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="500,5000,20000")
    parser.add_argument("--edges-per-node", type=float, default=4.0)
    parser.add_argument("--sample-ms", type=int, default=3000)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = run(sizes, edges_per_node=args.edges_per_node, screenshots=args.screenshots,
                  sample_ms=args.sample_ms)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{results[0]['browser'] if results else ''}, software WebGL (--disable-gpu)")
        print(_table(results))
        for r in results:
            if r["errors"]:
                print(f"page errors at {r['nodes']} nodes: {r['errors']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

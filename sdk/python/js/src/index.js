// The graph view of graph_olap: an anywidget front end over sigma.js (WebGL) and graphology.
//
// Data comes from the Python side (graph_olap.widget) as two model values:
//   nodes: [{id, label, caption, color, size, props, x?, y?}]
//   edges: [{id, source, target, type, color?, props}]
// plus `legend`, `options` and `expandable`. Clicking a node sends {type: "expand", node: id} to
// Python, which queries the instance and writes the merged nodes/edges back; this file adds
// whatever is new, placing new nodes next to the neighbour they were expanded from.
//
// The same `render` runs outside Jupyter (a standalone HTML page, see graph_olap.widget) against
// a small in-page model with the same get/set/on/send surface.

import Graph from "graphology";
import FA2Layout from "graphology-layout-forceatlas2/worker";
import forceAtlas2 from "graphology-layout-forceatlas2";
import Sigma from "sigma";

const CSS = `
.go-gv { position: relative; font: 12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  height: var(--go-gv-height, 500px); width: var(--go-gv-width, auto);
  color: #1f2933; border: 1px solid #d9e2ec; border-radius: 6px; background: #fff; overflow: hidden; }
.go-gv-stage { position: absolute; inset: 0; }
.go-gv-bar { position: absolute; left: 8px; top: 6px; display: flex; gap: 6px; align-items: center;
  z-index: 2; pointer-events: auto; }
.go-gv-bar button { font: inherit; padding: 1px 8px; border: 1px solid #bcccdc; border-radius: 4px;
  background: #f8fafc; cursor: pointer; }
.go-gv-status { color: #627d98; }
.go-gv-legend { position: absolute; right: 8px; top: 6px; max-height: 60%; overflow: auto; z-index: 2;
  background: rgba(255,255,255,.85); padding: 4px 6px; border-radius: 4px; }
.go-gv-legend div { display: flex; gap: 5px; align-items: center; white-space: nowrap; }
.go-gv-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
.go-gv-grad { width: 90px; height: 8px; border-radius: 4px; }
.go-gv-tip { position: absolute; z-index: 3; max-width: 320px; pointer-events: none; display: none;
  background: #fff; border: 1px solid #bcccdc; border-radius: 4px; padding: 6px 8px;
  box-shadow: 0 2px 6px rgba(16,42,67,.15); }
.go-gv-tip b { display: block; margin-bottom: 2px; }
.go-gv-tip table { border-collapse: collapse; }
.go-gv-tip td { padding: 0 6px 0 0; vertical-align: top; max-width: 220px; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.go-gv-tip td:first-child { color: #627d98; }
`;

function ensureStyle() {
  if (document.getElementById("go-gv-style")) return;
  const style = document.createElement("style");
  style.id = "go-gv-style";
  style.textContent = CSS;
  document.head.appendChild(style);
}

function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

// Deterministic pseudo-random numbers (mulberry32), so a view lays out the same way each time.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fmt(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function nodeAttrs(n) {
  return {
    label: n.caption == null ? String(n.id) : String(n.caption),
    color: n.color || "#1565c0",
    size: typeof n.size === "number" ? n.size : 4,
    group: n.label,
    props: n.props || {},
  };
}

// The views of the page holding a renderer — shared by every copy of this module on the page
// (an exported notebook inlines one copy per output) — and how many may: 5 × 3 contexts < 16.
const LIVE = (globalThis.__graphOlapLive = globalThis.__graphOlapLive || new Set());
const MAX_LIVE = 5;

// Before a view creates its renderer: release others until it fits, those off screen first, then
// the one on screen longest (so contexts are released by us, never dropped by the browser).
function makeRoom(view) {
  while (LIVE.size >= MAX_LIVE) {
    const others = [...LIVE].filter((v) => v !== view);
    if (!others.length) return;
    others.sort((a, b) => (a.onScreen - b.onScreen) || (a.since - b.since));
    others[0].release();
    LIVE.delete(others[0]);
  }
}

// Whether WebGL is rasterised on the CPU (SwiftShader, llvmpipe: no GPU, or a GPU blocklisted).
// There a frame's cost is the pixels of its relationships: 20,000 of them take ~1 s of CPU per
// frame against ~0.3 s for everything else (docs/notebook-graph-view.md, "Why panning was slow").
// Probed once per page on a throwaway context, released at once (the page's context budget).
function softwareWebGL() {
  if (globalThis.__graphOlapSoftwareGL !== undefined) return globalThis.__graphOlapSoftwareGL;
  let software = false;
  try {
    const gl = document.createElement("canvas").getContext("webgl");
    if (gl) {
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      software = /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
    }
  } catch (err) {
    software = false;
  }
  globalThis.__graphOlapSoftwareGL = software;
  return software;
}

// Above this many relationships a view draws them only while the camera rests (sigma's
// hideEdgesOnMove: a drag, a wheel zoom, the fit animation); nodes and labels stay. With
// software WebGL a pan frame at 5,000 nodes / 20,000 relationships drops from ~0.9 s to ~0.2 s;
// on a GPU drawing them is cheap, so only huge graphs hide them (docs/decisions.md).
const EDGES_HIDDEN_ON_MOVE = { software: 1000, gpu: 50000 };

function hideEdgesOnMove(edgeCount) {
  return edgeCount > (softwareWebGL() ? EDGES_HIDDEN_ON_MOVE.software : EDGES_HIDDEN_ON_MOVE.gpu);
}

// While the camera moves (a drag, a wheel or double-click zoom, the fit animation) a view above
// these sizes does not draw the graph again each frame: it moves the picture it last drew — the
// canvases themselves, with a CSS transform that follows the camera, which the compositor applies
// without rasterising a pixel of WebGL — and draws once for real when the camera rests. With
// software WebGL a drawn frame at 5,000 nodes costs ~0.3–1 s of CPU (its pixels), a moved picture
// a few ms (docs/notebook-graph-view.md, "Moving the picture"). The software threshold counts
// nodes + relationships; on a GPU only views whose relationships are hidden on move anyway.
const PICTURE_ON_MOVE = { software: 1000, gpu: 50000 };
const WHEEL_REST_MS = 150;

function pictureOnMove(graph) {
  return softwareWebGL() ? graph.order + graph.size > PICTURE_ON_MOVE.software : graph.size > PICTURE_ON_MOVE.gpu;
}

// Sigma's own test for "the camera moves" (the one hideEdgesOnMove uses), plus a touch drag.
function cameraMoving(r) {
  const mouse = r.getMouseCaptor();
  const touch = r.getTouchCaptor();
  return r.getCamera().isAnimated() || mouse.isMoving || mouse.draggedEvents > 0 ||
    mouse.currentWheelDirection !== 0 || !!(touch && touch.isMoving);
}

function edgeAttrs(e, defaultColor) {
  const attrs = { color: e.color || defaultColor, size: e.size || 1, relType: e.type, props: e.props || {} };
  if (e.caption != null) attrs.label = String(e.caption);
  return attrs;
}

export function render({ model, el: root }) {
  ensureStyle();
  const options = model.get("options") || {};
  const height = options.height || 500;
  const edgeColor = options.edge_color || "#c3ccd6";
  const random = rng(options.seed || 0);

  root.classList.add("go-gv");
  // The size goes through custom properties the stylesheet reads, not the inline height/width:
  // in an ipywidgets manager the widget's Layout view owns those inline properties and removes
  // them (its traits are unset) when it attaches after render, as VS Code's manager may do,
  // which collapsed the view to its border (tests/unit/test_vscode_widget.py).
  root.style.setProperty("--go-gv-height", `${height}px`);
  if (options.width) root.style.setProperty("--go-gv-width", `${options.width}px`);
  const stage = el("div", "go-gv-stage", root);
  const bar = el("div", "go-gv-bar", root);
  const layoutBtn = el("button", "", bar);
  const fitBtn = el("button", "", bar);
  fitBtn.textContent = "fit";
  const status = el("span", "go-gv-status", bar);
  const legendBox = el("div", "go-gv-legend", root);
  const tip = el("div", "go-gv-tip", root);

  const t0 = performance.now();
  const graph = new Graph({ multi: true, type: "mixed", allowSelfLoops: true });
  let hovered = null;
  let hoveredNeighbours = null;
  let pending = null;

  function updateCounts() {
    root.dataset.nodeCount = String(graph.order);
    root.dataset.edgeCount = String(graph.size);
    status.textContent = `${graph.order} nodes · ${graph.size} relationships` + (pending ? " · expanding…" : "");
  }

  // Adds what is new in the model's nodes/edges (existing keys keep their position, their style is
  // refreshed). Returns the keys of the nodes added.
  function sync() {
    const nodes = model.get("nodes") || [];
    const edges = model.get("edges") || [];
    const added = [];
    for (const n of nodes) {
      const key = String(n.id);
      const attrs = nodeAttrs(n);
      if (graph.hasNode(key)) {
        graph.mergeNodeAttributes(key, attrs);
      } else {
        if (typeof n.x === "number" && typeof n.y === "number") {
          attrs.x = n.x;
          attrs.y = n.y;
        } else {
          attrs.x = NaN;
          attrs.y = NaN;
        }
        graph.addNode(key, attrs);
        added.push(key);
      }
    }
    const fresh = new Set(added);
    for (const e of edges) {
      const key = String(e.id);
      const s = String(e.source);
      const t = String(e.target);
      if (graph.hasEdge(key)) continue;
      for (const end of [s, t]) {
        if (!graph.hasNode(end)) {
          graph.addNode(end, { label: end, color: "#9aa5b1", size: 3, x: NaN, y: NaN, props: {} });
          added.push(end);
          fresh.add(end);
        }
      }
      graph.addDirectedEdgeWithKey(key, s, t, edgeAttrs(e, edgeColor));
    }
    // Place new nodes: next to an already placed neighbour when there is one, else on a disc.
    const spread = Math.sqrt(Math.max(graph.order, 1)) * 10;
    for (const key of added) {
      const a = graph.getNodeAttributes(key);
      if (!Number.isNaN(a.x)) continue;
      let anchor = null;
      graph.forEachNeighbor(key, (nb, nbAttrs) => {
        if (!anchor && !fresh.has(nb) && !Number.isNaN(nbAttrs.x)) anchor = nbAttrs;
      });
      if (anchor) {
        const angle = random() * 2 * Math.PI;
        const r = 5 + random() * 10;
        graph.mergeNodeAttributes(key, { x: anchor.x + r * Math.cos(angle), y: anchor.y + r * Math.sin(angle) });
      } else {
        const angle = random() * 2 * Math.PI;
        const r = spread * Math.sqrt(random());
        graph.mergeNodeAttributes(key, { x: r * Math.cos(angle), y: r * Math.sin(angle) });
      }
    }
    updateCounts();
    return added;
  }

  function drawLegend() {
    const legend = model.get("legend") || {};
    legendBox.replaceChildren();
    if (legend.title) el("b", "", legendBox).textContent = legend.title;
    if (legend.kind === "numeric") {
      const row = el("div", "", legendBox);
      el("span", "", row).textContent = fmt(legend.min);
      const g = el("span", "go-gv-grad", row);
      g.style.background = `linear-gradient(to right, ${legend.colors.join(",")})`;
      el("span", "", row).textContent = fmt(legend.max);
    } else {
      for (const item of legend.items || []) {
        const row = el("div", "", legendBox);
        el("i", "", row).style.background = item.color;
        el("span", "", row).textContent = item.value;
      }
    }
    legendBox.style.display = legendBox.childNodes.length ? "" : "none";
  }

  sync();
  drawLegend();

  // A page keeps at most ~16 live WebGL contexts and silently drops the oldest beyond that, and
  // each view uses three: a notebook with six views would blank its first one. So a view holds
  // its renderer only while it is on screen, and at most MAX_LIVE views of the page do (see
  // makeRoom); scrolled away a view releases its contexts (graph, layout, legend and camera stay)
  // and draws again when it comes back.
  let renderer = null;
  let camera = null;

  // The moved picture (see PICTURE_ON_MOVE). `drawn` is the camera the canvases were last drawn
  // with, `moved` whether they are shown displaced (a CSS transform) rather than drawn at the
  // current camera. `movePicture`: null decides by size and renderer, true/false forces it.
  let movePicture = null;
  let drawn = null;
  let moved = false;
  let shown = null;  // the camera the moved picture is shown for (its last transform)
  let restFrame = 0;
  function usePicture() {
    return movePicture === null ? pictureOnMove(graph) : !!movePicture;
  }
  function layers(r) {
    return Object.entries(r.elements).filter(([id]) => id !== "mouse").map(([, e]) => e);
  }
  // Where a viewport point of the camera `from` is with the camera `to`.
  function viewportMap(r, from, to) {
    return (p) => r.framedGraphToViewport(r.viewportToFramedGraph(p, { cameraState: from }), { cameraState: to });
  }
  function movePictureTo(r) {
    const { width: w, height: h } = r.getDimensions();
    if (!w || !h) return;
    const map = viewportMap(r, drawn, r.getCamera().getState());
    const o = map({ x: 0, y: 0 });
    const ex = map({ x: w, y: 0 });
    const ey = map({ x: 0, y: h });
    // The affine map of the picture (translation, zoom, rotation), origin at its top left.
    const r4 = (v) => Math.round(v * 1e4) / 1e4;
    const css = `matrix(${r4((ex.x - o.x) / w)},${r4((ex.y - o.y) / w)},${r4((ey.x - o.x) / h)},` +
      `${r4((ey.y - o.y) / h)},${r4(o.x)},${r4(o.y)})`;
    for (const e of layers(r)) {
      e.style.transformOrigin = "0 0";
      e.style.transform = css;
    }
    shown = r.getCamera().getState();
    if (!moved) root.dataset.picture = "moved";
    moved = true;
  }
  function unmovePicture(r) {
    if (!moved) return;
    for (const e of layers(r)) e.style.transform = "";
    moved = false;
    delete root.dataset.picture;
  }
  // Each frame while the picture is moved: once the camera rests, draw the graph for real — at
  // once after a drag or an animation, after WHEEL_REST_MS without a step after a wheel zoom
  // (wheel steps come in bursts: a draw between two would hold up the next one).
  let restSince = null;
  let wheeled = false;
  function watchRest(r) {
    if (restFrame) return;
    const check = (now) => {
      restFrame = 0;
      if (r !== renderer || !moved) return;
      if (r.getMouseCaptor().currentWheelDirection !== 0) wheeled = true;
      if (cameraMoving(r) && !layoutRunning()) {
        restSince = null;
        restFrame = requestAnimationFrame(check);
      } else if (wheeled && !layoutRunning() && (restSince === null || now - restSince < WHEEL_REST_MS)) {
        if (restSince === null) restSince = now;
        restFrame = requestAnimationFrame(check);
      } else {
        restSince = null;
        wheeled = false;
        r.render();
      }
    };
    restFrame = requestAnimationFrame(check);
  }
  // Every render of sigma's (a camera change, a refresh, a highlight) goes through here; so does
  // sigma's picking of the node under the mouse.
  let pickAt = null;
  function interceptRender(r) {
    const draw = r.render.bind(r);
    r.render = () => {
      if (drawn && usePicture() && !layoutRunning() && (cameraMoving(r) || restFrame)) {
        if (r.renderFrame) cancelAnimationFrame(r.renderFrame);
        r.renderFrame = null;  // sigma schedules its next render only when none is pending
        movePictureTo(r);
        watchRest(r);
        return r;
      }
      unmovePicture(r);
      draw();
      drawn = r.getCamera().getState();
      root.dataset.draws = String((Number(root.dataset.draws) || 0) + 1);
      return r;
    };
    // Sigma picks the node under the mouse at each mouse move, reading a pixel back from WebGL: a
    // wait for the GPU process, and on a change of hover a redraw of its hover layer, which the
    // compositor then reads back too (software WebGL). Neither is of use while the stage is
    // dragged or the picture moved (no highlight then), so none is done.
    pickAt = r.getNodeAtPosition.bind(r);
    r.getNodeAtPosition = (point) => (moved || r.getMouseCaptor().draggedEvents > 0 ? null : pickAt(point));
  }
  // The node under a viewport point in what the user sees (the moved picture, whose picking
  // layer is the one drawn with it).
  function nodeSeenAt(r, point) {
    if (!moved) return null;
    return pickAt(viewportMap(r, shown, drawn)(point));
  }

  function createRenderer() {
    if (renderer) return;
    renderer = new Sigma(graph, stage, {
      allowInvalidContainer: true,
      renderEdgeLabels: !!options.edge_labels,
      hideEdgesOnMove: hideEdgesOnMove(graph.size),
      labelRenderedSizeThreshold: options.label_threshold ?? 7,
      zIndex: true,
      defaultEdgeType: options.arrows ? "arrow" : "line",
      nodeReducer: (node, data) => {
        if (!hovered) return data;
        if (node === hovered || hoveredNeighbours.has(node)) return { ...data, highlighted: node === hovered, zIndex: 1 };
        return { ...data, color: "#e4e7eb", label: "", zIndex: 0 };
      },
      edgeReducer: (edge, data) => {
        if (!hovered) return data;
        const [s, t] = graph.extremities(edge);
        if (s === hovered || t === hovered) return { ...data, color: "#7b8794", zIndex: 1 };
        return { ...data, hidden: true };
      },
    });
    // The constructor drew the graph at the initial camera.
    drawn = renderer.getCamera().getState();
    root.dataset.draws = String((Number(root.dataset.draws) || 0) + 1);
    interceptRender(renderer);
    if (camera) renderer.getCamera().setState(camera);
    bindEvents(renderer);
    root.dataset.movePicture = usePicture() ? "1" : "0";
    root.dataset.live = "1";
    root.dataset.softwareWebgl = softwareWebGL() ? "1" : "0";
    if (root.dataset.rendered) return;
    // Sigma drew the graph synchronously in its constructor; the frame that shows it is the next
    // one the browser produces.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      root.dataset.firstRenderMs = (performance.now() - t0).toFixed(1);
      root.dataset.firstRenderAt = performance.now().toFixed(1);
      root.dataset.rendered = "1";
    }));
  }
  function releaseRenderer() {
    if (!renderer) return;
    camera = renderer.getCamera().getState();
    if (restFrame) cancelAnimationFrame(restFrame);
    restFrame = 0;
    restSince = null;
    wheeled = false;
    unmovePicture(renderer);
    drawn = null;
    hovered = null;
    hoveredNeighbours = null;
    tip.style.display = "none";
    renderer.kill();
    renderer = null;
    root.dataset.live = "0";
  }
  const me = { onScreen: false, since: 0, release: releaseRenderer };  // this view in LIVE
  const visibility = typeof IntersectionObserver === "function" ? new IntersectionObserver((entries) => {
    me.onScreen = entries[entries.length - 1].isIntersecting;
    if (me.onScreen) {
      me.since = performance.now();
      makeRoom(me);
      createRenderer();
      LIVE.add(me);
    } else {
      releaseRenderer();
      LIVE.delete(me);
    }
  }) : null;
  if (visibility) visibility.observe(root);
  else createRenderer();

  // Layout: ForceAtlas2 in a web worker, for a time that grows with the graph, then it stops by
  // itself (the button restarts it). Where workers are refused (strict sandboxes), a few
  // synchronous iterations per animation frame instead.
  const fa2Settings = { ...forceAtlas2.inferSettings(graph), adjustSizes: false };
  let layout = null;
  let layoutTimer = null;
  let syncLayoutRunning = false;
  function layoutRunning() {
    return syncLayoutRunning || (layout !== null && layout.isRunning());
  }
  function setLayoutLabel() {
    layoutBtn.textContent = layoutRunning() ? "stop layout" : "layout";
    root.dataset.layout = layoutRunning() ? "running" : "stopped";
  }
  function stopLayout() {
    if (layoutTimer) clearTimeout(layoutTimer);
    layoutTimer = null;
    syncLayoutRunning = false;
    if (layout) layout.stop();
    setLayoutLabel();
  }
  let workerRefused = false;
  function startSyncLayout() {
    syncLayoutRunning = true;
    const step = () => {
      if (!syncLayoutRunning) return;
      forceAtlas2.assign(graph, { iterations: graph.order > 5000 ? 1 : 5, settings: fa2Settings });
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }
  function startLayout(ms) {
    if (options.layout === "none" || graph.order < 2) return;
    stopLayout();
    if (!workerRefused) {
      try {
        if (!layout) {
          layout = new FA2Layout(graph, { settings: fa2Settings });
          // A worker refused after creation (content security policy) → the in-page fallback.
          if (layout.worker) layout.worker.addEventListener("error", () => {
            workerRefused = true;
            if (layout) layout.kill();
            layout = null;
            startLayout(ms);
          });
        }
        layout.start();
      } catch (err) {
        workerRefused = true;
        layout = null;
      }
    }
    if (workerRefused) startSyncLayout();
    layoutTimer = setTimeout(stopLayout, ms);
    setLayoutLabel();
  }
  const layoutMs = options.layout_ms ?? Math.min(2000 + graph.order * 2, 15000);
  layoutBtn.addEventListener("click", () => (layoutRunning() ? stopLayout() : startLayout(layoutMs)));
  fitBtn.addEventListener("click", () => {
    if (renderer) renderer.getCamera().animatedReset({ duration: 300 });
  });
  startLayout(layoutMs);

  // Hover: highlight the neighbourhood and show the node's properties.
  function showTip(node, event) {
    const a = graph.getNodeAttributes(node);
    tip.replaceChildren();
    el("b", "", tip).textContent = `${a.group ?? ""} ${a.label}`.trim();
    const table = el("table", "", tip);
    const entries = Object.entries(a.props || {}).slice(0, 20);
    for (const [k, v] of entries) {
      const tr = el("tr", "", table);
      el("td", "", tr).textContent = k;
      el("td", "", tr).textContent = fmt(v);
    }
    const foot = el("div", "go-gv-status", tip);
    foot.textContent = `${graph.degree(node)} relationships shown` + (model.get("expandable") ? " · click to expand" : "");
    tip.style.display = "block";
    const box = root.getBoundingClientRect();
    const x = event && event.x !== undefined ? event.x : 0;
    const y = event && event.y !== undefined ? event.y : 0;
    tip.style.left = `${Math.min(x + 12, box.width - 200)}px`;
    tip.style.top = `${Math.min(y + 12, box.height - 60)}px`;
  }
  function bindEvents(r) {
    r.on("enterNode", ({ node, event }) => {
      // Dragging the stage across nodes: no highlight (each would redraw the whole graph); nor
      // while the picture is moved (sigma picks from the moved picture's layer).
      if (r.getMouseCaptor().isMouseDown || moved) return;
      hovered = node;
      hoveredNeighbours = new Set(graph.neighbors(node));
      showTip(node, event);
      // Drawn in the next frame: when a drag begins on a node, that frame already counts as
      // moving (relationships hidden) instead of a full frame drawn before the move.
      r.refresh({ skipIndexation: true, schedule: true });
    });
    r.on("leaveNode", () => {
      if (!hovered) return;
      hovered = null;
      hoveredNeighbours = null;
      tip.style.display = "none";
      r.refresh({ skipIndexation: true, schedule: true });
    });
    r.on("clickNode", ({ node }) => expand(node));
    // While the picture is moved (the camera not yet at rest, e.g. a drag's inertia) sigma picks
    // nothing (see interceptRender) and reports a click on the stage: pick in the picture the
    // user clicked.
    r.on("clickStage", ({ event }) => {
      const node = nodeSeenAt(r, event);
      if (node) expand(node);
    });
  }

  // Click: ask Python to expand the node (query the instance for its neighbours).
  function expand(node) {
    if (!model.get("expandable") || pending) return false;
    pending = node;
    updateCounts();
    model.send({ type: "expand", node });
    // No answer (kernel busy or gone): allow another click after a while.
    const asked = node;
    setTimeout(() => {
      if (pending === asked) {
        pending = null;
        updateCounts();
      }
    }, 120000);
    return true;
  }

  function onData() {
    const added = sync();
    if (renderer) {
      if (renderer.getSetting("hideEdgesOnMove") !== hideEdgesOnMove(graph.size)) {
        renderer.setSetting("hideEdgesOnMove", hideEdgesOnMove(graph.size));
      }
      root.dataset.movePicture = usePicture() ? "1" : "0";
      renderer.refresh();
    }
    if (added.length) startLayout(Math.min(1500 + added.length * 2, 6000));
  }
  model.on("change:nodes", onData);
  model.on("change:edges", onData);
  model.on("change:legend", drawLegend);
  model.on("msg:custom", (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "expanded" || msg.type === "error") {
      pending = null;
      updateCounts();
      root.dataset.expanded = String((Number(root.dataset.expanded) || 0) + 1);
      if (msg.type === "error") status.textContent += ` · ${msg.message}`;
    }
  });

  // Notebook front ends may attach the element after `render` returns, or resize it later.
  let lastSize = "";
  const resizeObserver = typeof ResizeObserver === "function" ? new ResizeObserver(() => {
    const size = `${root.clientWidth}x${root.clientHeight}`;
    if (size === lastSize) return;
    lastSize = size;
    if (!renderer) return;
    renderer.resize();
    renderer.refresh({ skipIndexation: true });
  }) : null;
  if (resizeObserver) resizeObserver.observe(root);

  setLayoutLabel();
  root.__graphOlap = {
    graph, expand, stopLayout, startLayout, sync: onData,
    get renderer() { return renderer; },  // null while the view is off screen
    // Whether a moving camera moves the last picture instead of drawing (null: by size and
    // renderer, see PICTURE_ON_MOVE); the benchmark compares both ways on one page.
    get movePicture() { return movePicture; },
    set movePicture(value) {
      movePicture = value === null || value === undefined ? null : !!value;
      root.dataset.movePicture = usePicture() ? "1" : "0";
    },
  };

  return () => {
    if (resizeObserver) resizeObserver.disconnect();
    if (visibility) visibility.disconnect();
    stopLayout();
    if (layout) layout.kill();
    releaseRenderer();
    LIVE.delete(me);
  };
}

// For standalone pages (no Jupyter): a model with the surface anywidget gives `render`.
export function localModel(state) {
  const listeners = {};
  const model = {
    sent: [],
    get: (k) => state[k],
    set: (k, v) => {
      state[k] = v;
      for (const cb of listeners[`change:${k}`] || []) cb();
    },
    save_changes: () => {},
    on: (name, cb) => {
      (listeners[name] = listeners[name] || []).push(cb);
    },
    off: () => {},
    send: (msg) => {
      model.sent.push(msg);
      if (typeof model.onsend === "function") model.onsend(msg);
    },
    receive: (msg) => {
      for (const cb of listeners["msg:custom"] || []) cb(msg);
    },
  };
  return model;
}

export function mount(root, state) {
  const model = localModel(state);
  const dispose = render({ model, el: root });
  return { model, dispose };
}

globalThis.GraphOLAPView = { render, mount, localModel };

export default { render };

"""Runs the openCypher TCK's read-only scenarios through the whole platform and reports.

    scripts/tck [--filter REGEX] [--jobs N] [--out DIR] [--bin PATH] [--verbose]

1. reads every ``.feature`` under ``tests/tck/features`` (:mod:`gherkin`), selects the scenarios
   the platform can run and counts the others by reason (:mod:`selection`);
2. writes each distinct set-up graph as Parquet tables into one warehouse directory, one schema
   per set-up (:mod:`tables`), the empty graph included;
3. starts ``graph-olap up --warehouse-dir`` on a free port, and per set-up — through the Python
   SDK, as an analyst would — creates a mapping, an instance from it (export + load), runs every
   scenario of that set-up with its parameters, compares (:mod:`compare`) and terminates the
   instance; set-ups run ``--jobs`` at a time;
4. prints the pass rate per feature file, overall, the excluded scenarios per reason and the
   failures per kind, and writes ``report.md`` and ``results.json`` to ``--out``.

Exit status: 0 when the run completed (whatever the pass rate; the figure is the output), 1 when
the platform could not be started, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import compare_rows, decode_rows, error_matches  # noqa: E402
from gherkin import load  # noqa: E402
from selection import Excluded, Runnable, classify, schema_tables  # noqa: E402
from tables import write  # noqa: E402

ANALYST = "analyst_alice@e2e.local"


@dataclass
class Outcome:
    """One scenario's result: ``pass`` or a failure kind, with a short detail."""

    key: str
    feature_path: str
    kind: str
    detail: str = ""


def binary() -> Path:
    """The ``graph-olap`` binary: ``$GRAPH_OLAP_BIN``, else ``$CARGO_TARGET_DIR/debug``, else
    the shared target directory of ``scripts/build-env.sh``."""
    if os.environ.get("GRAPH_OLAP_BIN"):
        return Path(os.environ["GRAPH_OLAP_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or str(
        Path.home() / ".cache/graph-olap/target-dev")
    return Path(target) / "debug" / "graph-olap"


class Platform:
    """A ``graph-olap up`` process on a free port over a given warehouse directory."""

    def __init__(self, exe: Path, data_dir: Path, warehouse: Path) -> None:
        self.log_path = data_dir / "graph-olap-up.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        self.proc = subprocess.Popen(
            [str(exe), "up", "--data-dir", str(data_dir), "--warehouse-dir", str(warehouse),
             "--listen", "127.0.0.1:0"],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        url_file = data_dir / "url"
        deadline = time.monotonic() + 180
        self.url = ""
        import httpx
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"graph-olap up exited with {self.proc.returncode}:\n"
                                   + self.tail())
            if url_file.exists() and url_file.read_text().strip():
                url = url_file.read_text().strip().rstrip("/")
                try:
                    if httpx.get(url + "/health", timeout=2).status_code == 200:
                        self.url = url
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("graph-olap up not ready after 180 s:\n" + self.tail())

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def run_scenario(conn: Any, r: Runnable) -> Tuple[str, str]:
    """Run one scenario on a connected instance: (kind, detail)."""
    from graph_olap.exceptions import GraphOLAPError
    exp = r.expect
    try:
        res = conn.query(r.query, r.parameters, coerce_types=False, timeout_ms=20_000)
    except GraphOLAPError as e:
        code = e.code or "?"
        reason = e.details.get("reason") if isinstance(e.details, dict) else None
        msg = " ".join(str(e.message).split())[:240]
        if exp.error:
            if error_matches(exp.error, code, reason):
                return "pass", ""
            return "wrong error class", f"expected {exp.error}, got {code}/{reason}: {msg}"
        kind = {"QUERY_UNSUPPORTED": "refused (QUERY_UNSUPPORTED)",
                "QUERY_SYNTAX_ERROR": "syntax error (our parser)",
                "QUERY_FAILED": "engine error (QUERY_FAILED)",
                "QUERY_TIMEOUT": "timeout"}.get(code, f"error {code}")
        return kind, f"{code}/{reason}: {msg}"
    except Exception as e:  # a transport failure is one scenario's outcome
        return "client error", f"{e.__class__.__name__}: {str(e)[:200]}"
    if exp.error:
        return "no error raised", f"expected {exp.error} ({exp.error_detail}), got " \
                                  f"{res.row_count} rows"
    if res.truncated:
        return "wrong result", "result truncated"
    actual = decode_rows(res.columns, res.column_types, res.rows)
    if not exp.columns and not exp.rows:
        return ("pass", "") if not actual else ("wrong result", f"{len(actual)} rows, none "
                                                                 "expected")
    why = compare_rows(exp.columns, exp.rows, res.columns, actual, exp.ordered,
                       exp.ignore_list_order)
    return ("pass", "") if why is None else ("wrong result", why)


def run_group(url: str, index: int, setup: Tuple[str, ...], runs: List[Runnable],
              log: Any) -> List[Outcome]:
    """Mapping → instance → every scenario of one set-up → terminate."""
    from graph_olap import GraphOLAPClient
    from graph_olap.exceptions import ConcurrencyLimitError, GraphOLAPError
    client = GraphOLAPClient(url, username=ANALYST)
    tables = schema_tables(setup, f"g{index:03d}")
    out: List[Outcome] = []

    def start(mapping_id: int) -> Any:
        for attempt in range(5):
            try:
                return client.instances.create_from_mapping_and_wait(
                    mapping_id, f"tck-{index:03d}", show_progress=False, poll_interval=0.25,
                    timeout=600)
            except ConcurrencyLimitError:
                if attempt == 4:
                    raise
                time.sleep(3)

    try:
        mapping = client.mappings.create(f"tck-{index:03d}", "openCypher TCK set-up",
                                         node_definitions=tables.node_definitions,
                                         edge_definitions=tables.edge_definitions)
        inst = start(mapping.id)
        conn = client.instances.connect(inst.id)
    except (GraphOLAPError, TimeoutError) as e:
        msg = " ".join(str(e).split())[:300]
        log(f"set-up {index}: load failed: {msg}")
        return [Outcome(r.scenario.key, r.scenario.path, "set-up not loaded", msg) for r in runs]
    try:
        for r in runs:
            kind, detail = run_scenario(conn, r)
            if kind != "pass" and ("did not answer" in detail
                                   or client.instances.get(inst.id).status != "running"):
                # The query took the instance down: that is this scenario's outcome, and the
                # rest of the set-up runs on a new instance.
                kind, detail = "instance crashed", f"{detail} (query: {r.query[:120]!r})"
                log(f"set-up {index}: instance crashed on {r.scenario.key}; starting another")
                inst = start(mapping.id)
                conn = client.instances.connect(inst.id)
            out.append(Outcome(r.scenario.key, r.scenario.path, kind, detail))
    finally:
        try:
            client.instances.terminate(inst.id)
        except GraphOLAPError as e:
            log(f"set-up {index}: terminate failed: {e}")
    return out


def translate_only(runs: List[Runnable]) -> List[Outcome]:
    """Every selected query through our parser, gate and translator only (no engine, no
    platform): what reaches the engine, what we refuse, what we reject as a syntax error."""
    target = os.environ.get("CARGO_TARGET_DIR") or str(
        Path.home() / ".cache/graph-olap/target-dev")
    subprocess.run(["cargo", "build", "-q", "-p", "graph-olap-cypher", "--example",
                    "prepare_batch"], check=True, cwd=HERE.parent.parent)
    exe = Path(target) / "debug" / "examples" / "prepare_batch"
    text = "\0".join(r.query for r in runs)
    lines = subprocess.run([str(exe)], input=text, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    if len(lines) != len(runs):
        raise RuntimeError(f"{len(lines)} answers for {len(runs)} statements")
    out: List[Outcome] = []
    for r, line in zip(runs, lines):
        kind, detail = line.split("\t", 1)
        if r.expect.error:
            ours = {"syntax": "QUERY_SYNTAX_ERROR", "unsupported": "QUERY_UNSUPPORTED",
                    "read_only": "READ_ONLY_VIOLATION"}.get(kind)
            if ours is None:
                label = "expected error: left to the engine"
            elif error_matches(r.expect.error, ours, None):
                label = "pass"
            else:
                label = f"expected error: we raise {ours}"
        else:
            label = {"ok": "pass", "syntax": "syntax error (our parser)",
                     "unsupported": "refused (QUERY_UNSUPPORTED)",
                     "read_only": "read-only violation"}[kind]
        out.append(Outcome(r.scenario.key, r.scenario.path, label, detail[:240]))
    return out


def pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "–"


def report(all_count: Dict[str, int], excluded: List[Excluded], outcomes: List[Outcome],
           seconds: float, setups: int) -> str:
    """The Markdown report: per feature file, overall, exclusions and failures by kind."""
    ex_by_file: Counter = Counter(e.scenario.path for e in excluded)
    run_by_file: Counter = Counter(o.feature_path for o in outcomes)
    pass_by_file: Counter = Counter(o.feature_path for o in outcomes if o.kind == "pass")
    lines = ["| feature file | scenarios | excluded | run | passed | pass rate |",
             "|---|---:|---:|---:|---:|---:|"]
    for path in sorted(all_count):
        lines.append(f"| `{path}` | {all_count[path]} | {ex_by_file[path]} | "
                     f"{run_by_file[path]} | {pass_by_file[path]} | "
                     f"{pct(pass_by_file[path], run_by_file[path])} |")
    total = sum(all_count.values())
    ran = len(outcomes)
    passed = sum(1 for o in outcomes if o.kind == "pass")
    lines.append(f"| **all** | **{total}** | **{len(excluded)}** | **{ran}** | **{passed}** | "
                 f"**{pct(passed, ran)}** |")
    lines += ["", f"{ran} scenarios run on {setups} set-up graphs in {seconds:.0f} s; "
              f"{passed} passed ({pct(passed, ran)} of those run, {pct(passed, total)} of all "
              f"{total}).", "", "| excluded because | scenarios |", "|---|---:|"]
    for reason, n in Counter(e.reason for e in excluded).most_common():
        lines.append(f"| {reason} | {n} |")
    lines += ["", "| outcome | scenarios |", "|---|---:|"]
    for kind, n in Counter(o.kind for o in outcomes).most_common():
        lines.append(f"| {kind} | {n} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", type=Path, default=HERE / "features")
    ap.add_argument("--filter", default="", help="regex on 'path:line name' of scenarios")
    ap.add_argument("--jobs", type=int, default=2, help="set-ups run at a time (default 2)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "graph-olap-tck")
    ap.add_argument("--bin", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the platform's data directory")
    ap.add_argument("--verbose", action="store_true", help="print every failure")
    ap.add_argument("--translate-only", action="store_true",
                    help="no platform: run the queries through our parser and translator only; "
                         "'pass' then means translated (rows expected) or refused with the "
                         "right class before any engine (error expected)")
    args = ap.parse_args(argv)
    exe = args.bin or binary()
    if not exe.exists() and not args.translate_only:
        print(f"graph-olap binary not found at {exe}; build it (scripts/build) or set "
              "GRAPH_OLAP_BIN", file=sys.stderr)
        return 2
    started = time.monotonic()
    scenarios = load(args.features)
    if args.filter:
        rx = re.compile(args.filter)
        scenarios = [s for s in scenarios if rx.search(s.key)]
    all_count: Counter = Counter(s.path for s in scenarios)
    cache: Dict[Tuple[str, ...], Any] = {}
    excluded: List[Excluded] = []
    groups: Dict[Tuple[str, ...], List[Runnable]] = defaultdict(list)
    for s in scenarios:
        c = classify(s, cache)
        if isinstance(c, Excluded):
            excluded.append(c)
        else:
            groups[c.setup].append(c)
    print(f"{len(scenarios)} scenarios: {sum(len(v) for v in groups.values())} to run on "
          f"{len(groups)} set-up graphs, {len(excluded)} excluded", flush=True)

    if args.translate_only:
        checked = translate_only([r for runs in groups.values() for r in runs])
        text = report(dict(all_count), excluded, checked, time.monotonic() - started,
                      len(groups))
        print(text)
        if args.verbose:
            for o in checked:
                if o.kind != "pass":
                    print(f"{o.kind}: {o.key}\n     {o.detail}")
        return 0

    work = Path(tempfile.mkdtemp(prefix="graph-olap-tck-"))
    warehouse = work / "warehouse"
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    for i, (setup, _) in enumerate(ordered):
        write(schema_tables(setup, f"g{i:03d}"), warehouse, f"g{i:03d}")
    lock = threading.Lock()

    def log(msg: str) -> None:
        with lock:
            print(msg, flush=True)

    (work / "data").mkdir()
    try:
        platform = Platform(exe, work / "data", warehouse)
    except RuntimeError as e:
        print(str(e), file=sys.stderr)
        return 1
    outcomes: List[Outcome] = []
    done = [0]

    def one(item: Tuple[int, Tuple[Tuple[str, ...], List[Runnable]]]) -> List[Outcome]:
        i, (setup, runs) = item
        res = run_group(platform.url, i, setup, runs, log)
        with lock:
            done[0] += 1
            ok = sum(1 for o in res if o.kind == "pass")
            print(f"[{done[0]}/{len(ordered)}] set-up {i}: {ok}/{len(res)} passed", flush=True)
        return res

    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for res in pool.map(one, enumerate(ordered)):
                outcomes.extend(res)
    finally:
        platform.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"platform data kept in {work}")
    seconds = time.monotonic() - started
    text = report(dict(all_count), excluded, outcomes, seconds, len(groups))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(text)
    (args.out / "results.json").write_text(json.dumps(
        {"outcomes": [o.__dict__ for o in outcomes],
         "excluded": [{"key": e.scenario.key, "reason": e.reason} for e in excluded]},
        indent=1))
    if args.verbose:
        for o in outcomes:
            if o.kind != "pass":
                print(f"FAIL {o.key}\n     {o.kind}: {o.detail}")
    print(text)
    print(f"report: {args.out / 'report.md'}, every scenario: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

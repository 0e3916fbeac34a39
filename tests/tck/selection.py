"""Which TCK scenarios the platform can run, and what each expects.

A scenario runs when it is read-only — its query has no updating clause and it expects no side
effects — and its initial graph can be stated as warehouse tables (:mod:`setup_graph`,
:mod:`tables`). Every other scenario is excluded with one countable reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from gherkin import Scenario
from setup_graph import Unsupported, build
from tables import NotExpressible, Tables, express
from values import NotationError, parse_value

UPDATING = re.compile(
    r"(?<![.:$\w`])(CREATE|MERGE|SET|DELETE|REMOVE|FOREACH|DETACH|LOAD\s+CSV)(?![\w`])", re.I)
STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
NAMED_GRAPHS = {"binary-tree-1", "binary-tree-2"}


@dataclass
class Expectation:
    """What the scenario expects: rows (with column names and order rules) or an error."""

    columns: List[str]
    rows: List[List[Any]]
    ordered: bool = False
    ignore_list_order: bool = False
    error: Optional[str] = None
    error_phase: Optional[str] = None
    error_detail: Optional[str] = None


@dataclass
class Runnable:
    """A selected scenario: its set-up (``None`` for an empty graph), query, parameters and
    expectation."""

    scenario: Scenario
    setup: Tuple[str, ...]
    query: str
    parameters: Dict[str, Any]
    expect: Expectation


@dataclass
class Excluded:
    """A scenario left out, with the reason counted in the report."""

    scenario: Scenario
    reason: str


def is_updating(query: str) -> bool:
    """Whether the query text has an updating clause (keywords outside strings, comments,
    backticked names, property keys and labels)."""
    return UPDATING.search(STRINGS.sub("''", query)) is not None


def _expectation(s: Scenario) -> Optional[Expectation]:
    for st in s.steps:
        t = st.text
        if t.startswith("the result should be empty"):
            return Expectation([], [])
        if t.startswith("the result should be"):
            assert st.table is not None, s.key
            header, body = st.table[0], st.table[1:]
            rows = [[parse_value(c) for c in row] for row in body]
            return Expectation(header, rows, ordered="in order" in t,
                               ignore_list_order="ignoring element order for lists" in t)
        m = re.match(r"an? (\w+) should be raised at ([a-z ]+):\s*(\S+)", t)
        if m:
            return Expectation([], [], error=m.group(1), error_phase=m.group(2),
                               error_detail=m.group(3))
    return None


def classify(s: Scenario, tables_cache: Dict[Tuple[str, ...], Any]) -> Any:
    """A :class:`Runnable` or an :class:`Excluded` for the scenario."""
    texts = [st.text for st in s.steps]
    queries = [st for st in s.steps if st.text.startswith("executing query")]
    if len(queries) != 1:
        return Excluded(s, "not one query")
    q = queries[0]
    query = q.doc if q.doc is not None else q.text.split(":", 1)[1].strip()
    if is_updating(query):
        return Excluded(s, "updating query")
    if any(t.startswith("the side effects should be") for t in texts):
        return Excluded(s, "expects side effects")
    if any(t.startswith("executing control query") for t in texts):
        return Excluded(s, "needs a control query")
    if any(t.startswith("there exists a procedure") for t in texts):
        return Excluded(s, "needs a test procedure")
    if any(t.startswith("the ") and t.endswith(" graph") and t[4:-6] in NAMED_GRAPHS
           for t in texts):
        graph = next(t[4:-6] for t in texts if t.startswith("the ") and t.endswith(" graph"))
        setup = [f"@named:{graph}"]
    else:
        setup = []
    setup += [st.doc or "" for st in s.steps if st.text.startswith("having executed")]
    try:
        expect = _expectation(s)
    except (NotationError, ValueError) as e:
        return Excluded(s, f"expected value not readable ({e.__class__.__name__})")
    if expect is None:
        return Excluded(s, "no expectation")
    if expect.error and expect.error not in (
            "SyntaxError", "SemanticError", "TypeError", "ArgumentError", "ArithmeticError",
            "ParameterMissing"):
        return Excluded(s, f"expects {expect.error}")
    params: Dict[str, Any] = {}
    for st in s.steps:
        if st.text.startswith("parameters are"):
            for row in st.table or []:
                try:
                    params[row[0]] = parse_value(row[1])
                except (NotationError, ValueError):
                    return Excluded(s, "parameter value not readable")
    key = tuple(setup)
    if key not in tables_cache:
        tables_cache[key] = _tables(key)
    got = tables_cache[key]
    if isinstance(got, str):
        return Excluded(s, got)
    return Runnable(s, key, query, params, expect)


def named_graph_text(name: str) -> str:
    """The Cypher of a named TCK graph (shipped next to the features)."""
    from pathlib import Path
    here = Path(__file__).resolve().parent
    return (here / "graphs" / name / f"{name}.cypher").read_text(encoding="utf-8")


def _tables(setup: Tuple[str, ...]) -> Any:
    texts = [named_graph_text(t[len("@named:"):]) if t.startswith("@named:") else t
             for t in setup]
    try:
        g = build(texts)
        return express(g, "probe")
    except Unsupported as e:
        return e.reason
    except NotExpressible as e:
        return e.reason


def schema_tables(setup: Tuple[str, ...], schema: str) -> Tables:
    """The tables of a selected set-up, with SQL naming warehouse schema ``schema``."""
    texts = [named_graph_text(t[len("@named:"):]) if t.startswith("@named:") else t
             for t in setup]
    return express(build(texts), schema)

"""Tests of the TCK harness's own parts (no platform needed): Gherkin reading, the value
notation, set-up interpretation, the table rules and the comparison.

    python3 -m pytest -q tests/tck/test_harness.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import compare_rows, decode, error_matches  # noqa: E402
from gherkin import load, parse_feature  # noqa: E402
from selection import Excluded, Runnable, classify, is_updating  # noqa: E402
from setup_graph import Unsupported, build  # noqa: E402
from tables import KEY, NotExpressible, express  # noqa: E402
from values import Node, Rel, parse_value, render  # noqa: E402
from values import Path as TPath  # noqa: E402

FEATURE = '''
Feature: Demo

  Background:
    Given an empty graph

  Scenario: [1] plain
    And having executed:
      """
      CREATE (:A {name: 'a'})-[:T {w: 1}]->(:B)
      """
    When executing query:
      """
      MATCH (a:A)-->(b) RETURN a.name AS n
      """
    Then the result should be, in any order:
      | n   |
      | 'a' |
    And no side effects

  Scenario Outline: [2] outline <x>
    When executing query:
      """
      RETURN <x> AS v
      """
    Then the result should be, in order:
      | v   |
      | <x> |
    And no side effects

    Examples:
      | x       |
      | 1       |
      | 'a\\|b' |
'''


def test_outlines_expand_and_the_background_comes_first(tmp_path: Path) -> None:
    f = tmp_path / "Demo.feature"
    f.write_text(FEATURE)
    scenarios = parse_feature(f, "Demo.feature")
    assert scenarios[0].name == "[1] plain"
    assert len(scenarios) == 3
    assert scenarios[0].steps[0].text == "an empty graph"
    second = scenarios[2]
    assert second.steps[1].doc == "RETURN 'a|b' AS v"
    assert second.steps[2].table == [["v"], ["'a|b'"]]


def test_every_vendored_feature_file_reads() -> None:
    scenarios = load(HERE / "features")
    assert len(scenarios) > 2000
    cache: dict = {}
    kinds = [classify(s, cache) for s in scenarios]
    assert sum(isinstance(k, Runnable) for k in kinds) > 2500
    reasons = {k.reason for k in kinds if isinstance(k, Excluded)}
    assert "updating query" in reasons and "node without a label" in reasons


@pytest.mark.parametrize("text,value", [
    ("1", 1), ("-1.5", -1.5), ("'it\\'s'", "it's"), ("[1, [2, 'x']]", [1, [2, "x"]]),
    ("{a: 1, `b c`: null}", {"a": 1, "b c": None}), ("true", True), ("null", None),
    ("1e3", 1000.0), ("-Inf", -math.inf),
])
def test_value_notation(text: str, value: object) -> None:
    assert parse_value(text) == value


def test_graph_elements_compare_by_content() -> None:
    n = parse_value("(:A {name: 'x', age: 3})")
    assert n == Node(frozenset({"A"}), (("age", 3), ("name", "x")))
    assert parse_value("[:T {w: 1}]") == Rel("T", (("w", 1),))
    p = parse_value("<(:A)-[:T]->(:B)<-[:S]-(:A)>")
    assert isinstance(p, TPath) and [d for _, d in p.rels] == [True, False]
    assert render(p) == "<(:A)-[:T]->(:B)<-[:S]-(:A)>"


def test_setups_become_graphs_or_say_why_not() -> None:
    g = build(["CREATE (a:A {x: 1}), (b:B)-[:T {y: 2}]->(a)\nCREATE (a)<-[:S]-(c:C)"])
    assert [n.labels for n in g.nodes] == [["A"], ["B"], ["C"]]
    assert [(r.type, r.src, r.dst) for r in g.rels] == [("T", 1, 0), ("S", 2, 0)]
    with pytest.raises(Unsupported, match="MATCH"):
        build(["MATCH (a) CREATE (a)-[:T]->()"])
    with pytest.raises(Unsupported, match="not a literal"):
        build(["CREATE ({d: date('2020-01-01')})"])


def test_table_rules() -> None:
    t = express(build(["CREATE (:A {name: 'a', n: 1}), (:A {n: 2, tags: ['x']})"]), "s")
    a = t.files["a"]
    assert a.column_names == [KEY, "name", "n", "tags"]
    assert a.column("name").to_pylist() == ["a", None]
    assert t.node_definitions[0]["properties"][2] == {"name": "tags", "type": "LIST<STRING>"}
    for setup, reason in [
        ("CREATE ()", "node without a label"),
        ("CREATE (:A:B)", "several labels"),
        ("CREATE (:A {x: 1}), (:A {x: 'a'})", "several types"),
        ("CREATE (:A)-[:T]->(:B), (:B)-[:T]->(:A)", "several label pairs"),
        ("CREATE (:A)-[:knows]->(:A)", "not upper case"),
    ]:
        with pytest.raises(NotExpressible, match=reason):
            express(build([setup]), "s")
    empty = express(build([]), "s")
    assert [d["label"] for d in empty.node_definitions] == ["TckEmptyGraph"]


def test_updating_queries_are_recognised() -> None:
    assert is_updating("MATCH (n) SET n.x = 1")
    assert is_updating("CREATE (n)")
    assert not is_updating("MATCH (n:Set) WHERE n.create = 'DELETE' RETURN n.`set`")


def test_api_values_decode_to_tck_values() -> None:
    node = {"_id": 3, "_label": "A", KEY: 7, "name": "x", "gone": None}
    assert decode(node) == parse_value("(:A {name: 'x'})")
    rel = {"_id": 9, "_type": "T", "_src": 3, "_dst": 4, "w": 1}
    path = {"_nodes": [node, {"_id": 4, "_label": "B", KEY: 8}], "_rels": [rel]}
    assert decode(path) == parse_value("<(:A {name: 'x'})-[:T {w: 1}]->(:B)>")
    back = {"_nodes": path["_nodes"], "_rels": [dict(rel, _src=4, _dst=3)]}
    assert decode(back) == parse_value("<(:A {name: 'x'})<-[:T {w: 1}]-(:B)>")
    assert math.isnan(decode("NaN", "DOUBLE"))


def test_row_comparison() -> None:
    assert compare_rows(["a"], [[1], [2]], ["a"], [[2], [1]], False, False) is None
    assert compare_rows(["a"], [[1], [2]], ["a"], [[2], [1]], True, False) is not None
    assert compare_rows(["a"], [[1]], ["a"], [[1.0]], False, False) is not None
    assert compare_rows(["a"], [[[1, 2]]], ["a"], [[[2, 1]]], False, True) is None
    assert compare_rows(["a"], [[1]], ["b"], [[1]], False, False) is not None
    assert compare_rows(["a", "b"], [[1, 2]], ["b", "a"], [[2, 1]], True, False) is None
    assert error_matches("SyntaxError", "QUERY_SYNTAX_ERROR", None)
    assert error_matches("TypeError", "QUERY_FAILED", "type_error")
    assert not error_matches("TypeError", "QUERY_FAILED", "other")
    assert not error_matches("SyntaxError", "QUERY_UNSUPPORTED", None)

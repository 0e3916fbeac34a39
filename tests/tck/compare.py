"""Compares the platform's answer to a scenario's expectation.

Actual values arrive as the instance API's JSON (API.md §10.6, read with ``coerce_types=False``):
nodes as ``{"_id", "_label", props…}``, relationships as ``{"_id", "_type", "_src", "_dst",
props…}``, paths as ``{"_nodes", "_rels"}``. They are turned into the TCK's content-only form
(:mod:`values`): a node's null properties and the loader's synthetic key are dropped (a node object
carries every property of its label, the TCK's notation only the set ones), a path's relationship
directions are read from ``_src``.

Expected errors pass when the platform raises an error of the matching class:

==============================  =========================================================
TCK error                       platform error
==============================  =========================================================
SyntaxError, SemanticError      ``QUERY_SYNTAX_ERROR``
TypeError                       ``QUERY_FAILED`` with reason ``type_error``
ArgumentError                   ``QUERY_FAILED`` (any reason)
ArithmeticError                 ``QUERY_FAILED`` with reason ``division_by_zero``
ParameterMissing                ``QUERY_FAILED`` with reason ``missing_parameter``
==============================  =========================================================
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

from tables import DST, KEY, SRC
from values import Node, Path, Rel, freeze, render, sort_lists

HIDDEN = {KEY, SRC, DST}
SPECIAL_FLOATS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}

ERROR_CLASSES: Dict[str, Tuple[str, Optional[Sequence[str]]]] = {
    "SyntaxError": ("QUERY_SYNTAX_ERROR", None),
    "SemanticError": ("QUERY_SYNTAX_ERROR", None),
    "TypeError": ("QUERY_FAILED", ("type_error",)),
    "ArgumentError": ("QUERY_FAILED", None),
    "ArithmeticError": ("QUERY_FAILED", ("division_by_zero",)),
    "ParameterMissing": ("QUERY_FAILED", ("missing_parameter",)),
}


def _props(obj: Dict[str, Any]) -> Tuple[Tuple[str, Any], ...]:
    return tuple(sorted((k, decode(v)) for k, v in obj.items()
                        if not k.startswith("_") and k not in HIDDEN and v is not None))


def _node(obj: Dict[str, Any]) -> Node:
    return Node(frozenset([obj["_label"]]) if obj.get("_label") else frozenset(), _props(obj))


def _rel(obj: Dict[str, Any]) -> Rel:
    return Rel(str(obj["_type"]), _props(obj))


def decode(value: Any, column_type: str = "ANY") -> Any:
    """One JSON value of the API as a TCK value."""
    if isinstance(value, dict):
        if "_label" in value and "_id" in value:
            return _node(value)
        if "_type" in value and "_src" in value:
            return _rel(value)
        if "_nodes" in value and "_rels" in value:
            nodes = value["_nodes"]
            rels = []
            for i, r in enumerate(value["_rels"]):
                rels.append((_rel(r), r.get("_src") == nodes[i].get("_id")))
            return Path(tuple(_node(n) for n in nodes), tuple(rels))
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        inner = column_type[5:-1] if column_type.startswith("LIST<") else "ANY"
        return [decode(v, inner) for v in value]
    if isinstance(value, str) and column_type in ("DOUBLE", "FLOAT") and value in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[value]
    return value


def decode_rows(columns: List[str], column_types: List[str],
                rows: List[List[Any]]) -> List[List[Any]]:
    """Every cell of a result as a TCK value."""
    return [[decode(v, t) for v, t in zip(row, column_types)] for row in rows]


def compare_rows(expected_columns: List[str], expected: List[List[Any]], columns: List[str],
                 actual: List[List[Any]], ordered: bool, ignore_list_order: bool
                 ) -> Optional[str]:
    """``None`` when the result matches, otherwise a one-line reason."""
    if columns != expected_columns:
        # The same names in another order (``RETURN *``): compare by name, as the TCK does.
        if sorted(columns) != sorted(expected_columns) or len(set(columns)) != len(columns):
            return f"columns {columns} where {expected_columns} was expected"
        order = [columns.index(c) for c in expected_columns]
        actual = [[row[i] for i in order] for row in actual]
    if ignore_list_order:
        expected = [[sort_lists(v) for v in row] for row in expected]
        actual = [[sort_lists(v) for v in row] for row in actual]
    exp = [tuple(freeze(v) for v in row) for row in expected]
    act = [tuple(freeze(v) for v in row) for row in actual]
    if ordered:
        if exp == act:
            return None
    elif Counter(exp) == Counter(act):
        return None
    show = "; ".join(" | ".join(render(v) for v in row) for row in actual[:6])
    more = f" (+{len(actual) - 6} more)" if len(actual) > 6 else ""
    return f"{len(actual)} rows: {show}{more}" if actual else "no rows"


def error_matches(expected: str, code: Optional[str], reason: Optional[str]) -> bool:
    """Whether the platform's error (code, reason) is of the TCK error's class."""
    want = ERROR_CLASSES.get(expected)
    if want is None:
        return False
    want_code, reasons = want
    return code == want_code and (reasons is None or reason in reasons)

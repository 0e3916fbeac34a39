"""Builds the graph that a scenario's set-up queries describe, for loading as warehouse tables.

The TCK states its initial graphs as Cypher (``Given having executed:``). Almost all of those
set-ups (721 of the 744 read-only scenarios with one) are ``CREATE`` clauses of patterns with
literal properties; this module interprets exactly that subset — nodes and relationships,
variables bound across clauses, literal property maps — and raises :class:`Unsupported` (with a
short reason that the report counts) for anything else: ``MATCH``, ``UNWIND``, ``WITH``,
``MERGE``, expressions or function calls as property values, named paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from values import NotationError, Reader


class Unsupported(Exception):
    """A set-up outside the interpreted subset; ``reason`` is a short, countable phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class GNode:
    """A created node: its labels and properties (null-valued ones dropped, as Cypher does)."""

    labels: List[str]
    props: Dict[str, Any]


@dataclass
class GRel:
    """A created relationship: type, endpoints (node indexes), properties."""

    type: str
    src: int
    dst: int
    props: Dict[str, Any]


@dataclass
class Graph:
    """Nodes and relationships in creation order."""

    nodes: List[GNode] = field(default_factory=list)
    rels: List[GRel] = field(default_factory=list)


def _literal_map(r: Reader) -> Dict[str, Any]:
    try:
        m = r.map()
    except NotationError as e:
        raise Unsupported("set-up property value is not a literal") from e
    return {k: v for k, v in m.items() if v is not None}


def _node(r: Reader, g: Graph, env: Dict[str, int]) -> int:
    r.expect("(")
    var: Optional[str] = None
    if r.peek().kind in ("name", "qname"):
        var = r.name()
    labels = r.labels()
    props = _literal_map(r) if r.at("{") else {}
    if r.at("$"):
        raise Unsupported("set-up uses parameters")
    r.expect(")")
    if var is not None and var in env:
        if labels or props:
            raise Unsupported("set-up re-declares a bound node")
        return env[var]
    g.nodes.append(GNode(labels, props))
    idx = len(g.nodes) - 1
    if var is not None:
        env[var] = idx
    return idx


def _rel(r: Reader) -> Tuple[str, Dict[str, Any], str, Optional[str]]:
    """Reads ``-[v:T {…}]->`` or ``<-[…]-``; returns (type, props, direction, variable)."""
    if r.at("<-"):
        r.next()
        left = True
    else:
        r.expect("-")
        left = False
    r.expect("[")
    var = r.name() if r.peek().kind in ("name", "qname") else None
    types = r.labels()
    props = _literal_map(r) if r.at("{") else {}
    if r.at("*"):
        raise Unsupported("set-up pattern is not creatable")
    r.expect("]")
    if left:
        r.expect("-")
        direction = "left"
    elif r.at("->"):
        r.next()
        direction = "right"
    else:
        r.expect("-")
        raise Unsupported("set-up creates an undirected relationship")
    if len(types) != 1:
        raise Unsupported("set-up relationship without exactly one type")
    return types[0], props, direction, var


def _pattern(r: Reader, g: Graph, env: Dict[str, int], rel_vars: set) -> None:
    if r.peek().kind in ("name", "qname") and r.at("=", 1):
        raise Unsupported("set-up names a path")
    left = _node(r, g, env)
    while r.at("-") or r.at("<-"):
        rtype, props, direction, var = _rel(r)
        right = _node(r, g, env)
        if var is not None:
            if var in rel_vars or var in env:
                raise Unsupported("set-up re-declares a bound relationship")
            rel_vars.add(var)
        src, dst = (left, right) if direction == "right" else (right, left)
        g.rels.append(GRel(rtype, src, dst, props))
        left = right


def build(setups: List[str]) -> Graph:
    """Interpret the set-up queries in order (each is one or more ``CREATE`` clauses)."""
    g = Graph()
    for text in setups:
        try:
            r = Reader(text.strip().rstrip(";"))
        except NotationError as e:
            raise Unsupported("set-up does not tokenize") from e
        env: Dict[str, int] = {}
        rel_vars: set = set()
        if r.peek().kind == "end":
            continue
        while r.peek().kind != "end":
            if not r.at_word("CREATE"):
                t = r.peek()
                word = str(t.value).upper() if t.kind == "name" else str(t.value)
                raise Unsupported(f"set-up uses {word}" if t.kind == "name"
                                  else "set-up is not CREATE-only")
            r.next()
            try:
                _pattern(r, g, env, rel_vars)
                while r.at(","):
                    r.next()
                    _pattern(r, g, env, rel_vars)
            except NotationError as e:
                raise Unsupported("set-up pattern outside the interpreted subset") from e
    return g

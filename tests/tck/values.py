"""The TCK's value notation, and the literal subset of Cypher that its set-up queries use.

Both are read by one tokenizer and one recursive-descent reader:

* primitives: integers, floats (``1.5``, ``1e-3``, ``NaN``, ``Inf``, ``-Inf``), strings in single
  or double quotes with Cypher's escapes, ``true``, ``false``, ``null``;
* containers: ``[v, …]``, ``{k: v, …}`` (keys are names, optionally backticked);
* graph elements: nodes ``(:L1:L2 {p: v})``, relationships ``[:T {p: v}]`` and paths
  ``<(n0)-[r1]->(n1)<-[r2]-(n2)>``.

Values become Python values; graph elements become :class:`Node`, :class:`Rel` and :class:`Path`,
which compare by content (labels, type, properties, order), as the TCK does — element identity is
not part of the notation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple


@dataclass(frozen=True)
class Node:
    """A node as the TCK writes it: its labels (a set) and its properties."""

    labels: frozenset
    props: Tuple[Tuple[str, Any], ...]


@dataclass(frozen=True)
class Rel:
    """A relationship as the TCK writes it: its type and properties (no endpoints)."""

    type: str
    props: Tuple[Tuple[str, Any], ...]


@dataclass(frozen=True)
class Path:
    """A path: nodes, and between consecutive nodes a relationship with its direction
    (``True`` when it points from the earlier node to the later one)."""

    nodes: Tuple[Node, ...]
    rels: Tuple[Tuple[Rel, bool], ...]


class NotationError(ValueError):
    """Text that is not in the TCK's value notation (or not a literal the reader supports)."""


PUNCT = ("<-", "->", "--", "(", ")", "[", "]", "{", "}", ",", ":", "-", "<", ">", "|", "=", ".",
         "+", "*", "/", "%", "$")


@dataclass
class Token:
    """A token: kind (``int``, ``float``, ``str``, ``name``, ``punct``, ``end``), value, offset."""

    kind: str
    value: Any
    pos: int


def _string(text: str, i: int) -> Tuple[str, int]:
    quote = text[i]
    i += 1
    out: List[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt == "u":
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "U":
                out.append(chr(int(text[i + 2:i + 10], 16)))
                i += 10
                continue
            out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0",
                        "\\": "\\", "'": "'", '"': '"'}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise NotationError(f"unterminated string at offset {i}")


def tokenize(text: str) -> List[Token]:
    """Split ``text`` into tokens; comments (``//``, ``/* */``) are skipped."""
    toks: List[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if ch in "'\"":
            s, j = _string(text, i)
            toks.append(Token("str", s, i))
            i = j
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            if text.startswith(("0x", "0X"), i):
                j = i + 2
                while j < n and (text[j].isalnum()):
                    j += 1
                toks.append(Token("int", int(text[i:j], 16), i))
                i = j
                continue
            if text.startswith(("0o", "0O"), i):
                j = i + 2
                while j < n and text[j].isdigit():
                    j += 1
                toks.append(Token("int", int(text[i + 2:j], 8), i))
                i = j
                continue
            while j < n and (text[j].isdigit() or text[j] == "_"):
                j += 1
            is_float = False
            if j < n and text[j] == "." and j + 1 < n and text[j + 1].isdigit():
                is_float = True
                j += 1
                while j < n and text[j].isdigit():
                    j += 1
            if j < n and text[j] in "eE" and (j + 1 < n and (text[j + 1].isdigit()
                                                               or text[j + 1] in "+-")):
                is_float = True
                j += 2
                while j < n and text[j].isdigit():
                    j += 1
            lit = text[i:j].replace("_", "")
            toks.append(Token("float", float(lit), i) if is_float else Token("int", int(lit), i))
            i = j
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            toks.append(Token("name", text[i:j], i))
            i = j
            continue
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise NotationError(f"unterminated backtick at offset {i}")
            toks.append(Token("qname", text[i + 1:j], i))
            i = j + 1
            continue
        for p in PUNCT:
            if text.startswith(p, i):
                toks.append(Token("punct", p, i))
                i += len(p)
                break
        else:
            raise NotationError(f"unexpected character {ch!r} at offset {i}")
    toks.append(Token("end", None, n))
    return toks


class Reader:
    """Recursive-descent reader over :func:`tokenize`'s tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # -- helpers
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, value: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "punct" and t.value == value

    def at_word(self, word: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "name" and t.value.upper() == word.upper()

    def expect(self, value: str) -> None:
        t = self.next()
        if not (t.kind == "punct" and t.value == value):
            raise NotationError(f"expected {value!r} at offset {t.pos} in {self.text!r}")

    def name(self) -> str:
        t = self.next()
        if t.kind in ("name", "qname"):
            return str(t.value)
        raise NotationError(f"expected a name at offset {t.pos} in {self.text!r}")

    # -- values
    def value(self) -> Any:
        t = self.peek()
        if t.kind == "punct" and t.value == "-":
            self.next()
            v = self.value()
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise NotationError(f"'-' before a non-number at offset {t.pos}")
            return -v
        if t.kind == "punct" and t.value == "+":
            self.next()
            return self.value()
        if t.kind in ("int", "float", "str"):
            self.next()
            return t.value
        if t.kind == "name":
            word = t.value
            lower = word.lower()
            if lower in ("true", "false"):
                self.next()
                return lower == "true"
            if lower == "null":
                self.next()
                return None
            if word == "NaN":
                self.next()
                return math.nan
            if word in ("Inf", "Infinity"):
                self.next()
                return math.inf
            raise NotationError(f"not a literal: {word!r} at offset {t.pos}")
        if t.kind == "punct":
            if t.value == "[":
                if self.at(":", 1):
                    return self.rel()
                return self.list()
            if t.value == "{":
                return self.map()
            if t.value == "(":
                return self.node()
            if t.value == "<":
                return self.path()
        raise NotationError(f"unexpected {t.value!r} at offset {t.pos} in {self.text!r}")

    def list(self) -> List[Any]:
        self.expect("[")
        out: List[Any] = []
        if self.at("]"):
            self.next()
            return out
        while True:
            out.append(self.value())
            if self.at(","):
                self.next()
                continue
            self.expect("]")
            return out

    def map(self) -> Dict[str, Any]:
        self.expect("{")
        out: Dict[str, Any] = {}
        if self.at("}"):
            self.next()
            return out
        while True:
            key = self.name()
            self.expect(":")
            out[key] = self.value()
            if self.at(","):
                self.next()
                continue
            self.expect("}")
            return out

    def labels(self) -> List[str]:
        out = []
        while self.at(":"):
            self.next()
            out.append(self.name())
        return out

    def node(self) -> Node:
        self.expect("(")
        labels = self.labels()
        props = self.map() if self.at("{") else {}
        self.expect(")")
        return Node(frozenset(labels), tuple(sorted(props.items())))

    def rel(self) -> Rel:
        self.expect("[")
        types = self.labels()
        props = self.map() if self.at("{") else {}
        self.expect("]")
        if len(types) != 1:
            raise NotationError(f"a relationship needs one type in {self.text!r}")
        return Rel(types[0], tuple(sorted(props.items())))

    def path(self) -> Path:
        self.expect("<")
        nodes = [self.node()]
        rels: List[Tuple[Rel, bool]] = []
        while not self.at(">"):
            if self.at("<-"):
                self.next()
                r = self.rel()
                self.expect("-")
                rels.append((r, False))
            else:
                self.expect("-")
                r = self.rel()
                self.expect("->")
                rels.append((r, True))
            nodes.append(self.node())
        self.expect(">")
        return Path(tuple(nodes), tuple(rels))

    def done(self) -> None:
        t = self.peek()
        if t.kind != "end":
            raise NotationError(f"unexpected {t.value!r} at offset {t.pos} in {self.text!r}")


def parse_value(text: str) -> Any:
    """Parse one value in the TCK's notation (a result cell or a parameter value)."""
    r = Reader(text)
    v = r.value()
    r.done()
    return v


def freeze(value: Any) -> Any:
    """A hashable form of a value, lists as tuples and maps as sorted item tuples, floats and
    integers kept apart (``1`` ≠ ``1.0`` in Cypher's results), NaN equal to NaN."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", "NaN" if math.isnan(value) else value)
    if isinstance(value, list):
        return ("list", tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((k, freeze(v)) for k, v in value.items())))
    if isinstance(value, Node):
        return ("node", tuple(sorted(value.labels)),
                tuple((k, freeze(v)) for k, v in value.props))
    if isinstance(value, Rel):
        return ("rel", value.type, tuple((k, freeze(v)) for k, v in value.props))
    if isinstance(value, Path):
        return ("path", tuple(freeze(n) for n in value.nodes),
                tuple((freeze(r), d) for r, d in value.rels))
    return ("str" if isinstance(value, str) else "null", value)


def sort_lists(value: Any) -> Any:
    """The value with every list's elements in a canonical order (for the TCK's
    "ignoring element order for lists")."""
    if isinstance(value, list):
        return sorted((sort_lists(v) for v in value), key=lambda v: repr(freeze(v)))
    if isinstance(value, dict):
        return {k: sort_lists(v) for k, v in value.items()}
    return value


def render(value: Any) -> str:
    """Write a value back in the TCK's notation (for reports)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Node):
        props = (" {" + ", ".join(f"{k}: {render(v)}" for k, v in value.props) + "}"
                 if value.props else "")
        return "(" + "".join(":" + lab for lab in sorted(value.labels)) + props + ")"
    if isinstance(value, Rel):
        props = (" {" + ", ".join(f"{k}: {render(v)}" for k, v in value.props) + "}"
                 if value.props else "")
        return f"[:{value.type}{props}]"
    if isinstance(value, Path):
        out = render(value.nodes[0])
        for (r, forward), n in zip(value.rels, value.nodes[1:]):
            out += (f"-{render(r)}->" if forward else f"<-{render(r)}-") + render(n)
        return "<" + out + ">"
    return repr(value)


def literal_or_none(text: str) -> Optional[Any]:
    """``parse_value`` that answers ``None`` instead of raising (for probing)."""
    try:
        return parse_value(text)
    except (NotationError, ValueError, IndexError):
        return None

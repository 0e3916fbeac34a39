"""A Gherkin reader for the openCypher TCK's feature files (the subset they use).

Reads ``Feature:``, ``Background:``, ``Scenario:``, ``Scenario Outline:`` with ``Examples:``
tables, steps with doc strings (``\"\"\"``) and data tables (``| a | b |``), tags and comments.
Scenario Outlines are expanded into one :class:`Scenario` per example row, with ``<name>``
placeholders replaced in step texts, doc strings and tables (as Cucumber does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

STEP_WORDS = ("Given", "When", "Then", "And", "But")


@dataclass
class Step:
    """One step: its keyword as written, its text, and an optional doc string or table."""

    keyword: str
    text: str
    doc: Optional[str] = None
    table: Optional[List[List[str]]] = None


@dataclass
class Scenario:
    """One runnable scenario (an outline's example row is one scenario)."""

    feature: str
    path: str
    name: str
    line: int
    steps: List[Step]
    tags: List[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Stable identifier: ``path:line name``."""
        return f"{self.path}:{self.line} {self.name}"


def _cells(line: str) -> List[str]:
    body = line.strip()
    assert body.startswith("|") and body.endswith("|"), line
    cells: List[str] = []
    cur = ""
    i = 1
    while i < len(body) - 1:
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) - 1:
            nxt = body[i + 1]
            cur += {"|": "|", "n": "\n", "\\": "\\"}.get(nxt, "\\" + nxt)
            i += 2
            continue
        if ch == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    cells.append(cur.strip())
    return cells


def _substitute(text: Optional[str], values: Dict[str, str]) -> Optional[str]:
    if text is None:
        return None
    return re.sub(r"<([^<>\s]+)>", lambda m: values.get(m.group(1), m.group(0)), text)


def parse_feature(path: Path, rel: str) -> List[Scenario]:
    """Parse one ``.feature`` file into its scenarios (outlines expanded, background prepended)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    feature = ""
    background: List[Step] = []
    scenarios: List[Scenario] = []
    # current block: ("background"|"scenario"|"outline"), name, line, steps, tags, examples
    block: Optional[dict] = None
    pending_tags: List[str] = []
    i = 0

    def close() -> None:
        nonlocal block
        if block is None:
            return
        if block["kind"] == "background":
            background.extend(block["steps"])
        elif block["kind"] == "scenario":
            scenarios.append(Scenario(feature, rel, block["name"], block["line"],
                                      background + block["steps"], block["tags"]))
        else:
            for header, rows, ex_line in block["examples"]:
                for n, row in enumerate(rows):
                    values = dict(zip(header, row))
                    steps = [Step(s.keyword, _substitute(s.text, values) or "",
                                  _substitute(s.doc, values),
                                  [[_substitute(c, values) or "" for c in r] for r in s.table]
                                  if s.table is not None else None)
                             for s in block["steps"]]
                    name = f"{_substitute(block['name'], values)} (example {ex_line + n + 1})"
                    scenarios.append(Scenario(feature, rel, name, block["line"],
                                              background + steps, block["tags"]))
        block = None

    while i < len(lines):
        raw = lines[i]
        s = raw.strip()
        i += 1
        if not s or s.startswith("#"):
            continue
        if s.startswith("@"):
            pending_tags.extend(t for t in s.split() if t.startswith("@"))
            continue
        if s.startswith("Feature:"):
            feature = s[len("Feature:"):].strip()
            continue
        if s.startswith("Background:"):
            close()
            block = {"kind": "background", "steps": []}
            continue
        m = re.match(r"(Scenario Outline|Scenario Template|Scenario):\s*(.*)", s)
        if m:
            close()
            kind = "scenario" if m.group(1) == "Scenario" else "outline"
            block = {"kind": kind, "name": m.group(2).strip(), "line": i, "steps": [],
                     "tags": pending_tags, "examples": []}
            pending_tags = []
            continue
        if s.startswith("Examples:"):
            assert block is not None and block["kind"] == "outline", f"{rel}:{i}"
            table: List[List[str]] = []
            ex_line = i
            while i < len(lines) and (lines[i].strip().startswith("|")
                                      or not lines[i].strip()
                                      or lines[i].strip().startswith("#")):
                if lines[i].strip().startswith("|"):
                    table.append(_cells(lines[i]))
                i += 1
            if table:
                block["examples"].append((table[0], table[1:], ex_line + 1))
            pending_tags = []
            continue
        word = s.split(" ", 1)[0]
        if word in STEP_WORDS:
            assert block is not None, f"{rel}:{i}: step outside a scenario"
            step = Step(word, s[len(word):].strip())
            # a doc string or a table may follow
            while i < len(lines) and (not lines[i].strip() or lines[i].strip().startswith("#")):
                if lines[i].strip().startswith('"""') or lines[i].strip().startswith("|"):
                    break
                i += 1
            if i < len(lines) and lines[i].strip().startswith('"""'):
                indent = len(lines[i]) - len(lines[i].lstrip())
                i += 1
                doc: List[str] = []
                while not lines[i].strip().startswith('"""'):
                    line = lines[i]
                    doc.append(line[indent:] if line[:indent].strip() == "" else line.strip())
                    i += 1
                i += 1
                step.doc = "\n".join(doc)
            elif i < len(lines) and lines[i].strip().startswith("|"):
                rows: List[List[str]] = []
                while i < len(lines) and lines[i].strip().startswith("|"):
                    rows.append(_cells(lines[i]))
                    i += 1
                step.table = rows
            block["steps"].append(step)
            continue
        raise ValueError(f"{rel}:{i}: cannot read {s!r}")
    close()
    return scenarios


def load(root: Path) -> List[Scenario]:
    """Every scenario under ``root`` (``**/*.feature``), in path order."""
    out: List[Scenario] = []
    for path in sorted(root.rglob("*.feature")):
        out.extend(parse_feature(path, str(path.relative_to(root))))
    return out

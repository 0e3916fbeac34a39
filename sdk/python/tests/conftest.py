"""Shared pytest configuration of the SDK suites.

Node ids are relative to ``sdk/python`` (where ``pyproject.toml`` holds the pytest
configuration).  ``--deselect`` values written relative to the repository root
(``sdk/python/tests/...``, as a repo-level test script naturally writes them) are
honoured too.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    prefixes = config.getoption("deselect") or []
    if not prefixes:
        return
    here = Path(__file__).resolve().parent.parent  # sdk/python
    try:
        repo_prefix = here.relative_to(Path(str(config.invocation_params.dir)).resolve())
    except ValueError:
        return
    rel = str(repo_prefix).replace("\\", "/").rstrip("/") + "/"
    if rel == "./":
        return
    keep, dropped = [], []
    for item in items:
        full = rel + item.nodeid
        if any(full.startswith(p) for p in prefixes):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep

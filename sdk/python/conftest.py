"""Doctests of ``src`` (``pytest --doctest-modules src``): live blocks run against the server.

The rule and the bound names are in ``tests/livedoc.py``.  The platform is
started once, on the first live block, like the integration suite's
(``tests/integration/conftest.py``); live blocks are marked ``integration``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from _pytest.doctest import DoctestItem
from tests.integration.conftest import start_platform, stop_platform
from tests.livedoc import INSTANCE_NAMES, free_live_names, is_live, live_clients, live_instance


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, DoctestItem) and item.dtest is not None and is_live(item.dtest):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.live_doctest)


@pytest.fixture(scope="session")
def _live_names() -> Iterator[Dict[str, Any]]:
    from tests.integration.conftest import Platform

    with contextlib.ExitStack() as stack:
        external = os.environ.get("GRAPH_OLAP_TEST_API_URL")
        if external:
            platform = Platform(url=external.rstrip("/"))
        else:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="doctest-")))
            platform = start_platform(data_dir)
            stack.callback(stop_platform, platform)
        # Constructors that read the environment (``test_context()``, ``NotebookTest``) find it.
        previous = os.environ.get("GRAPH_OLAP_API_URL")
        os.environ["GRAPH_OLAP_API_URL"] = platform.url
        stack.callback(_restore, "GRAPH_OLAP_API_URL", previous)
        yield live_clients(platform.client, stack)


def _restore(name: str, value: Optional[str]) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


@pytest.fixture(scope="session")
def _live_instance(_live_names: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    with contextlib.ExitStack() as stack:
        yield live_instance(_live_names, stack)


@pytest.fixture(autouse=True)
def _bind_live_names(request: pytest.FixtureRequest) -> None:
    item = request.node
    if not (isinstance(item, DoctestItem) and item.get_closest_marker("live_doctest")):
        return
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(request.getfixturevalue("_live_names"))
    if item.dtest is not None and free_live_names(item.dtest) & INSTANCE_NAMES:
        namespace.update(request.getfixturevalue("_live_instance"))

"""Configuration discovery, progress display, pagination and package doctests."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import graph_olap
from graph_olap import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.progress import ProgressReporter
from tests.livedoc import is_live


def test_from_env_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_OLAP_API_URL", "http://cp:9000/")
    monkeypatch.setenv("GRAPH_OLAP_API_KEY", "gok_env")
    c = GraphOLAPClient.from_env()
    assert c.api_url == "http://cp:9000" and c.config.api_key == "gok_env"
    # explicit username replaces env credentials
    c2 = GraphOLAPClient(username="ops_dave@e2e.local")
    assert c2.config.api_key is None and c2.config.auth_headers() == {
        "X-Username": "ops_dave@e2e.local"}
    assert c2.api_url == "http://cp:9000"


def test_defaults_and_in_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GRAPH_OLAP_API_URL", "GRAPH_OLAP_API_KEY", "GRAPH_OLAP_USERNAME"):
        monkeypatch.delenv(var, raising=False)
    assert GraphOLAPClient(username="x@y").api_url == "http://localhost:8000"
    cfg = Config.from_env(environ={"GRAPH_OLAP_IN_CLUSTER_MODE": "true",
                                   "GRAPH_OLAP_NAMESPACE": "ns"})
    assert cfg.api_url == "http://control-plane.ns.svc:8000" and cfg.in_cluster_mode
    assert Config(api_url="http://h:1/api").api_url == "http://h:1"


def test_plain_progress_output() -> None:
    buf = io.StringIO()
    with ProgressReporter("Instance 3", mode="plain", stream=buf) as p:
        p.update("waiting_for_snapshot", 0, 3)
        p.update("waiting_for_snapshot", 0, 3)
        p.update("running", 3, 3)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2 and "Instance 3: running 3/3" in lines[1]


def _modules():
    for info in pkgutil.walk_packages(graph_olap.__path__, "graph_olap."):
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_doctests(name: str) -> None:
    """Every offline example block passes (live ones run in ``pytest --doctest-modules src``)."""
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module):
        if not is_live(test):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_every_public_callable_has_example() -> None:
    missing = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if (callable(obj) and getattr(obj, "__module__", "") == name
                    and ">>>" not in (obj.__doc__ or "")):
                missing.append(f"{name}.{attr}")
    assert missing == []

from __future__ import annotations

from typing import Iterator, List

import pytest

from graph_olap.config import Config
from graph_olap.http import HTTPClient, RetryPolicy

from .scripted_server import ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


@pytest.fixture
def sleeps() -> List[float]:
    return []


@pytest.fixture
def http(server: ScriptedServer, sleeps: List[float]) -> Iterator[HTTPClient]:
    client = HTTPClient(Config(api_url=server.url, username="analyst_alice@e2e.local",
                               timeout=5),
                        retry_policy=RetryPolicy(max_retries=3, backoff_factor=0.01, jitter=0),
                        sleep=sleeps.append)
    yield client
    client.close()

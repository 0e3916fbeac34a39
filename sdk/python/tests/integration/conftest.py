"""Session fixture: the real platform, started with ``graph-olap up`` on port 0.

The binary is ``$GRAPH_OLAP_BIN`` or ``~/.cache/graph-olap/target-dev/debug/graph-olap``.
If it is missing the fixture FAILS (CI always builds it).  Set
``GRAPH_OLAP_TEST_API_URL`` to run against an already running platform instead.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import httpx
import pytest

from graph_olap import GraphOLAPClient

PERSONAS = {
    "analyst": "analyst_alice@e2e.local",
    "analyst2": "analyst_bob@e2e.local",
    "admin": "admin_carol@e2e.local",
    "ops": "ops_dave@e2e.local",
}
DEFAULT_BIN = Path.home() / ".cache/graph-olap/target-dev/debug/graph-olap"
STARTUP_TIMEOUT = float(os.environ.get("GRAPH_OLAP_TEST_STARTUP_TIMEOUT", "180"))


@dataclass
class Platform:
    url: str
    data_dir: Optional[Path] = None
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None
    api_keys: Dict[str, str] = field(default_factory=dict)

    def client(self, persona: str = "analyst", **kwargs: object) -> GraphOLAPClient:
        username = PERSONAS.get(persona, persona)
        return GraphOLAPClient(self.url, username=username, **kwargs)  # type: ignore[arg-type]

    def log_tail(self, lines: int = 60) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def binary_path() -> Path:
    return Path(os.environ.get("GRAPH_OLAP_BIN") or DEFAULT_BIN)


def start_platform(data_dir: Path) -> Platform:
    """Start ``graph-olap up`` in ``data_dir`` and wait until it serves ``/health``."""
    binary = binary_path()
    if not binary.exists():
        pytest.fail(
            f"graph-olap binary not found at {binary}. Build the workspace (cargo build, "
            "or the CI build step) or set GRAPH_OLAP_BIN to its path. Integration tests never "
            "skip silently.", pytrace=False)
    log_path = data_dir / "graph-olap-up.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the process ends
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "info")
    proc = subprocess.Popen(
        [str(binary), "up", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    platform = Platform(url="", data_dir=data_dir, process=proc, log_path=log_path)
    url_file = data_dir / "url"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`graph-olap up` exited with code {proc.returncode} before becoming "
                        f"ready. Log tail:\n{platform.log_tail()}", pytrace=False)
        if url_file.exists() and url_file.read_text().strip():
            platform.url = url_file.read_text().strip().rstrip("/")
            try:
                if httpx.get(platform.url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    else:
        stop_platform(platform)
        pytest.fail(f"`graph-olap up` not ready after {STARTUP_TIMEOUT}s. Log tail:\n"
                    f"{platform.log_tail()}", pytrace=False)
    text = log_path.read_text(errors="replace")
    for persona, username in PERSONAS.items():
        m = re.search(re.escape(username) + r".*?(gok_[A-Za-z0-9_\-]+)", text)
        if m:
            platform.api_keys[persona] = m.group(1)
    return platform


def stop_platform(platform: Platform) -> None:
    proc = platform.process
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def running_platform(data_dir: Path) -> Iterator[Platform]:
    """The platform at ``GRAPH_OLAP_TEST_API_URL``, or a ``graph-olap up`` of its own in
    ``data_dir``, stopped afterwards."""
    external = os.environ.get("GRAPH_OLAP_TEST_API_URL")
    if external:
        yield Platform(url=external.rstrip("/"))
        return
    p = start_platform(data_dir)
    try:
        yield p
    finally:
        stop_platform(p)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from running_platform(tmp_path_factory.mktemp("graph-olap-up"))


@pytest.fixture(scope="module")
def module_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of the test module's own (what a fuzzer changes never leaks into the other
    modules' tests)."""
    yield from running_platform(tmp_path_factory.mktemp("graph-olap-module"))


@pytest.fixture
def fresh_platform(tmp_path: Path) -> Iterator[Platform]:
    """A platform of its own (for tests that change global state such as job rate limits)."""
    if os.environ.get("GRAPH_OLAP_TEST_API_URL"):
        pytest.fail("fresh_platform needs the binary; unset GRAPH_OLAP_TEST_API_URL",
                    pytrace=False)
    p = start_platform(tmp_path)
    try:
        yield p
    finally:
        stop_platform(p)


@pytest.fixture(scope="session")
def analyst(platform: Platform) -> Iterator[GraphOLAPClient]:
    with platform.client("analyst") as c:
        yield c


@pytest.fixture(scope="session")
def analyst2(platform: Platform) -> Iterator[GraphOLAPClient]:
    with platform.client("analyst2") as c:
        yield c


@pytest.fixture(scope="session")
def admin(platform: Platform) -> Iterator[GraphOLAPClient]:
    with platform.client("admin") as c:
        yield c


@pytest.fixture(scope="session")
def ops(platform: Platform) -> Iterator[GraphOLAPClient]:
    with platform.client("ops") as c:
        yield c


@pytest.fixture
def cleanup() -> Iterator[Callable[[Callable[[], object]], None]]:
    """Register cleanup callables, run in reverse order after the test (errors ignored)."""
    actions: List[Callable[[], object]] = []
    yield actions.append
    for action in reversed(actions):
        try:
            action()
        except Exception:
            pass


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)

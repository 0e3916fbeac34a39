"""Zero-config Jupyter entry points: ``connect()``, ``init()``, ``get_client()``.

Owns the notebook-global client, CSS injection and itables setup.
Configuration comes from ``GRAPH_OLAP_*`` variables (see :mod:`graph_olap.config`).

Example:
    >>> from graph_olap import notebook
    >>> client = notebook.connect(api_url="http://localhost:8000", username="analyst_alice@e2e.local")
    >>> notebook.get_client() is client
    True
"""

from __future__ import annotations

import os
import time
from typing import Any, Optional

from graph_olap.client import GraphOLAPClient
from graph_olap.display import inject_css, setup_itables

__all__ = ["connect", "get_client", "init", "test", "wake_starburst"]

_current_client: Optional[GraphOLAPClient] = None


def connect(api_url: Optional[str] = None, api_key: Optional[str] = None,
            **kwargs: Any) -> GraphOLAPClient:
    """Create the notebook's client from the environment (arguments override).

    URL resolution: ``GRAPH_OLAP_API_URL``, else in-cluster DNS when
    ``GRAPH_OLAP_IN_CLUSTER_MODE=true``, else ``http://localhost:8000``.
    Also enables interactive tables (itables) and the SDK's CSS in Jupyter.

    Example:
        >>> c = connect(api_url="http://localhost:8000", username="ops_dave@e2e.local")
        >>> c.username
        'ops_dave@e2e.local'
    """
    global _current_client
    setup_itables()
    inject_css()
    if _current_client is not None:
        _current_client.close()
    _current_client = GraphOLAPClient.from_env(api_url=api_url, api_key=api_key, **kwargs)
    return _current_client


def init(api_url: Optional[str] = None, api_key: Optional[str] = None,
         **kwargs: Any) -> GraphOLAPClient:
    """Alias of :func:`connect`.

    Example:
        >>> init(api_url="http://localhost:8000").api_url
        'http://localhost:8000'
    """
    return connect(api_url=api_url, api_key=api_key, **kwargs)


def get_client() -> Optional[GraphOLAPClient]:
    """The client created by :func:`connect`, or ``None``.

    Example:
        >>> isinstance(get_client(), (GraphOLAPClient, type(None)))
        True
    """
    return _current_client


def test(prefix: str, *, persona: Any) -> Any:
    """Start an E2E notebook run: a :class:`graph_olap.testing.NotebookTest` as ``persona``.

    Also enables interactive tables and the SDK's CSS.

    Example:
        >>> from graph_olap.testing import TestPersona
        >>> t = test("nb-demo", persona=TestPersona.OPS_DAVE)
        >>> t.client.username
        'ops_dave@e2e.local'
        >>> _ = t.cleanup()
    """
    from graph_olap.testing import NotebookTest

    setup_itables()
    inject_css()
    return NotebookTest(prefix, persona=persona)


def wake_starburst(timeout: int = 60, quiet: bool = False) -> bool:
    """Wake a suspended Starburst Galaxy / Trino cluster before a notebook exports from it.

    Needs ``STARBURST_USER``, ``STARBURST_PASSWORD`` and ``STARBURST_TRINO_URL``;
    without credentials nothing is done and ``False`` is returned (the embedded
    demo warehouse of ``graph-olap up`` never sleeps).  Returns ``True`` once the
    cluster answers (or is still starting after ``timeout`` seconds).

    Example:
        >>> import os
        >>> os.environ.pop("STARBURST_USER", None) and None
        >>> wake_starburst(quiet=True)
        False
    """
    user = (os.environ.get("STARBURST_USER") or "").strip()
    password = os.environ.get("STARBURST_PASSWORD") or ""
    url = (os.environ.get("STARBURST_TRINO_URL") or "").strip().rstrip("/")

    def say(text: str) -> None:
        if not quiet:
            print(text)

    if not user or not password or not url:
        say("Starburst credentials not set (STARBURST_USER, STARBURST_PASSWORD, "
            "STARBURST_TRINO_URL); nothing to wake")
        return False
    import httpx

    try:
        with httpx.Client(auth=(user, password), timeout=30) as http:
            say("Waking the Starburst cluster...")
            r = http.post(f"{url}/v1/statement", content="SELECT 1",
                          headers={"X-Trino-User": user})
            if r.status_code != 200:
                say(f"Wake-up request failed: HTTP {r.status_code}")
                return False
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                info = http.get(f"{url}/v1/info")
                if info.status_code == 200 and not info.json().get("starting", True):
                    say("Starburst cluster is ready")
                    return True
                time.sleep(2)
            say(f"Cluster still starting after {timeout}s; continuing")
            return True
    except Exception as exc:
        say(f"Failed to wake the cluster: {exc}")
        return False

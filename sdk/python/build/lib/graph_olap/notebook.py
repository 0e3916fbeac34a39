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

from typing import Any, Optional

from graph_olap.client import GraphOLAPClient
from graph_olap.display import inject_css, setup_itables

__all__ = ["connect", "get_client", "init"]

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

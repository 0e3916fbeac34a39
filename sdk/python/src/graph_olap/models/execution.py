"""Algorithm models: executions and catalogue entries (API.md §10.8–10.9).

Owns the typed shapes only; starting and polling live in
:mod:`graph_olap.instance.algorithms`.

Example:
    >>> e = AlgorithmExecution.from_dict({"execution_id": "x", "algorithm_name": "pagerank",
    ...     "status": "completed", "nodes_updated": 10})
    >>> e.is_done, e.succeeded, e
    (True, True, AlgorithmExecution(algorithm_name='pagerank', status='completed', nodes_updated=10))
"""

from __future__ import annotations

import html
from typing import Any, Dict, List, Optional

from pydantic import model_validator

from graph_olap.models.base import GraphOLAPModel, Timestamp, status_badge

__all__ = ["AlgorithmExecution", "AlgorithmInfo", "AlgorithmParameter"]

TERMINAL = ("completed", "failed", "cancelled")


class AlgorithmExecution(GraphOLAPModel):
    """One run of a native or NetworkX-compatible algorithm.

    Example:
        >>> AlgorithmExecution(execution_id="1", algorithm_name="wcc", status="running").is_done
        False
    """

    execution_id: str
    algorithm_name: str
    algorithm_type: Optional[str] = None
    status: str = "running"
    user_name: Optional[str] = None
    node_label: Optional[str] = None
    edge_type: Optional[str] = None
    node_labels: List[str] = []
    edge_types: List[str] = []
    result_property: Optional[str] = None
    write_back: bool = True
    parameters: Dict[str, Any] = {}
    started_at: Timestamp = None
    completed_at: Timestamp = None
    elapsed_ms: Optional[int] = None
    duration_ms: Optional[int] = None
    nodes_updated: Optional[int] = None
    result: Optional[Dict[str, Any]] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None

    _repr_keys = ("algorithm_name", "status", "nodes_updated")

    @model_validator(mode="before")
    @classmethod
    def _accept_algorithm_key(cls, data: Any) -> Any:
        # Responses (and older SDK code) may call the name ``algorithm``.
        if isinstance(data, dict) and "algorithm_name" not in data and "algorithm" in data:
            data = {**data, "algorithm_name": data["algorithm"]}
            data.pop("algorithm")
        return data

    @property
    def algorithm(self) -> str:
        """Algorithm name (same as ``algorithm_name``)."""
        return self.algorithm_name

    @property
    def is_done(self) -> bool:
        """Terminal status (completed, failed or cancelled)."""
        return self.status in TERMINAL

    @property
    def succeeded(self) -> bool:
        """``status == "completed"``."""
        return self.status == "completed"

    @property
    def value(self) -> Any:
        """``result["value"]`` for scalar/json algorithms (else ``None``)."""
        return (self.result or {}).get("value")

    def _repr_html_(self) -> str:
        summary = ", ".join(f"{k}={v}" for k, v in (self.result or {}).items()
                            if not isinstance(v, (list, dict)))
        err = (f"<div class='go-error'>{html.escape(self.error_code or '')}: "
               f"{html.escape(self.error_message or '')}</div>") if self.error_message else ""
        return (
            "<div class='graph-olap go-card'><div class='go-card-title'>"
            f"{html.escape(self.algorithm_name)} {status_badge(self.status)}</div>"
            "<table class='go-table go-kv'>"
            f"<tr><th>result_property</th><td>{html.escape(str(self.result_property))}</td></tr>"
            f"<tr><th>nodes_updated</th><td>{self.nodes_updated}</td></tr>"
            f"<tr><th>duration_ms</th><td>{self.duration_ms or self.elapsed_ms}</td></tr>"
            f"<tr><th>result</th><td>{html.escape(summary)}</td></tr></table>{err}</div>"
        )


class AlgorithmParameter(GraphOLAPModel):
    """A parameter of a catalogue algorithm.

    Example:
        >>> AlgorithmParameter(name="damping_factor", type="float", default=0.85).default
        0.85
    """

    name: str
    type: Optional[str] = None
    required: bool = False
    default: Any = None
    description: Optional[str] = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    enum: Optional[List[Any]] = None

    _repr_keys = ("name", "type", "default")


class AlgorithmInfo(GraphOLAPModel):
    """A catalogue entry (``GET /algo/algorithms/{name}``).

    Example:
        >>> AlgorithmInfo(name="pagerank", category="centrality").category
        'centrality'
    """

    name: str
    display_name: Optional[str] = None
    type: Optional[str] = None
    category: Optional[str] = None
    description: Optional[str] = None
    long_description: Optional[str] = None
    parameters: List[AlgorithmParameter] = []
    returns: Optional[str] = None
    result_kind: Optional[str] = None
    result_type: Optional[str] = None
    graph_treatment: Optional[str] = None
    supports_write_back: bool = False
    default_timeout_ms: Optional[int] = None

    _repr_keys = ("name", "type", "category", "result_kind")

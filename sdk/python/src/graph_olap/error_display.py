"""How SDK errors look in a notebook: code, message, what to do next — no HTTP internals.

Owns the hint for each error code (:data:`HINTS`) and the two renderings IPython
uses for an exception: ``_render_traceback_`` (the text shown instead of the
Python traceback, which for an API error is a stack of transport frames) and
``_repr_html_`` (a card when an error object is displayed).  The exception
classes (:mod:`graph_olap.exceptions`) delegate to it; it imports nothing from the SDK.

Example:
    >>> print(hint_for("RESOURCE_LOCKED"))
    Another algorithm is running on this instance: wait for it (conn.algo.executions()) or cancel it.
"""

from __future__ import annotations

import html
from typing import Any, Dict, List, Optional

__all__ = ["HINTS", "hint_for", "render_html", "render_text"]

#: What an analyst can do about each error code (API.md §1.13 codes).
HINTS: Dict[str, str] = {
    "UNAUTHORIZED": "Check GRAPH_OLAP_API_KEY (or the username in development mode); "
                    "keys can expire or be revoked.",
    "USER_DISABLED": "Your user is deactivated: ask an admin to reactivate it.",
    "PERMISSION_DENIED": "Your role or ownership does not allow this: use your own resources, "
                         "or ask an admin/ops user.",
    "NOT_FOUND": "Check the id or name; list what exists with the resource's list() call.",
    "VALIDATION_FAILED": "Fix the fields listed above and send the request again.",
    "PAYLOAD_TOO_LARGE": "Send less at once (fewer definitions or a smaller body).",
    "ALREADY_EXISTS": "Choose another name, or fetch the existing resource.",
    "INVALID_STATE": "The resource is not in a state that allows this: check its status first.",
    "RESOURCE_HAS_DEPENDENCIES": "Terminate or delete what still uses it (see details), "
                                 "then retry.",
    "CONCURRENCY_LIMIT_EXCEEDED": "Terminate an instance you no longer need "
                                  "(client.instances.list(owner='me')), or ask ops for a "
                                  "higher limit.",
    "IDEMPOTENCY_KEY_REUSED": "Use a new Idempotency-Key for a different request.",
    "RESOURCE_LOCKED": "Another algorithm is running on this instance: wait for it "
                       "(conn.algo.executions()) or cancel it.",
    "RATE_LIMITED": "Too many requests: wait a moment and retry.",
    "QUERY_SYNTAX_ERROR": "Fix the Cypher at the position given in the message.",
    "QUERY_UNSUPPORTED": "This Cypher feature is not supported; rewrite the query.",
    "READ_ONLY_VIOLATION": "Instances are read-only: use MATCH/RETURN; algorithms write "
                           "results through conn.algo.",
    "QUERY_FAILED": "The query failed on the instance: check labels, properties and types "
                    "(conn.get_schema()).",
    "QUERY_TIMEOUT": "Add a LIMIT or a narrower MATCH, or pass a larger timeout=.",
    "ALGORITHM_NOT_FOUND": "List the catalogue with conn.algo.list() / conn.networkx.list().",
    "ALGORITHM_TIMEOUT": "Narrow the scope (node_label, edge_type) or pass a larger timeout.",
    "ALGORITHM_FAILED": "See the message; conn.algo.info(name) lists the parameters.",
    "MAINTENANCE_MODE": "The platform is in maintenance: try again later.",
    "INSTANCE_NOT_READY": "The instance is still starting: "
                          "client.instances.wait_until_running(id).",
    "SERVICE_UNAVAILABLE": "The service is not ready: try again shortly.",
    "UPSTREAM_ERROR": "A platform component failed: retry, and quote the request id if it "
                      "persists.",
    "INTERNAL_ERROR": "A server error: quote the request id when asking for help.",
    "SNAPSHOT_FAILED": "The export failed: see the message; client.snapshots.retry(id) "
                       "tries again.",
    "INSTANCE_FAILED": "The instance failed to start: see the message and its events "
                       "(client.instances.get_events(id)).",
}


def hint_for(code: Optional[str]) -> Optional[str]:
    """The hint for an error code, or ``None``.

    Example:
        >>> hint_for("NOT_FOUND").startswith("Check the id"), hint_for("NO_SUCH_CODE")
        (True, None)
    """
    return HINTS.get(code or "")


def _field_errors(details: Dict[str, Any]) -> List[str]:
    errors = details.get("errors") if isinstance(details, dict) else None
    out = []
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            field = item.get("field")
            message = item.get("message") or item.get("reason")
            out.append(f"{field}: {message}" if field else str(message))
    return out


def render_text(name: str, code: Optional[str], message: str, details: Dict[str, Any],
                status_code: Optional[int], request_id: Optional[str]) -> List[str]:
    """The lines IPython shows for the error (``_render_traceback_``).

    Example:
        >>> print("\\n".join(render_text("NotFoundError", "NOT_FOUND", "Mapping 9 not found",
        ...                             {}, 404, "req-1")))
        NotFoundError [NOT_FOUND] (HTTP 404): Mapping 9 not found
        Hint: Check the id or name; list what exists with the resource's list() call.
        Request id: req-1
    """
    head = name + (f" [{code}]" if code else "") + (f" (HTTP {status_code})" if status_code
                                                    else "")
    lines = [f"{head}: {message or name}"]
    lines += [f"  - {e}" for e in _field_errors(details)]
    hint = hint_for(code)
    if hint:
        lines.append(f"Hint: {hint}")
    if request_id:
        lines.append(f"Request id: {request_id}")
    return lines


def render_html(name: str, code: Optional[str], message: str, details: Dict[str, Any],
                status_code: Optional[int], request_id: Optional[str]) -> str:
    """An HTML card with the code, message, field errors, hint and request id.

    Example:
        >>> "Hint" in render_html("QueryError", "QUERY_TIMEOUT", "too slow", {}, 408, None)
        True
    """
    esc = html.escape
    badge = f"<span class='go-badge go-badge-error'>{esc(code)}</span> " if code else ""
    status = f" <span class='go-muted'>HTTP {status_code}</span>" if status_code else ""
    fields = "".join(f"<li>{esc(e)}</li>" for e in _field_errors(details))
    hint = hint_for(code)
    return (
        "<div class='graph-olap go-card go-error'>"
        f"<div class='go-card-title'>{badge}{esc(name)}{status}</div>"
        f"<p>{esc(message or name)}</p>"
        + (f"<ul>{fields}</ul>" if fields else "")
        + (f"<p><b>Hint:</b> {esc(hint)}</p>" if hint else "")
        + (f"<p class='go-muted'>Request id: <code>{esc(request_id)}</code></p>"
           if request_id else "")
        + "</div>"
    )

"""``client.platform`` — platform as code (issue 20): plan and apply a declaration directory.

The planning and the crash-safe apply live in one place, the ``graph-olap platform`` command
(crate ``graph-olap-platform-as-code``); this resource runs it with the client's URL and API key
(``--json``) and returns the result as objects that render as tables in Jupyter.

Example:
    >>> # ops = GraphOLAPClient(api_key=OPS_KEY)
    >>> # ops.platform.plan("examples/platform")          # a table of the planned changes
    >>> # ops.platform.apply("examples/platform", actor="dave")
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from graph_olap.config import Config
from graph_olap.exceptions import GraphOLAPError, ValidationError

__all__ = ["PlatformApplyResult", "PlatformChange", "PlatformPlan", "PlatformResource"]


@dataclass(frozen=True)
class PlatformChange:
    """One planned change: its step, resource, action, disposition, summary and detail.

    Example:
        >>> PlatformChange(1, "setting/export", "set", "ready", "set export", {}).blocked
        False
    """

    step: int
    resource: str
    action: str
    disposition: str
    summary: str
    detail: Dict[str, Any]
    result: Optional[str] = None

    @property
    def blocked(self) -> bool:
        """Whether apply will not execute it (approval missing or stale, role missing)."""
        return (self.result or self.disposition).startswith("blocked")


def _table(changes: List[PlatformChange], title: str, converged: bool, with_result: bool) -> str:
    head = "".join(f"<th>{h}</th>" for h in (["#", "resource", "action", "disposition"]
                                              + (["result"] if with_result else []) + ["summary"]))
    rows = []
    for c in changes:
        cells = [str(c.step), c.resource, c.action, c.disposition] + ([c.result or ""] if with_result else [])
        cells.append(c.summary)
        rows.append("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
    body = "".join(rows) or f'<tr><td colspan="{6 if with_result else 5}">nothing to do</td></tr>'
    return (f"<div><b>{html.escape(title)}</b> — converged: <b>{str(converged).lower()}</b>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _change(raw: Dict[str, Any], result: Optional[str] = None) -> PlatformChange:
    return PlatformChange(step=int(raw["step"]), resource=raw["resource"], action=raw["action"],
                          disposition=raw["disposition"], summary=raw["summary"],
                          detail=raw.get("detail") or {}, result=result)


@dataclass(frozen=True)
class PlatformPlan:
    """The plan: ordered changes and whether the platform already matches the declaration.

    Example:
        >>> PlatformPlan("demo", [], True, []).converged
        True
    """

    platform: str
    changes: List[PlatformChange]
    converged: bool
    notes: List[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> PlatformPlan:
        """Builds the plan from ``graph-olap platform plan --json`` output."""
        return cls(platform=raw["platform"], changes=[_change(c) for c in raw["changes"]],
                   converged=bool(raw["converged"]), notes=list(raw.get("notes") or []))

    def _repr_html_(self) -> str:
        return _table(self.changes, f"plan for {self.platform}", self.converged, False)


@dataclass(frozen=True)
class PlatformApplyResult:
    """What an apply did: each change with its result, recovered intents, convergence.

    Example:
        >>> PlatformApplyResult("dave", [], [], True).converged
        True
    """

    actor: str
    steps: List[PlatformChange]
    recovered: List[Dict[str, Any]]
    converged: bool

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> PlatformApplyResult:
        """Builds the result from ``graph-olap platform apply --json`` output."""
        return cls(actor=raw["actor"], steps=[_change(s["change"], s["result"]) for s in raw["steps"]],
                   recovered=list(raw.get("recovered") or []), converged=bool(raw["converged"]))

    def _repr_html_(self) -> str:
        return _table(self.steps, f"apply by {self.actor}", self.converged, True)


class PlatformResource:
    """Runs ``graph-olap platform`` with this client's URL and API key.

    The binary is ``$GRAPH_OLAP_BIN`` or ``graph-olap`` on ``PATH``. An ops key can change
    settings, an admin key users; pass the other one as ``admin_api_key`` to do both in one run.

    Example:
        >>> PlatformResource(Config(api_url="http://h:1", api_key="gok_x"))._base_args("plan", "d")[1:3]
        ['platform', 'plan']
    """

    def __init__(self, config: Config, admin_api_key: Optional[str] = None) -> None:
        self._config = config
        self._admin_api_key = admin_api_key

    def _base_args(self, command: str, path: str) -> List[str]:
        binary = os.environ.get("GRAPH_OLAP_BIN") or shutil.which("graph-olap") or "graph-olap"
        return [binary, "platform", command, "--config", str(path), "--url", self._config.api_url, "--json"]

    def _run(self, args: List[str]) -> Any:
        if not self._config.api_key:
            raise ValidationError(
                "client.platform needs an API key (admin or ops); development identities are not enough"
            )
        env = dict(os.environ, GRAPH_OLAP_API_KEY=self._config.api_key)
        if self._admin_api_key:
            env["GRAPH_OLAP_ADMIN_API_KEY"] = self._admin_api_key
        proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise GraphOLAPError(f"graph-olap platform failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return json.loads(proc.stdout)

    def plan(self, path: str) -> PlatformPlan:
        """The ordered changes ``apply`` would make to reach the declaration in ``path``."""
        return PlatformPlan.from_json(self._run(self._base_args("plan", path)))

    def apply(self, path: str, actor: Optional[str] = None) -> PlatformApplyResult:
        """Converges the platform to the declaration in ``path``; ``actor`` goes to the audit log."""
        args = self._base_args("apply", path) + (["--as", actor] if actor else [])
        return PlatformApplyResult.from_json(self._run(args))

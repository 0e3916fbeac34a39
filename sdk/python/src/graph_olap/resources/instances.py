"""``client.instances`` — start, watch, resize, extend and terminate graph instances (§6.1).

Example:
    >>> conn = client.instances.connect(inst.id)   # inst: from create_from_mapping_and_wait(...)
    >>> conn.query_scalar("MATCH (n) RETURN count(n)") > 0
    True
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Optional, Union

from graph_olap.config import Config
from graph_olap.durations import DurationLike, to_duration_str
from graph_olap.exceptions import (
    GraphOLAPError,
    InstanceFailedError,
    InvalidStateError,
    NotFoundError,
    SnapshotFailedError,
    TimeoutError,
)
from graph_olap.http import HTTPClient
from graph_olap.instance.connection import InstanceConnection
from graph_olap.models.common import InstanceQuota
from graph_olap.models.enums import WrapperType
from graph_olap.models.instance import Instance, InstanceEvent, InstanceProgress
from graph_olap.pagination import PaginatedList
from graph_olap.progress import ProgressCallback, ProgressReporter
from graph_olap.resources._base import UNSET, Resource, poll, put_if_set

__all__ = ["InstanceResource"]

_SIZING = ("cpu_cores", "memory_gb", "wrapper_type")


def _wrapper(value: Any) -> Optional[str]:
    if value is None:
        return None
    return str(value.value if isinstance(value, WrapperType) else value)


def _lifecycle_duration(value: Any) -> Optional[str]:
    # A bare number means hours (``ttl=2`` → ``PT2H``); anything else as usual.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return to_duration_str(timedelta(hours=float(value)))
    return to_duration_str(value)


def _failure(instance: Any) -> Exception:
    code = getattr(instance, "error_code", None)
    msg = getattr(instance, "error_message", None) or "no details"
    status = getattr(instance, "status", None)
    details = {"instance_id": instance.id, "status": status, "error_code": code}
    if code == "SNAPSHOT_FAILED":
        return SnapshotFailedError(f"Instance {instance.id}: {msg}", details,
                                   code="SNAPSHOT_FAILED")
    if status in ("stopping", "terminated"):
        return InstanceFailedError(f"Instance {instance.id} was {status} while waiting "
                                   f"({getattr(instance, 'termination_reason', None) or msg})",
                                   details, code="INSTANCE_FAILED")
    return InstanceFailedError(f"Instance {instance.id} failed [{code}]: {msg}", details,
                               code=code or "INSTANCE_FAILED")


class InstanceResource(Resource):
    """Graph instances: ephemeral graph databases owned by one analyst.

    Example:
        >>> running = client.instances.list(owner="me", status="running")
        >>> inst.id in [i.id for i in running]
        True
    """

    def __init__(self, http: HTTPClient, config: Optional[Config] = None) -> None:
        super().__init__(http)
        self._config = config or http.config

    # ------------------------------------------------------------- reading
    def list(
        self,
        snapshot_id: Optional[int] = None,
        owner: Optional[str] = None,
        status: Optional[str] = None,
        search: Optional[str] = None,
        created_after: Union[str, datetime, None] = None,
        created_before: Union[str, datetime, None] = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
        *,
        mapping_id: Optional[int] = None,
        include_terminated: bool = False,
    ) -> PaginatedList[Instance]:
        """List instances (terminated ones only with ``include_terminated=True``).

        Example:
            >>> [i.name for i in client.instances.list(owner="me") if i.id == inst.id] == [inst.name]
            True
        """
        return self._list("/api/instances", Instance, {
            "snapshot_id": snapshot_id, "mapping_id": mapping_id, "owner": owner,
            "status": status, "search": search, "created_after": created_after,
            "created_before": created_before, "sort_by": sort_by, "sort_order": sort_order,
            "offset": offset, "limit": limit,
            "include_terminated": include_terminated or None,
        })

    def get(self, instance_id: int) -> Instance:
        """Get an instance.

        Example:
            >>> client.instances.get(inst.id).status
            'running'
        """
        return self._one("GET", f"/api/instances/{int(instance_id)}", Instance)

    def find_by_name(self, name: str, *, owner: Optional[str] = None,
                     status: Optional[str] = None) -> Optional[Instance]:
        """Newest non-terminated instance with exactly this name, or ``None``.

        Example:
            >>> client.instances.find_by_name(inst.name, owner="me").id == inst.id
            True
        """
        for inst in self.list(search=name, owner=owner, status=status, limit=100).iter_all():
            if inst.name == name:
                return inst
        return None

    def get_progress(self, instance_id: int) -> InstanceProgress:
        """Startup progress (phase and steps).

        Example:
            >>> client.instances.get_progress(inst.id).status
            'running'
        """
        return self._one("GET", f"/api/instances/{int(instance_id)}/progress", InstanceProgress)

    def get_events(self, instance_id: int, *, event_type: Optional[str] = None,
                   offset: int = 0, limit: int = 50) -> PaginatedList[InstanceEvent]:
        """Event history, newest first.

        Example:
            >>> len([e.event_type for e in client.instances.get_events(inst.id)]) > 0
            True
        """
        return self._list(f"/api/instances/{int(instance_id)}/events", InstanceEvent,
                          {"event_type": event_type, "offset": offset, "limit": limit})

    def get_quota(self) -> InstanceQuota:
        """The caller's instance quota and cluster capacity.

        Example:
            >>> q = client.instances.get_quota()   # inst: a running instance of the caller
            >>> inst.status, q.active_instances >= 1, q.username
            ('running', True, 'analyst_alice@e2e.local')
        """
        return self._one("GET", "/api/instances/quota", InstanceQuota)

    # ------------------------------------------------------------ creating
    def _create(self, path: str, body: Dict[str, Any], idempotency_key: Optional[str],
                sizing: Dict[str, Any]) -> Instance:
        for key in _SIZING:
            if sizing.get(key) is not None:
                body[key] = sizing[key]
        return self._one("POST", path, Instance, json=body,
                         idempotency_key=idempotency_key or True)

    def create(
        self,
        mapping_id: Optional[int] = None,
        name: Optional[str] = None,
        wrapper_type: Optional[Union[str, WrapperType]] = None,
        *,
        snapshot_id: Optional[int] = None,
        mapping_version: Optional[int] = None,
        description: Optional[str] = None,
        ttl: Optional[DurationLike] = None,
        inactivity_timeout: Optional[DurationLike] = None,
        cpu_cores: Optional[int] = None,
        memory_gb: Optional[int] = None,
        snapshot_name: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Instance:
        """Start an instance from a mapping (a snapshot is exported first) or a ``ready`` snapshot.

        Give exactly one of ``mapping_id`` (first positional argument) and
        ``snapshot_id``.  From a mapping the instance starts in
        ``waiting_for_snapshot``; ``mapping_version`` defaults to the current one.
        ``ttl`` and ``inactivity_timeout`` take ISO 8601 text, a ``timedelta``,
        or a number of hours.

        Raises:
            InvalidStateError: the snapshot is not ready.
            ConcurrencyLimitError: instance limits reached.
            MaintenanceModeError: creation blocked by maintenance mode.

        Example:
            >>> from graph_olap.testing import random_name
            >>> again = client.instances.create(snapshot_id=inst.snapshot_id, name=random_name("again"),
            ...                                 ttl=2)
            >>> again.snapshot_id == inst.snapshot_id, again.ttl
            (True, 'PT2H')
            >>> client.instances.terminate(again.id).status in ("stopping", "terminated")
            True
        """
        if (snapshot_id is None) == (mapping_id is None):
            raise ValueError("give exactly one of mapping_id and snapshot_id")
        if not name:
            raise ValueError("name is required")
        body: Dict[str, Any] = {"name": name}
        if snapshot_id is not None:
            body["snapshot_id"] = int(snapshot_id)
        else:
            body["mapping_id"] = int(mapping_id)  # type: ignore[arg-type]
            if mapping_version is not None:
                body["mapping_version"] = int(mapping_version)
            if snapshot_name is not None:
                body["snapshot_name"] = snapshot_name
        if description is not None:
            body["description"] = description
        if ttl is not None:
            body["ttl"] = _lifecycle_duration(ttl)
        if inactivity_timeout is not None:
            body["inactivity_timeout"] = _lifecycle_duration(inactivity_timeout)
        return self._create("/api/instances", body, idempotency_key,
                            {"cpu_cores": cpu_cores, "memory_gb": memory_gb,
                             "wrapper_type": _wrapper(wrapper_type)})

    def create_from_mapping(
        self,
        mapping_id: int,
        name: str,
        *,
        description: Optional[str] = None,
        mapping_version: Optional[int] = None,
        snapshot_name: Optional[str] = None,
        ttl: Optional[DurationLike] = None,
        inactivity_timeout: Optional[DurationLike] = None,
        cpu_cores: Optional[int] = None,
        memory_gb: Optional[int] = None,
        wrapper_type: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Instance:
        """Create a snapshot and an instance in one call (status ``waiting_for_snapshot``).

        Example:
            >>> from graph_olap.testing import random_name
            >>> quick = client.instances.create_from_mapping(mapping.id, random_name("quick"), ttl="PT1H")
            >>> quick.status in ("waiting_for_snapshot", "starting")  # starting: a snapshot was ready
            True
            >>> client.instances.terminate(quick.id).status in ("stopping", "terminated")
            True
        """
        body: Dict[str, Any] = {"mapping_id": int(mapping_id), "name": name}
        if description is not None:
            body["description"] = description
        if mapping_version is not None:
            body["mapping_version"] = int(mapping_version)
        if snapshot_name is not None:
            body["snapshot_name"] = snapshot_name
        if ttl is not None:
            body["ttl"] = to_duration_str(ttl)
        if inactivity_timeout is not None:
            body["inactivity_timeout"] = to_duration_str(inactivity_timeout)
        return self._create("/api/instances/from-mapping", body, idempotency_key,
                            {"cpu_cores": cpu_cores, "memory_gb": memory_gb,
                             "wrapper_type": wrapper_type})

    # -------------------------------------------------------------- waiting
    def wait_until_running(
        self,
        instance_id: int,
        timeout: float = 900,
        poll_interval: float = 2,
        *,
        show_progress: Union[bool, str] = True,
        on_progress: Optional[ProgressCallback] = None,
    ) -> Instance:
        """Wait until the instance is ``running`` (progress bar in notebooks).

        Raises:
            SnapshotFailedError: its snapshot export failed.
            InstanceFailedError: the instance failed, or was stopped/terminated.
            TimeoutError: not running after ``timeout`` seconds.

        Example:
            >>> client.instances.wait_until_running(inst.id, timeout=600, show_progress=False).status
            'running'
        """
        mode = "auto" if show_progress is True else ("none" if not show_progress
                                                      else str(show_progress))
        state: Dict[str, Any] = {"use_progress": True}

        def fetch() -> Any:
            if state["use_progress"]:
                try:
                    return self.get_progress(instance_id)
                except NotFoundError:
                    # Progress not served (older server): fall back to the record.
                    state["use_progress"] = False
            return self.get(instance_id)

        with ProgressReporter(f"Instance {instance_id}", mode=mode, callback=on_progress) as bar:
            def tick(value: Any) -> None:
                status = value.status
                if isinstance(value, InstanceProgress):
                    bar.update(value.phase or status, value.completed_steps, value.total_steps,
                               percent=value.progress_percent)
                else:
                    order = ["waiting_for_snapshot", "starting", "running"]
                    done = order.index(status) + 1 if status in order else 0
                    bar.update(status, done, len(order))
                if status in ("failed", "stopping", "terminated"):
                    full = value if isinstance(value, Instance) else self.get(instance_id)
                    raise _failure(full)

            poll(fetch, lambda v: v.status == "running", timeout=timeout,
                 poll_interval=poll_interval, on_tick=tick,
                 timeout_error=lambda v: TimeoutError(
                     f"Instance {instance_id} not running after {timeout}s "
                     f"(status {getattr(v, 'status', None)}, phase {getattr(v, 'phase', None)})",
                     {"instance_id": instance_id}))
        return self.get(instance_id)

    def create_and_wait(
        self,
        mapping_id: Optional[int] = None,
        name: Optional[str] = None,
        wrapper_type: Optional[Union[str, WrapperType]] = None,
        *,
        snapshot_id: Optional[int] = None,
        mapping_version: Optional[int] = None,
        description: Optional[str] = None,
        ttl: Optional[DurationLike] = None,
        inactivity_timeout: Optional[DurationLike] = None,
        cpu_cores: Optional[int] = None,
        timeout: float = 900,
        poll_interval: float = 5,
        on_progress: Optional[ProgressCallback] = None,
        show_progress: Union[bool, str] = True,
        snapshot_name: Optional[str] = None,
        **sizing: Any,
    ) -> Instance:
        """:meth:`create` (from a mapping, or ``snapshot_id=``), then :meth:`wait_until_running`.

        ``on_progress(phase, completed_steps, total_steps)`` is called on every poll.

        Raises:
            SnapshotFailedError: the snapshot export failed.
            InstanceFailedError: the instance failed to start.
            TimeoutError: not running after ``timeout`` seconds.

        Example:
            >>> from graph_olap.testing import random_name
            >>> again = client.instances.create_and_wait(snapshot_id=inst.snapshot_id,
            ...                                          name=random_name("again"), ttl="PT2H",
            ...                                          show_progress=False)
            >>> again.status
            'running'
            >>> client.instances.terminate(again.id).status in ("stopping", "terminated")
            True
        """
        inst = self.create(mapping_id, name, wrapper_type, snapshot_id=snapshot_id,
                           mapping_version=mapping_version, description=description, ttl=ttl,
                           inactivity_timeout=inactivity_timeout, cpu_cores=cpu_cores,
                           snapshot_name=snapshot_name, **sizing)
        return self.wait_until_running(inst.id, timeout=timeout, poll_interval=poll_interval,
                                       on_progress=on_progress, show_progress=show_progress)

    def create_from_mapping_and_wait(
        self,
        mapping_id: int,
        name: str,
        *,
        description: Optional[str] = None,
        mapping_version: Optional[int] = None,
        snapshot_name: Optional[str] = None,
        ttl: Optional[DurationLike] = None,
        inactivity_timeout: Optional[DurationLike] = None,
        timeout: float = 900,
        poll_interval: float = 2,
        on_progress: Optional[ProgressCallback] = None,
        show_progress: Union[bool, str] = True,
        **sizing: Any,
    ) -> Instance:
        """:meth:`create_from_mapping`, then wait (export + startup) until ``running``.

        ``on_progress(phase, completed_steps, total_steps)`` is called on every poll.

        Example:
            >>> from graph_olap.testing import random_name
            >>> phases = []
            >>> fresh = client.instances.create_from_mapping_and_wait(
            ...     mapping.id, random_name("analysis"), ttl="PT1H", show_progress=False,
            ...     on_progress=lambda phase, done, total: phases.append(phase))
            >>> fresh.status, len(phases) > 0
            ('running', True)
            >>> client.instances.terminate(fresh.id).status in ("stopping", "terminated")
            True
        """
        inst = self.create_from_mapping(
            mapping_id, name, description=description, mapping_version=mapping_version,
            snapshot_name=snapshot_name, ttl=ttl, inactivity_timeout=inactivity_timeout,
            **sizing)
        return self.wait_until_running(inst.id, timeout=timeout, poll_interval=poll_interval,
                                       on_progress=on_progress, show_progress=show_progress)

    # -------------------------------------------------------------- health
    def get_health(self, instance_id: Union[int, Instance], *, timeout: float = 5.0
                   ) -> Dict[str, Any]:
        """The running instance's own ``/health`` body (``{"status": "healthy", …}``).

        Raises:
            InvalidStateError: the instance is not running.
            ConnectionError: the instance server cannot be reached or answers an error.

        Example:
            >>> client.instances.get_health(inst.id)["status"]
            'healthy'
        """
        inst = instance_id if isinstance(instance_id, Instance) else self.get(instance_id)
        if inst.status != "running" or not inst.instance_url:
            raise InvalidStateError(
                f"Instance {inst.id} is not running (status: {inst.status})",
                {"resource_type": "instance", "resource_id": inst.id,
                 "current_state": inst.status, "required_state": ["running"]},
                code="INVALID_STATE", status_code=409)
        url = self._instance_base(inst)
        http = HTTPClient(self._config.with_overrides(timeout=timeout, max_retries=0),
                          base_url=url)
        try:
            body = http.get("/health")
        except GraphOLAPError as exc:
            raise ConnectionError(
                f"Instance {inst.id} health endpoint at {url}/health failed: {exc}") from exc
        finally:
            http.close()
        return dict(body) if isinstance(body, dict) else {"status": str(body)}

    def check_health(self, instance_id: Union[int, Instance], *, timeout: float = 5.0) -> bool:
        """``True`` when the instance answers its health check with ``status: healthy``.

        Never raises.

        Example:
            >>> client.instances.check_health(inst.id)
            True
        """
        try:
            return self.get_health(instance_id, timeout=timeout).get("status") == "healthy"
        except Exception:
            return False

    def _instance_base(self, inst: Instance) -> str:
        if self._config.in_cluster_mode and inst.pod_name:
            return f"http://{inst.pod_name}.{self._config.namespace}.svc.cluster.local:8000"
        return str(inst.instance_url).rstrip("/")

    # ------------------------------------------------------------ connecting
    def connect(self, instance_id: Union[int, Instance]) -> InstanceConnection:
        """Connect to a ``running`` instance for queries and algorithms.

        In-cluster mode (``GRAPH_OLAP_IN_CLUSTER_MODE=true``) talks to the pod's
        service DNS; otherwise the opaque ``instance_url`` (control-plane proxy).

        Raises:
            InvalidStateError: the instance is not running.

        Example:
            >>> conn = client.instances.connect(inst.id)
            >>> conn.query("MATCH (c:Customer) RETURN c.id LIMIT 5").row_count
            5
        """
        inst = instance_id if isinstance(instance_id, Instance) else self.get(instance_id)
        if inst.status != "running" or not inst.instance_url:
            raise InvalidStateError(
                f"Instance {inst.id} is not running (status: {inst.status})",
                {"resource_type": "instance", "resource_id": inst.id,
                 "current_state": inst.status, "required_state": ["running"]},
                code="INVALID_STATE", status_code=409)
        return InstanceConnection(self._instance_base(inst), config=self._config, instance=inst,
                                  control=self)

    # ------------------------------------------------------------- changing
    def terminate(self, instance_id: int, reason: Optional[str] = None) -> Instance:
        """Terminate an instance (idempotent).

        Example:
            >>> from graph_olap.testing import random_name
            >>> scratch = client.instances.create(snapshot_id=inst.snapshot_id, name=random_name("scratch"))
            >>> client.instances.terminate(scratch.id).status in ("stopping", "terminated")
            True
        """
        body = {"reason": reason} if reason else None
        return self._one("POST", f"/api/instances/{int(instance_id)}/terminate", Instance,
                         json=body, idempotent=True)

    def update(self, instance_id: int, *, name: Any = UNSET, description: Any = UNSET
               ) -> Instance:
        """Rename or re-describe an instance.

        Example:
            >>> client.instances.update(inst.id, description="used by the doctests").description
            'used by the doctests'
        """
        body = put_if_set({}, name=name, description=description)
        return self._one("PUT", f"/api/instances/{int(instance_id)}", Instance, json=body)

    def set_lifecycle(self, instance_id: int, ttl: Any = UNSET,
                      inactivity_timeout: Any = UNSET) -> Instance:
        """Set (``None`` clears) TTL / inactivity timeout; TTL counts from creation.

        Example:
            >>> client.instances.set_lifecycle(inst.id, ttl="PT8H").ttl
            'PT8H'
        """
        def conv(v: Any) -> Any:
            return v if v is UNSET or v is None else to_duration_str(v)

        body = put_if_set({}, ttl=conv(ttl), inactivity_timeout=conv(inactivity_timeout))
        return self._one("PUT", f"/api/instances/{int(instance_id)}/lifecycle", Instance,
                         json=body)

    def extend_ttl(self, instance_id: int, hours: int = 24) -> Instance:
        """Extend the expiry by ``hours`` (server-side, capped by ``max_ttl``).

        Example:
            >>> before = client.instances.get(inst.id).expires_at
            >>> client.instances.extend_ttl(inst.id, hours=4).expires_at >= before
            True
        """
        return self._one("POST", f"/api/instances/{int(instance_id)}/extend", Instance,
                         json={"hours": int(hours)})

    def update_cpu(self, instance_id: int, cpu_cores: int) -> Instance:
        """Change CPU cores (1–8) of a running instance without restarting it.

        Example:
            >>> client.instances.update_cpu(inst.id, cpu_cores=2).cpu_cores
            2
        """
        return self._one("PUT", f"/api/instances/{int(instance_id)}/cpu", Instance,
                         json={"cpu_cores": int(cpu_cores)})

    def update_memory(self, instance_id: int, memory_gb: int) -> Instance:
        """Increase memory (2–32 GiB) of a running instance.

        Example:
            >>> bigger = min((client.instances.get(inst.id).memory_gb or 2) + 1, 32)   # only grows
            >>> client.instances.update_memory(inst.id, memory_gb=bigger).memory_gb == bigger
            True
        """
        return self._one("PUT", f"/api/instances/{int(instance_id)}/memory", Instance,
                         json={"memory_gb": int(memory_gb)})

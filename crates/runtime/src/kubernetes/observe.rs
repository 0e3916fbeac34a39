//! What a pod's status means for its unit: running, or exited with a cause (container exit
//! code, `OOMKilled` with the memory limit, eviction, or unschedulable / image or configuration
//! errors that last past the deadline, with the cluster's own message). Within the deadline such
//! a pod is alive with a pending reason (the same message), so the control plane can tell the
//! analyst what the instance waits for. Pure functions over the pod object.

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{ContainerStateTerminated, Pod};

use super::manifest::{CONTAINER, INSTANCE_ID_LABEL, URL_SLUG_ANNOTATION};
use super::{KubernetesConfig, manifest};
use crate::{UnitInfo, UnitState};

/// Container waiting reasons that do not fix themselves: past the deadline the unit has failed.
const STUCK_WAITING: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "CrashLoopBackOff",
];

/// The unit `pod` is, as seen at `now`; `None` when the pod is not one of ours (no instance id).
pub fn unit_info(config: &KubernetesConfig, pod: &Pod, now: DateTime<Utc>) -> Option<UnitInfo> {
    let meta = &pod.metadata;
    let name = meta.name.clone()?;
    let instance_id = meta.labels.as_ref()?.get(INSTANCE_ID_LABEL)?.parse().ok()?;
    let url_slug = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(URL_SLUG_ANNOTATION).cloned())
        .unwrap_or_else(|| name.trim_start_matches("wrapper-").to_owned());
    let started_at = meta
        .creation_timestamp
        .as_ref()
        .map(|t| DateTime::<Utc>::from_timestamp_nanos(t.0.as_nanosecond() as i64))
        .unwrap_or(now);
    let resources = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.iter().find(|c| c.name == CONTAINER))
        .and_then(|c| c.resources.as_ref());
    let cpu_cores = resources
        .and_then(|r| r.requests.as_ref()?.get("cpu"))
        .and_then(|q| parse_cores(&q.0))
        .unwrap_or(1);
    let memory_limit = resources
        .and_then(|r| r.limits.as_ref()?.get("memory"))
        .map(|q| q.0.clone());
    let memory_gb = memory_limit
        .as_deref()
        .and_then(|q| q.strip_suffix("Gi")?.parse().ok());
    let (state, pending_reason) = state(config, pod, started_at, memory_limit.as_deref(), now);
    Some(UnitInfo {
        internal_url: manifest::service_url(config, &name),
        name,
        instance_id,
        url_slug,
        state,
        pending_reason,
        pid: None,
        started_at,
        cpu_cores,
        memory_gb,
    })
}

/// Whole cores from a CPU quantity the runtime wrote (`"2"`, or `"2000m"` after normalisation).
fn parse_cores(quantity: &str) -> Option<u32> {
    match quantity.strip_suffix('m') {
        Some(milli) => milli.parse::<u32>().ok().map(|m| m.div_ceil(1000)),
        None => quantity.parse().ok(),
    }
}

/// The unit's state and, for a pod that is alive but not started, why (see [`pending_reason`]).
fn state(
    config: &KubernetesConfig,
    pod: &Pod,
    created: DateTime<Utc>,
    memory_limit: Option<&str>,
    now: DateTime<Utc>,
) -> (UnitState, Option<String>) {
    let Some(status) = &pod.status else {
        return (UnitState::Running, None);
    };
    let container = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == CONTAINER);
    let terminated = container.and_then(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.terminated.clone())
            .or_else(|| c.last_state.as_ref().and_then(|s| s.terminated.clone()))
    });
    match status.phase.as_deref() {
        Some("Failed" | "Succeeded") => (
            exited(
                status.reason.as_deref(),
                status.message.as_deref(),
                terminated,
                memory_limit,
            ),
            None,
        ),
        _ if terminated.is_some() => (exited(None, None, terminated, memory_limit), None),
        Some("Pending") => {
            let Some(why) = pending_reason(pod) else {
                return (UnitState::Running, None);
            };
            let deadline = chrono::Duration::seconds(
                i64::try_from(config.unschedulable_deadline_seconds).unwrap_or(i64::MAX),
            );
            if now - created <= deadline {
                return (UnitState::Running, Some(why.message()));
            }
            let after = config.unschedulable_deadline_seconds;
            let reason = match why {
                Pending::Unschedulable(m) => format!("unschedulable for more than {after} s: {m}"),
                Pending::Stuck(m) => format!("container not started after {after} s: {m}"),
            };
            (failed(reason), None)
        }
        _ => (UnitState::Running, None),
    }
}

/// Why a `Pending` pod has not started, when it will not fix itself without a change in the
/// cluster.
enum Pending {
    /// No node takes it: the scheduler's message.
    Unschedulable(String),
    /// Its container is stuck waiting: `{reason}: {message}`.
    Stuck(String),
}

impl Pending {
    /// What the analyst is told while the pod waits.
    fn message(&self) -> String {
        match self {
            Pending::Unschedulable(m) => format!("waiting for a node with room: {m}"),
            Pending::Stuck(m) => format!("container not started: {m}"),
        }
    }
}

/// The scheduler's `PodScheduled=False` / `Unschedulable` condition, else a container waiting
/// for a reason in [`STUCK_WAITING`]; `None` for a pod that is merely on its way.
fn pending_reason(pod: &Pod) -> Option<Pending> {
    let status = pod.status.as_ref()?;
    let unschedulable = status.conditions.iter().flatten().find(|c| {
        c.type_ == "PodScheduled"
            && c.status == "False"
            && c.reason.as_deref() == Some("Unschedulable")
    });
    if let Some(c) = unschedulable {
        return Some(Pending::Unschedulable(
            c.message
                .clone()
                .unwrap_or_else(|| "no scheduler message".into()),
        ));
    }
    let waiting = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == CONTAINER)
        .and_then(|c| c.state.as_ref()?.waiting.as_ref())
        .filter(|w| STUCK_WAITING.contains(&w.reason.as_deref().unwrap_or("")))?;
    Some(Pending::Stuck(format!(
        "{}: {}",
        waiting.reason.as_deref().unwrap_or(""),
        waiting.message.as_deref().unwrap_or("no message")
    )))
}

fn failed(reason: String) -> UnitState {
    UnitState::Exited {
        code: None,
        signal: None,
        oom_killed: false,
        reason: Some(reason),
    }
}

fn exited(
    pod_reason: Option<&str>,
    pod_message: Option<&str>,
    terminated: Option<ContainerStateTerminated>,
    memory_limit: Option<&str>,
) -> UnitState {
    let oom = terminated
        .as_ref()
        .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"));
    let reason = if oom {
        Some(format!(
            "out of memory (limit {})",
            memory_limit.unwrap_or("unknown")
        ))
    } else {
        match (pod_reason, pod_message, &terminated) {
            (Some(r), Some(m), _) => Some(format!("{r}: {m}")),
            (_, _, Some(t)) => Some(format!(
                "container {} with exit code {}{}",
                t.reason.as_deref().unwrap_or("terminated"),
                t.exit_code,
                t.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )),
            (Some(r), None, None) => Some(r.to_owned()),
            (None, Some(m), None) => Some(m.to_owned()),
            (None, None, None) => Some("the pod ended".to_owned()),
        }
    };
    UnitState::Exited {
        code: terminated.as_ref().map(|t| t.exit_code),
        signal: terminated.as_ref().and_then(|t| t.signal),
        oom_killed: oom,
        reason,
    }
}

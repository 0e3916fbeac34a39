//! The fake kubelet: schedules a pod where it fits (or leaves it unschedulable, retrying), runs
//! its container as a local process, probes readiness, reports the exit, and carries out
//! deletion with its grace period and the garbage collection of owned Services.

use std::net::Ipv4Addr;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, Pod, PodCondition, PodIP,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use nix::sys::signal::Signal;

use crate::Shared;

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

/// The scheduler's message while [`crate::FakeCluster::set_schedulable`]`(false)` plays a
/// full cluster.
pub const UNSCHEDULABLE_MESSAGE: &str = "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";

/// Sends `signal` to the process group led by `pid`; whether it was delivered.
pub fn signal(pid: u32, signal: Signal) -> bool {
    i32::try_from(pid)
        .is_ok_and(|p| nix::sys::signal::killpg(nix::unistd::Pid::from_raw(p), signal).is_ok())
}

fn condition(
    type_: &str,
    status: bool,
    reason: Option<&str>,
    message: Option<&str>,
) -> PodCondition {
    PodCondition {
        type_: type_.into(),
        status: if status { "True" } else { "False" }.into(),
        reason: reason.map(Into::into),
        message: message.map(Into::into),
        last_transition_time: Some(now()),
        ..Default::default()
    }
}

/// Applies `change` to the stored pod (if it still exists) and records a MODIFIED event.
fn update(shared: &Shared, ns: &str, name: &str, change: impl FnOnce(&mut Pod)) -> Option<Pod> {
    let mut state = shared.lock();
    let mut pod = state.pods.get(&(ns.to_owned(), name.to_owned()))?.clone();
    change(&mut pod);
    Some(shared.pod_changed(&mut state, ns, "MODIFIED", pod))
}

fn set_condition(pod: &mut Pod, c: PodCondition) {
    let status = pod.status.get_or_insert_with(Default::default);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    conditions.retain(|x| x.type_ != c.type_);
    conditions.push(c);
}

fn waiting(pod: &mut Pod, container: &str, reason: &str, message: String) {
    let status = pod.status.get_or_insert_with(Default::default);
    status.container_statuses = Some(vec![ContainerStatus {
        name: container.into(),
        image: String::new(),
        image_id: String::new(),
        ready: false,
        restart_count: 0,
        state: Some(ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: Some(message),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }]);
}

/// A free pod IP: a random loopback address on which every container port can be bound now
/// (random, so that fake clusters in parallel tests and processes do not collide).
fn pod_ip(ports: &[u16]) -> Ipv4Addr {
    let mut seed = u32::from_le_bytes(
        uuid::Uuid::new_v4().as_bytes()[..4]
            .try_into()
            .unwrap_or_default(),
    );
    loop {
        let ip = Ipv4Addr::new(
            127,
            1 + (seed % 250) as u8,
            (seed >> 8) as u8,
            1 + ((seed >> 16) % 250) as u8,
        );
        let free = ports
            .iter()
            .all(|p| std::net::TcpListener::bind((ip, *p)).is_ok());
        if free {
            return ip;
        }
        seed = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    }
}

/// How often a pod no node takes is tried again (kube-scheduler retries unschedulable pods
/// when the cluster changes; the fake simply polls).
const RETRY: Duration = Duration::from_millis(200);

/// Binds pod `name` to the first node that takes it ([`crate::scheduler::place`]) and starts
/// it, in the background. While no node does (or [`crate::FakeCluster::set_schedulable`]`(false)`
/// plays the full cluster) it stays Pending with the scheduler's `PodScheduled=False`
/// `Unschedulable` condition and its message, and is tried again until it fits or is deleted:
/// a node added or uncordoned, or room freed by another pod, lets it through.
pub fn schedule(shared: Arc<Shared>, ns: String, name: String) {
    tokio::spawn(async move {
        let key = (ns.clone(), name.clone());
        let mut told: Option<String> = None;
        loop {
            let outcome = {
                let mut state = shared.lock();
                let Some(pod) = state.pods.get(&key).cloned() else {
                    return;
                };
                if pod.metadata.deletion_timestamp.is_some() {
                    return;
                }
                let placed = if state.unschedulable {
                    Err(UNSCHEDULABLE_MESSAGE.to_owned())
                } else {
                    crate::scheduler::place(&state, &pod)
                };
                // Bound under the same lock as the fit was decided, so two pods never take
                // the same room.
                let mut pod = pod;
                match placed {
                    Ok(node) => {
                        pod.spec.get_or_insert_with(Default::default).node_name = Some(node);
                        set_condition(&mut pod, condition("PodScheduled", true, None, None));
                        shared.pod_changed(&mut state, &ns, "MODIFIED", pod);
                        None
                    }
                    Err(message) => {
                        if told.as_deref() != Some(message.as_str()) {
                            set_condition(
                                &mut pod,
                                condition(
                                    "PodScheduled",
                                    false,
                                    Some("Unschedulable"),
                                    Some(&message),
                                ),
                            );
                            shared.pod_changed(&mut state, &ns, "MODIFIED", pod);
                        }
                        Some(message)
                    }
                }
            };
            match outcome {
                Some(message) => {
                    told = Some(message);
                    tokio::time::sleep(RETRY).await;
                }
                None => break,
            }
        }
        if let Err((reason, message)) = run(&shared, &ns, &name).await {
            update(&shared, &ns, &name, |p| {
                let container = p
                    .spec
                    .as_ref()
                    .and_then(|s| s.containers.first())
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                waiting(p, &container, reason, message);
            });
        }
    });
}

/// Starts the pod's first container; on failure, the waiting reason and message.
async fn run(shared: &Arc<Shared>, ns: &str, name: &str) -> Result<(), (&'static str, String)> {
    let key = (ns.to_owned(), name.to_owned());
    let (pod, ip, dir, secrets, images) = {
        let mut state = shared.lock();
        let pod = state
            .pods
            .get(&key)
            .cloned()
            .ok_or(("Gone", String::new()))?;
        let n = state.next_ip;
        state.next_ip += 1;
        let ports: Vec<u16> = pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| u16::try_from(p.container_port).ok())
            .collect();
        let ip = pod_ip(&ports);
        let dir = shared.root.join(format!("{ns}-{name}-{n}"));
        state.runtime.insert(
            key.clone(),
            crate::PodRuntime {
                ip: Some(ip),
                dir: Some(dir.clone()),
                ..Default::default()
            },
        );
        (pod, ip, dir, state.secrets.clone(), state.images.clone())
    };
    let spec = pod.spec.clone().unwrap_or_default();
    let container = spec.containers.first().cloned().unwrap_or_default();
    let image = container.image.clone().unwrap_or_default();
    let program = images.get(&image).ok_or((
        "ErrImagePull",
        format!("Failed to pull image \"{image}\": not found"),
    ))?;

    // Volumes: a directory per mount, substituted for the mount path in the environment.
    let mut mounts = Vec::new();
    for m in container.volume_mounts.iter().flatten() {
        let local = dir.join("volumes").join(&m.name);
        std::fs::create_dir_all(&local).map_err(|e| ("CreateContainerError", e.to_string()))?;
        mounts.push((m.mount_path.clone(), local));
    }
    let remap = |value: &str| {
        for (path, local) in &mounts {
            if let Some(rest) = value.strip_prefix(path.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return format!("{}{rest}", local.display());
            }
        }
        value.to_owned()
    };
    let mut env = Vec::new();
    for e in container.env.iter().flatten() {
        let value = match (&e.value, &e.value_from) {
            (Some(v), _) => remap(v),
            (None, Some(from)) => {
                if let Some(field) = &from.field_ref {
                    match field.field_path.as_str() {
                        "metadata.name" => name.to_owned(),
                        "metadata.namespace" => ns.to_owned(),
                        "status.podIP" => ip.to_string(),
                        other => {
                            return Err((
                                "CreateContainerConfigError",
                                format!("unsupported fieldRef {other}"),
                            ));
                        }
                    }
                } else if let Some(secret) = &from.secret_key_ref {
                    secrets
                        .get(&(ns.to_owned(), secret.name.clone()))
                        .and_then(|s| s.get(&secret.key))
                        .cloned()
                        .ok_or((
                            "CreateContainerConfigError",
                            format!(
                                "secret \"{}\" not found or has no key {}",
                                secret.name, secret.key
                            ),
                        ))?
                } else {
                    return Err(("CreateContainerConfigError", "unsupported valueFrom".into()));
                }
            }
            (None, None) => String::new(),
        };
        env.push((e.name.clone(), value));
    }
    // The pod's own address instead of a network namespace: bind 0.0.0.0:PORT to 127.0.0.N:PORT.
    let args: Vec<String> = container
        .command
        .iter()
        .flatten()
        .skip(1)
        .chain(container.args.iter().flatten())
        .map(|a| match a.strip_prefix("0.0.0.0:") {
            Some(port) => format!("{ip}:{port}"),
            None => a.clone(),
        })
        .collect();
    std::fs::create_dir_all(&dir).map_err(|e| ("CreateContainerError", e.to_string()))?;
    let log = std::fs::File::create(dir.join("container.log"))
        .map_err(|e| ("CreateContainerError", e.to_string()))?;
    let err_log = log
        .try_clone()
        .map_err(|e| ("CreateContainerError", e.to_string()))?;
    let mut child = tokio::process::Command::new(program)
        .args(&args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err_log))
        .process_group(0)
        .kill_on_drop(false)
        .spawn()
        .map_err(|e| {
            (
                "CreateContainerError",
                format!("cannot start {}: {e}", program.display()),
            )
        })?;
    let pid = child.id().unwrap_or(0);
    if let Some(rt) = shared.lock().runtime.get_mut(&key) {
        rt.pid = Some(pid);
    }
    let container_name = container.name.clone();
    update(shared, ns, name, |p| {
        let status = p.status.get_or_insert_with(Default::default);
        status.phase = Some("Running".into());
        status.pod_ip = Some(ip.to_string());
        status.pod_ips = Some(vec![PodIP { ip: ip.to_string() }]);
        status.host_ip = Some("127.0.0.1".into());
        status.start_time = Some(now());
        status.container_statuses = Some(vec![ContainerStatus {
            name: container_name.clone(),
            image: image.clone(),
            image_id: String::new(),
            ready: false,
            started: Some(true),
            restart_count: 0,
            state: Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(now()),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }]);
        set_condition(
            p,
            condition("Ready", false, Some("ContainersNotReady"), None),
        );
    });

    // Readiness probe.
    if let Some(probe) = container
        .readiness_probe
        .as_ref()
        .and_then(|p| p.http_get.clone())
    {
        let port = container
            .ports
            .iter()
            .flatten()
            .find(|p| match &probe.port {
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(n) => {
                    p.name.as_deref() == Some(n.as_str())
                }
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => {
                    p.container_port == *i
                }
            })
            .map(|p| p.container_port)
            .unwrap_or(8000);
        let url = format!("http://{ip}:{port}{}", probe.path.unwrap_or_default());
        let (shared, ns, name, key) = (
            Arc::clone(shared),
            ns.to_owned(),
            name.to_owned(),
            key.clone(),
        );
        tokio::spawn(async move {
            let mut ready = false;
            loop {
                let running = shared.lock().runtime.get(&key).is_some_and(|r| !r.exited);
                if !running {
                    return;
                }
                let ok = shared
                    .http
                    .get(&url)
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok != ready {
                    ready = ok;
                    update(&shared, &ns, &name, |p| {
                        set_condition(p, condition("Ready", ok, None, None));
                        if let Some(cs) = p
                            .status
                            .as_mut()
                            .and_then(|s| s.container_statuses.as_mut())
                        {
                            cs.iter_mut().for_each(|c| c.ready = ok);
                        }
                    });
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }

    // The exit.
    let shared = Arc::clone(shared);
    let (ns, name) = (ns.to_owned(), name.to_owned());
    tokio::spawn(async move {
        let status = child.wait().await.ok();
        let oom = {
            let mut state = shared.lock();
            let rt = state.runtime.get_mut(&key);
            rt.map(|r| {
                r.exited = true;
                r.oom
            })
            .unwrap_or(false)
        };
        let code = status.and_then(|s| s.code());
        let signal = status.and_then(|s| s.signal());
        let (exit_code, reason) = match (oom, code, signal) {
            (true, _, _) => (137, "OOMKilled"),
            (false, Some(0), _) => (0, "Completed"),
            (false, Some(c), _) => (c, "Error"),
            (false, None, Some(s)) => (128 + s, "Error"),
            (false, None, None) => (255, "Unknown"),
        };
        update(&shared, &ns, &name, |p| {
            let status = p.status.get_or_insert_with(Default::default);
            status.phase = Some(
                if exit_code == 0 {
                    "Succeeded"
                } else {
                    "Failed"
                }
                .into(),
            );
            if let Some(cs) = status.container_statuses.as_mut() {
                for c in cs.iter_mut() {
                    c.ready = false;
                    c.state = Some(ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            exit_code,
                            signal: if oom { None } else { signal },
                            reason: Some(reason.into()),
                            finished_at: Some(now()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    });
                }
            }
            set_condition(p, condition("Ready", false, Some("PodFailed"), None));
        });
    });
    Ok(())
}

/// Deletes pod `name`: SIGTERM, up to `grace` seconds, SIGKILL; then the object goes and the
/// Services it owns are garbage-collected. Returns false when there is no such pod.
pub fn delete(shared: &Arc<Shared>, ns: &str, name: &str, grace: u64) -> bool {
    let key = (ns.to_owned(), name.to_owned());
    let (pid, already) = {
        let mut state = shared.lock();
        let Some(pod) = state.pods.get(&key).cloned() else {
            return false;
        };
        let already = pod.metadata.deletion_timestamp.is_some();
        let rt = state.runtime.entry(key.clone()).or_default();
        if grace == 0 {
            rt.force = true;
        }
        let pid = rt.pid.filter(|_| !rt.exited);
        if !already {
            let mut pod = pod;
            pod.metadata.deletion_timestamp = Some(now());
            pod.metadata.deletion_grace_period_seconds = Some(grace as i64);
            shared.pod_changed(&mut state, ns, "MODIFIED", pod);
        }
        (pid, already)
    };
    if already {
        // A second delete only shortens the grace (the first one's task finishes the job).
        if grace == 0
            && let Some(pid) = pid
        {
            signal(pid, Signal::SIGKILL);
        }
        return true;
    }
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        if let Some(pid) = pid {
            signal(pid, Signal::SIGTERM);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(grace);
            loop {
                let (exited, force) = shared
                    .lock()
                    .runtime
                    .get(&key)
                    .map_or((true, false), |r| (r.exited, r.force));
                if exited {
                    break;
                }
                if force || tokio::time::Instant::now() >= deadline {
                    signal(pid, Signal::SIGKILL);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut state = shared.lock();
        if let Some(pod) = state.pods.get(&key).cloned() {
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            shared.pod_changed(&mut state, &key.0, "DELETED", pod);
            state.services.retain(|(n, _), s| {
                !(n == &key.0
                    && s.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|o| o.uid == uid))
            });
        }
    });
    true
}

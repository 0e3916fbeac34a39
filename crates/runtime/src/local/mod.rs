//! The local runtime: each unit is a child process of the control plane on a free loopback port.
//!
//! Owns: spawning units (own process group, log file `work_dir/logs/{name}.log`), the unit
//! records `work_dir/units/{name}.json` that let a restarted control plane find, observe and
//! stop units started by its predecessor, and liveness checks that never mistake a reused pid
//! for a unit (the process start time from `/proc/PID/stat` is part of its identity).
//!
//! Limits of a local process, by design:
//! * **OOM.** A process killed by the kernel's OOM killer shows up as `signal: Some(9)`; it is
//!   reported with `oom_killed: false` because a process cannot tell that SIGKILL apart from any
//!   other. Memory (`memory_gb`) is recorded, not enforced.
//! * **CPU.** `resize_cpu` records the new allocation; the instance server sizes its thread pools
//!   from its `cpu_cores` when it starts, so the change takes effect the next time the unit is
//!   started. Nothing is pinned or throttled.
//! * **Exit status.** Only the runtime object that spawned a process can reap it and record its
//!   exit code or signal; a unit started by a previous control-plane process that died since is
//!   reported as `Exited { code: None, signal: None, .. }`.
//! * **Stragglers.** Signals go to the unit's process group only while its leader is alive, so
//!   processes the unit forked into its group and left behind when it exited are not cleaned up.

mod machine;
mod port;
mod procfs;
mod record;
mod signal;
mod spawn;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Mutex, watch};

use self::procfs::Liveness;
use self::record::{ExitRecord, RecordDir, SCHEMA_VERSION, UnitRecord};
use crate::{
    NodeCapacity, RequestScope, Resources, Runtime, RuntimeCapacity, RuntimeError, RuntimeHealth,
    UnitInfo, UnitSpec, UnitState,
};

/// How long `list`/`get` wait for this runtime's reaper to record the exit of a process it saw
/// die, so the exit code is reported rather than unknown.
const REAP_WAIT: Duration = Duration::from_secs(1);

/// How the local runtime runs instance servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRuntimeConfig {
    /// The instance-server executable (usually the `graph-olap` binary itself).
    pub program: PathBuf,
    /// Arguments placed before the unit's own flags (e.g. `["instance"]`, or
    /// `["instance", "--control-plane-url", …]`). Never put secrets here: the command line is
    /// visible to every local user; pass them in [`UnitSpec::env`].
    pub args: Vec<String>,
    /// Directory of unit records (`units/`) and logs (`logs/`); keep it across control-plane
    /// restarts so running units are found again.
    pub work_dir: PathBuf,
    /// Address the units listen on and are reached at (default `127.0.0.1`). An unspecified
    /// address (`0.0.0.0`) makes units listen everywhere and be reached on loopback.
    pub bind_host: IpAddr,
}

impl LocalRuntimeConfig {
    /// A configuration running `program` with no leading arguments, on `127.0.0.1`.
    pub fn new(program: impl Into<PathBuf>, work_dir: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            work_dir: work_dir.into(),
            bind_host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    /// Sets the leading arguments (e.g. `["instance"]`).
    pub fn with_args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }
}

/// Runs each unit as a local child process (see the module documentation for its limits).
///
/// Starts `program args… --instance-id N --listen HOST:PORT --internal-url http://HOST:PORT`
/// with `GRAPH_OLAP_POD_NAME={unit name}` plus the spec's environment. Units outlive the runtime
/// object (and the control-plane process): call [`Runtime::shutdown_all`] to stop them, or let a
/// later runtime object on the same `work_dir` find them with [`Runtime::list`].
#[derive(Debug, Clone)]
pub struct LocalProcessRuntime {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: LocalRuntimeConfig,
    records: Arc<RecordDir>,
    logs_dir: PathBuf,
    /// Serialises starts, so concurrent starts never pick the same port or unit.
    start_lock: Mutex<()>,
    /// Processes this object spawned and reaps: unit name → (pid, "exit recorded" signal).
    children: std::sync::Mutex<HashMap<String, (u32, watch::Receiver<bool>)>>,
}

impl LocalProcessRuntime {
    /// Opens the runtime on `config.work_dir`, creating `units/` and `logs/` inside it.
    pub fn new(config: LocalRuntimeConfig) -> Result<Self, RuntimeError> {
        let records = Arc::new(RecordDir::open(config.work_dir.join("units"))?);
        let logs_dir = config.work_dir.join("logs");
        std::fs::create_dir_all(&logs_dir).map_err(|source| RuntimeError::Io {
            path: logs_dir.clone(),
            source,
        })?;
        let inner = Inner {
            config,
            records,
            logs_dir,
            start_lock: Mutex::new(()),
            children: Default::default(),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Changes unit `name`'s record; `NotFound` when there is no record (or it went meanwhile).
    async fn update_record(
        &self,
        name: &str,
        change: impl FnOnce(&mut UnitRecord),
    ) -> Result<(), RuntimeError> {
        let not_found = || RuntimeError::NotFound {
            name: name.to_owned(),
        };
        let record = self.inner.records.read(name).await?.ok_or_else(not_found)?;
        if !self.inner.records.update(name, record.pid, change).await? {
            return Err(not_found());
        }
        Ok(())
    }

    /// The log file of unit `name` (stdout and stderr of every start, appended).
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.inner.logs_dir.join(format!("{name}.log"))
    }

    fn own_child(&self, name: &str, pid: u32) -> Option<watch::Receiver<bool>> {
        let children = self.inner.children.lock().expect("children lock poisoned");
        children
            .get(name)
            .filter(|(p, _)| *p == pid)
            .map(|(_, rx)| rx.clone())
    }

    fn forget_child(&self, name: &str, pid: u32) {
        let mut children = self.inner.children.lock().expect("children lock poisoned");
        if children.get(name).is_some_and(|(p, _)| *p == pid) {
            children.remove(name);
        }
    }

    /// Turns a record into what the caller sees, checking the process is really ours and alive.
    async fn observe(&self, record: UnitRecord) -> Result<UnitInfo, RuntimeError> {
        if record.exit.is_some()
            || procfs::liveness(record.pid, record.start_ticks) == Liveness::Alive
        {
            return Ok(info(&record));
        }
        // Dead, but maybe not reaped yet by this object: give the reaper a moment so the exit
        // code is reported, then read the record again.
        if let Some(mut reaped) = self.own_child(&record.name, record.pid) {
            let _ = tokio::time::timeout(REAP_WAIT, reaped.wait_for(|done| *done)).await;
        }
        let latest = self
            .inner
            .records
            .read(&record.name)
            .await?
            .filter(|r| r.pid == record.pid);
        let mut record = latest.unwrap_or(record);
        record.exit.get_or_insert(ExitRecord {
            code: None,
            signal: None,
            at: Utc::now(),
        });
        Ok(info(&record))
    }

    async fn start_locked(&self, spec: &UnitSpec) -> Result<UnitInfo, RuntimeError> {
        let name = spec.name();
        if let Some(existing) = self.inner.records.read(&name).await? {
            let observed = self.observe(existing.clone()).await?;
            if observed.state.is_running() {
                return Ok(observed);
            }
            self.inner.records.remove(&name, Some(existing.pid)).await?;
            self.forget_child(&name, existing.pid);
        }

        let taken: HashSet<u16> = self
            .inner
            .records
            .read_all()
            .await?
            .iter()
            .map(|r| r.port)
            .collect();
        let host = self.inner.config.bind_host;
        let port = port::pick_free_port(host, &taken)?;
        let listen = SocketAddr::new(host, port);
        let reach = if host.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host
        };
        let internal_url = format!("http://{}", SocketAddr::new(reach, port));

        let child = spawn::spawn(
            &self.inner.config,
            spec,
            listen,
            &internal_url,
            &self.log_path(&name),
        )?;
        let pid = child.id().expect("a freshly spawned child has a pid");
        // The child cannot be reaped before `reap` runs, so its /proc entry exists here.
        let start_ticks = procfs::stat(pid).map_or(0, |(ticks, _)| ticks);
        let record = UnitRecord {
            schema_version: SCHEMA_VERSION,
            name: name.clone(),
            instance_id: spec.instance_id,
            url_slug: spec.url_slug.clone(),
            cpu_cores: spec.cpu_cores,
            memory_gb: spec.memory_gb,
            env_names: spec.env.iter().map(|(k, _)| k.clone()).collect(),
            pid,
            start_ticks,
            port,
            internal_url,
            started_at: Utc::now(),
            stop_requested_at: None,
            exit: None,
        };
        let written = self.inner.records.write(&record).await;
        let reaped = spawn::reap(Arc::clone(&self.inner.records), name.clone(), pid, child);
        self.inner
            .children
            .lock()
            .expect("children lock poisoned")
            .insert(name.clone(), (pid, reaped));
        if let Err(e) = written {
            // Without a record the unit could be orphaned: do not leave it running.
            let _ = signal::terminate_group(&name, pid, start_ticks, Duration::ZERO).await;
            return Err(e);
        }
        tracing::info!(unit = %name, pid, port, instance_id = spec.instance_id, "unit started");
        Ok(info(&record))
    }
}

fn info(record: &UnitRecord) -> UnitInfo {
    let state = match record.exit {
        None => UnitState::Running,
        Some(exit) => UnitState::Exited {
            code: exit.code,
            signal: exit.signal,
            oom_killed: false,
            reason: None,
        },
    };
    UnitInfo {
        name: record.name.clone(),
        instance_id: record.instance_id,
        url_slug: record.url_slug.clone(),
        state,
        pending_reason: None,
        internal_url: record.internal_url.clone(),
        pid: Some(record.pid),
        started_at: record.started_at,
        cpu_cores: record.cpu_cores,
        memory_gb: record.memory_gb,
    }
}

fn validate(spec: &UnitSpec) -> Result<(), RuntimeError> {
    let slug = &spec.url_slug;
    let safe = !slug.is_empty()
        && slug.len() <= 200
        && slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !safe {
        return Err(RuntimeError::InvalidSpec {
            reason: format!("url_slug {slug:?} must be 1-200 letters, digits, '-' or '_'"),
        });
    }
    if spec.cpu_cores == 0 {
        return Err(RuntimeError::InvalidSpec {
            reason: "cpu_cores must be at least 1".into(),
        });
    }
    Ok(())
}

#[async_trait::async_trait]
impl Runtime for LocalProcessRuntime {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn start(&self, spec: &UnitSpec) -> Result<UnitInfo, RuntimeError> {
        validate(spec)?;
        let _guard = self.inner.start_lock.lock().await;
        self.start_locked(spec).await
    }

    async fn stop(&self, name: &str, grace: Duration) -> Result<(), RuntimeError> {
        let Some(record) = self.inner.records.read(name).await? else {
            return Ok(());
        };
        let now = Utc::now();
        self.inner
            .records
            .update(name, record.pid, |r| {
                _ = r.stop_requested_at.get_or_insert(now)
            })
            .await?;
        if record.exit.is_none() {
            signal::terminate_group(name, record.pid, record.start_ticks, grace).await?;
        }
        self.inner.records.remove(name, Some(record.pid)).await?;
        self.forget_child(name, record.pid);
        let files = spawn::data_dir(&self.inner.config, name);
        if let Err(e) = tokio::fs::remove_dir_all(&files).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(unit = name, path = %files.display(), error = %e, "could not remove the unit's files");
        }
        tracing::info!(unit = name, pid = record.pid, "unit stopped");
        Ok(())
    }

    async fn list(&self) -> Result<Vec<UnitInfo>, RuntimeError> {
        let records = self.inner.records.read_all().await?;
        let mut units = Vec::with_capacity(records.len());
        for record in records {
            units.push(self.observe(record).await?);
        }
        Ok(units)
    }

    async fn get(&self, name: &str) -> Result<Option<UnitInfo>, RuntimeError> {
        match self.inner.records.read(name).await? {
            Some(record) => self.observe(record).await.map(Some),
            None => Ok(None),
        }
    }

    async fn resize_cpu(&self, name: &str, cores: u32) -> Result<(), RuntimeError> {
        if cores == 0 {
            return Err(RuntimeError::InvalidSpec {
                reason: "cpu_cores must be at least 1".into(),
            });
        }
        self.update_record(name, |r| r.cpu_cores = cores).await
    }

    /// Records the new allocation; like CPU, memory is not enforced on a local process, and the
    /// instance server reads its `memory_gb` when it starts.
    async fn resize_memory(&self, name: &str, gb: u32) -> Result<(), RuntimeError> {
        if gb == 0 {
            return Err(RuntimeError::InvalidSpec {
                reason: "memory_gb must be at least 1".into(),
            });
        }
        if let Some(max) = self.memory_limit_gb()
            && i64::from(gb) > max
        {
            return Err(RuntimeError::InvalidSpec {
                reason: format!("{gb} GiB is more than this machine can give one unit ({max} GiB)"),
            });
        }
        self.update_record(name, |r| r.memory_gb = Some(gb)).await
    }

    async fn health(&self) -> Result<RuntimeHealth, RuntimeError> {
        let began = Instant::now();
        let units = self.list().await?;
        Ok(RuntimeHealth {
            kind: self.kind().to_owned(),
            units_running: units.iter().filter(|u| u.state.is_running()).count(),
            units_total: units.len(),
            latency_ms: u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// The machine as the one node: its CPUs and memory as allocatable, the running units'
    /// `cpu_cores` and `memory_gb` as requested (other processes request nothing), and the units
    /// by [`UnitState::phase`].
    async fn capacity(&self) -> Result<RuntimeCapacity, RuntimeError> {
        let units = self.list().await?;
        let mut units_by_phase = BTreeMap::new();
        let mut requested = Resources::default();
        let mut running = 0;
        for unit in &units {
            *units_by_phase
                .entry(unit.state.phase().to_owned())
                .or_insert(0) += 1;
            if unit.state.is_running() {
                running += 1;
                requested = requested.plus(Resources {
                    cpu_millicores: u64::from(unit.cpu_cores) * 1000,
                    memory_bytes: u64::from(unit.memory_gb.unwrap_or(0)) << 30,
                });
            }
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
        let memory_bytes = machine::memory_total_kib().unwrap_or(0) << 10;
        Ok(RuntimeCapacity {
            kind: self.kind().to_owned(),
            units_by_phase,
            nodes: vec![NodeCapacity {
                name: machine::host_name(),
                ready: true,
                schedulable: true,
                allocatable: Resources {
                    cpu_millicores: cpus * 1000,
                    memory_bytes,
                },
                requested,
                pods: running,
            }],
            requests_counted: RequestScope::OwnUnits,
        })
    }

    /// The machine's memory less 1 GiB for the control plane and the system: local units share
    /// the host, so no single one can use more.
    fn memory_limit_gb(&self) -> Option<i64> {
        machine::memory_total_kib()
            .and_then(|kib| i64::try_from(kib >> 20).ok())
            .map(|gb| gb - 1)
    }

    async fn shutdown_all(&self, grace: Duration) -> Result<(), RuntimeError> {
        let records = self.inner.records.read_all().await?;
        let stops = records.iter().map(|r| self.stop(&r.name, grace));
        futures::future::join_all(stops).await.into_iter().collect()
    }
}

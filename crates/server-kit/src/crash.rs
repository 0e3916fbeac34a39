//! Crash points: a test hook that kills the current process (SIGKILL, like `kill -9`) at a named
//! step of a multi-step operation, so that tests can prove that reconciliation repairs every
//! intermediate state (`docs/reliability.md`, the crash matrix).
//!
//! Every step is a constant of [`steps`] and a row of [`STEPS`] (operation, acting process, what
//! has happened when it is reached): the matrix iterates that table, so a step cannot be added
//! without being tested. Code marks a step with [`crash_point`] right after the durable write or
//! external effect the step names.
//!
//! The hook is the environment variable [`CRASH_ENV`] (`GRAPH_OLAP_CRASH_AT`): `<step>` kills the
//! process the first time that step is reached, `<step>@<n>` the n-th time. It is read once per
//! process; when it is unset a crash point costs one atomic load. A value that names no step is
//! reported on stderr once and otherwise ignored (a test hook must never stop production). It is a
//! test hook, not a setting: never set it in a deployment.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable that names the step at which this process kills itself.
pub const CRASH_ENV: &str = "GRAPH_OLAP_CRASH_AT";

/// Which process reaches a step (and is killed there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// The control plane (`graph-olap up` / `serve`), including its background jobs and, in
    /// `up`, the embedded export worker.
    ControlPlane,
    /// An export worker (embedded in `up` or `graph-olap worker`).
    Worker,
    /// An instance server (`graph-olap instance`).
    Instance,
    /// The `graph-olap platform` command.
    PlatformCli,
}

/// One crash point: its name, the operation it belongs to, who reaches it and what is durable
/// when it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The name used in [`CRASH_ENV`] (`operation.after_what`).
    pub name: &'static str,
    /// The multi-step operation (a row group of the matrix).
    pub operation: &'static str,
    /// The process that dies there.
    pub process: Process,
    /// What has happened (durably) when the step is reached.
    pub after: &'static str,
}

/// The step names, one constant each (see [`STEPS`] for what each means).
pub mod steps {
    /// Mapping create: row, first version and audit record committed; no response yet.
    pub const MAPPING_CREATE_COMMITTED: &str = "mapping.create.after_commit";
    /// Mapping update: new version and audit record committed; no response yet.
    pub const MAPPING_UPDATE_COMMITTED: &str = "mapping.update.after_commit";
    /// Instance create: instance row, snapshot row and export jobs committed; no response yet.
    pub const INSTANCE_CREATE_COMMITTED: &str = "instance.create.after_commit";
    /// Export: a job claimed (lease committed); the worker has not received it.
    pub const EXPORT_CLAIM_COMMITTED: &str = "export.claim.after_commit";
    /// Export: the worker cleared the prefix of previous attempts and is about to query.
    pub const EXPORT_PREFIX_CLEARED: &str = "export.worker.after_clear";
    /// Export: one Parquet part file uploaded under its final name.
    pub const EXPORT_PART_UPLOADED: &str = "export.worker.after_part_upload";
    /// Export: every part of a job uploaded; `complete` not sent yet.
    pub const EXPORT_FILES_WRITTEN: &str = "export.worker.after_files";
    /// Snapshot finalisation: `_manifest.json` written; the snapshot is not `ready` yet.
    pub const SNAPSHOT_MANIFEST_WRITTEN: &str = "snapshot.finalise.after_manifest";
    /// Export complete: job `completed` (and the snapshot `ready` if last) committed; no answer.
    pub const EXPORT_COMPLETE_COMMITTED: &str = "export.complete.after_commit";
    /// Instance start: the runtime started the unit (process / pod); not recorded yet.
    pub const INSTANCE_UNIT_STARTED: &str = "instance.start.after_unit_start";
    /// Instance start: the unit recorded on the instance row (`scheduled` event committed).
    pub const INSTANCE_UNIT_RECORDED: &str = "instance.start.after_record";
    /// Instance start (instance server): the graph is loaded; `running` not reported yet.
    pub const INSTANCE_GRAPH_LOADED: &str = "instance.load.after_load";
    /// Instance start: the control plane committed `running` from the server's report.
    pub const INSTANCE_RUNNING_COMMITTED: &str = "instance.running.after_commit";
    /// Algorithm (instance server): the lock is taken and the execution registered.
    pub const ALGO_LOCKED: &str = "algo.after_lock";
    /// Algorithm (instance server): the kernel finished; nothing written back yet.
    pub const ALGO_COMPUTED: &str = "algo.after_compute";
    /// Algorithm (instance server): the write-back committed in the engine; the execution is not
    /// marked completed and the lock not released yet.
    pub const ALGO_WRITTEN_BACK: &str = "algo.after_write_back";
    /// Terminate: `stopping` committed; the unit not stopped yet.
    pub const TERMINATE_STOPPING_COMMITTED: &str = "instance.terminate.after_stopping";
    /// Terminate: the unit stopped; `terminated` not committed yet.
    pub const TERMINATE_UNIT_STOPPED: &str = "instance.terminate.after_unit_stop";
    /// Expiry (lifecycle job): an expired instance marked `stopping`; the unit not stopped yet.
    pub const EXPIRY_STOPPING_COMMITTED: &str = "instance.expire.after_stopping";
    /// Bulk delete (admin): the first resource deleted (committed); the others not yet.
    pub const BULK_DELETE_FIRST_DONE: &str = "admin.bulk_delete.after_first";
    /// Bulk delete (admin): every resource deleted; the run's audit record not written yet.
    pub const BULK_DELETE_ALL_DONE: &str = "admin.bulk_delete.after_all";
    /// Platform apply: an intent recorded in the ledger; its request not sent.
    pub const PLATFORM_INTENT_RECORDED: &str = "platform.apply.after_intent";
    /// Platform apply: the change's request answered; the intent not completed.
    pub const PLATFORM_REQUEST_DONE: &str = "platform.apply.after_request";
    /// Platform apply: the intent completed in the ledger.
    pub const PLATFORM_INTENT_COMPLETED: &str = "platform.apply.after_complete";
}

/// Every crash point, grouped by operation in the order an operation reaches them.
#[rustfmt::skip]
pub const STEPS: &[Step] = {
    use Process::*;
    use steps::*;
    const fn s(name: &'static str, operation: &'static str, process: Process, after: &'static str) -> Step {
        Step { name, operation, process, after }
    }
    &[
        s(MAPPING_CREATE_COMMITTED, "mapping create", ControlPlane, "mapping, version and audit committed"),
        s(MAPPING_UPDATE_COMMITTED, "mapping update", ControlPlane, "new version and audit committed"),
        s(INSTANCE_CREATE_COMMITTED, "instance create → running", ControlPlane, "instance, snapshot and export-job rows committed"),
        s(EXPORT_CLAIM_COMMITTED, "snapshot export", ControlPlane, "job lease committed, worker not answered"),
        s(EXPORT_PREFIX_CLEARED, "snapshot export", Worker, "previous attempt's files cleared"),
        s(EXPORT_PART_UPLOADED, "snapshot export", Worker, "one Parquet part uploaded"),
        s(EXPORT_FILES_WRITTEN, "snapshot export", Worker, "all parts of a job uploaded, not reported"),
        s(SNAPSHOT_MANIFEST_WRITTEN, "snapshot export", ControlPlane, "manifest written, snapshot not ready"),
        s(EXPORT_COMPLETE_COMMITTED, "snapshot export", ControlPlane, "job completed (snapshot ready) committed"),
        s(INSTANCE_UNIT_STARTED, "instance create → running", ControlPlane, "instance process started, not recorded"),
        s(INSTANCE_UNIT_RECORDED, "instance create → running", ControlPlane, "instance process recorded on the row"),
        s(INSTANCE_GRAPH_LOADED, "instance create → running", Instance, "graph loaded, running not reported"),
        s(INSTANCE_RUNNING_COMMITTED, "instance create → running", ControlPlane, "running committed, server not answered"),
        s(ALGO_LOCKED, "algorithm with write-back", Instance, "lock taken, execution registered"),
        s(ALGO_COMPUTED, "algorithm with write-back", Instance, "kernel finished, nothing written"),
        s(ALGO_WRITTEN_BACK, "algorithm with write-back", Instance, "write-back committed, execution not completed"),
        s(TERMINATE_STOPPING_COMMITTED, "terminate", ControlPlane, "stopping committed, process not stopped"),
        s(TERMINATE_UNIT_STOPPED, "terminate", ControlPlane, "process stopped, terminated not committed"),
        s(EXPIRY_STOPPING_COMMITTED, "expiry", ControlPlane, "expired instance marked stopping"),
        s(BULK_DELETE_FIRST_DONE, "bulk delete", ControlPlane, "first resource deleted"),
        s(BULK_DELETE_ALL_DONE, "bulk delete", ControlPlane, "all deleted, run not audited"),
        s(PLATFORM_INTENT_RECORDED, "platform apply", PlatformCli, "intent recorded, request not sent"),
        s(PLATFORM_REQUEST_DONE, "platform apply", PlatformCli, "request answered, intent pending"),
        s(PLATFORM_INTENT_COMPLETED, "platform apply", PlatformCli, "intent completed"),
    ]
};

/// The step of [`STEPS`] called `name`.
pub fn step(name: &str) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.name == name)
}

/// The parsed hook: which step, which occurrence (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    name: &'static str,
    occurrence: usize,
}

/// Parses a [`CRASH_ENV`] value: `<step>` or `<step>@<n>` with n ≥ 1 and a known step.
fn parse(value: &str) -> Result<Target, String> {
    let value = value.trim();
    let (name, occurrence) = match value.split_once('@') {
        Some((name, n)) => match n.parse::<usize>() {
            Ok(n) if n >= 1 => (name, n),
            _ => return Err(format!("'{n}' is not an occurrence (1, 2, …)")),
        },
        None => (value, 1),
    };
    let step = step(name).ok_or_else(|| format!("no crash point is called '{name}'"))?;
    Ok(Target {
        name: step.name,
        occurrence,
    })
}

/// The hook as read once from the environment.
fn target() -> Option<&'static Target> {
    static TARGET: OnceLock<Option<Target>> = OnceLock::new();
    TARGET
        .get_or_init(|| {
            let value = std::env::var(CRASH_ENV).ok()?;
            match parse(&value) {
                Ok(t) => Some(t),
                Err(e) => {
                    eprintln!("{CRASH_ENV}={value} ignored: {e}");
                    None
                }
            }
        })
        .as_ref()
}

/// How often the targeted step has been reached in this process.
static HITS: AtomicUsize = AtomicUsize::new(0);

/// Marks that `name` (a constant of [`steps`]) has been reached: when [`CRASH_ENV`] names it
/// (and this is the named occurrence), the process is killed with SIGKILL, without unwinding,
/// flushing or running destructors — exactly what `kill -9` does from outside.
pub fn crash_point(name: &'static str) {
    let Some(target) = target() else {
        return;
    };
    debug_assert!(step(name).is_some(), "crash point {name} is not in STEPS");
    if target.name != name || HITS.fetch_add(1, Ordering::SeqCst) + 1 != target.occurrence {
        return;
    }
    eprintln!(
        "{CRASH_ENV}={name}@{}: killing this process (SIGKILL)",
        target.occurrence
    );
    let _ = nix::sys::signal::kill(nix::unistd::Pid::this(), nix::sys::signal::Signal::SIGKILL);
    // SIGKILL cannot be caught; should delivery ever be delayed, never run on.
    std::process::abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_shaped_operation_dot_step() {
        let mut names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "duplicate crash point names");
        for s in STEPS {
            assert!(s.name.contains(".after_"), "{}", s.name);
            assert!(!s.name.contains('@') && !s.name.contains(' '), "{}", s.name);
        }
    }

    #[test]
    fn the_hook_names_a_step_and_optionally_an_occurrence() {
        let t = parse("algo.after_lock").unwrap();
        assert_eq!((t.name, t.occurrence), (steps::ALGO_LOCKED, 1));
        let t = parse(" platform.apply.after_request@3 ").unwrap();
        assert_eq!((t.name, t.occurrence), (steps::PLATFORM_REQUEST_DONE, 3));
        assert!(
            parse("algo.after_lunch")
                .unwrap_err()
                .contains("algo.after_lunch")
        );
        assert!(parse("algo.after_lock@0").is_err());
        assert!(parse("algo.after_lock@x").is_err());
    }

    #[test]
    fn an_unset_hook_never_kills() {
        // The test process has no hook set: reaching every step returns.
        if std::env::var_os(CRASH_ENV).is_none() {
            for s in STEPS {
                crash_point(s.name);
            }
        }
    }
}

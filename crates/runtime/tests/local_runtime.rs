//! The local runtime against real processes (the `runtime-test-unit` stand-in server): start,
//! observe, stop, exits from outside, restart adoption, pid reuse, shutdown and logs.

mod common;

use std::time::{Duration, Instant};

use common::{KillOnDrop, alive, eventually, get, runtime, spec, wait_ready};
use graph_olap_runtime::{Runtime, RuntimeError, UnitState};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const GRACE: Duration = Duration::from_secs(5);

fn pid_of(unit: &graph_olap_runtime::UnitInfo) -> u32 {
    unit.pid.expect("local units have a pid")
}

#[tokio::test]
async fn start_serves_lists_and_stops_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(7, "slug-a", &[])).await.unwrap();
    assert_eq!(unit.name, "wrapper-slug-a");
    assert_eq!(
        (unit.instance_id, unit.cpu_cores, unit.memory_gb),
        (7, 2, Some(4))
    );
    assert!(
        unit.internal_url.starts_with("http://127.0.0.1:"),
        "{}",
        unit.internal_url
    );
    wait_ready(&unit).await;

    let listed = rt.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, UnitState::Running);
    assert_eq!(listed[0].internal_url, unit.internal_url);
    assert_eq!(
        rt.get("wrapper-slug-a").await.unwrap().unwrap().pid,
        unit.pid
    );
    let health = rt.health().await.unwrap();
    assert_eq!(
        (
            health.kind.as_str(),
            health.units_running,
            health.units_total
        ),
        ("local", 1, 1)
    );

    let again = rt.start(&spec(7, "slug-a", &[])).await.unwrap();
    assert_eq!(again.pid, unit.pid, "starting a running unit returns it");

    rt.stop("wrapper-slug-a", GRACE).await.unwrap();
    assert!(!alive(pid_of(&unit)));
    assert!(rt.get("wrapper-slug-a").await.unwrap().is_none());
    assert!(rt.list().await.unwrap().is_empty());
    assert!(
        get(&unit.internal_url, "/ready").await.is_none(),
        "port released"
    );
    rt.stop("wrapper-slug-a", GRACE).await.unwrap();
    rt.stop("wrapper-never-started", GRACE).await.unwrap();
}

#[tokio::test]
async fn killed_from_outside_is_exited_with_its_signal_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(1, "killed", &[])).await.unwrap();
    wait_ready(&unit).await;
    kill(Pid::from_raw(pid_of(&unit) as i32), Signal::SIGKILL).unwrap();
    assert!(eventually(|| !alive(pid_of(&unit))).await);

    let listed = rt.list().await.unwrap();
    assert_eq!(
        listed.len(),
        1,
        "an exited unit stays listed for reconciliation"
    );
    assert_eq!(
        listed[0].state,
        UnitState::Exited {
            code: None,
            signal: Some(9),
            oom_killed: false,
            reason: None
        }
    );
    assert_eq!(rt.health().await.unwrap().units_running, 0);

    rt.stop(&unit.name, GRACE).await.unwrap();
    assert!(rt.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn exit_codes_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(1, "asked-to-exit", &[])).await.unwrap();
    wait_ready(&unit).await;
    get(&unit.internal_url, "/exit/3").await;
    assert!(eventually(|| !alive(pid_of(&unit))).await);
    let state = rt.get(&unit.name).await.unwrap().unwrap().state;
    assert_eq!(
        state,
        UnitState::Exited {
            code: Some(3),
            signal: None,
            oom_killed: false,
            reason: None
        }
    );

    let early = rt
        .start(&spec(
            2,
            "exits-at-start",
            &[("TEST_UNIT_EXIT_AT_START", "7")],
        ))
        .await
        .unwrap();
    assert!(eventually(|| !alive(pid_of(&early))).await);
    let state = rt.get(&early.name).await.unwrap().unwrap().state;
    assert_eq!(
        state,
        UnitState::Exited {
            code: Some(7),
            signal: None,
            oom_killed: false,
            reason: None
        }
    );

    // Starting an exited unit again replaces it.
    let restarted = rt.start(&spec(1, "asked-to-exit", &[])).await.unwrap();
    assert_ne!(restarted.pid, unit.pid);
    wait_ready(&restarted).await;
    rt.shutdown_all(GRACE).await.unwrap();
}

#[tokio::test]
async fn a_unit_ignoring_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt
        .start(&spec(1, "stubborn", &[("TEST_UNIT_IGNORE_SIGTERM", "1")]))
        .await
        .unwrap();
    wait_ready(&unit).await;
    let began = Instant::now();
    rt.stop(&unit.name, Duration::from_millis(400))
        .await
        .unwrap();
    assert!(
        began.elapsed() >= Duration::from_millis(400),
        "waited for the grace period"
    );
    assert!(!alive(pid_of(&unit)));
    assert!(rt.list().await.unwrap().is_empty());
    let log = std::fs::read_to_string(rt.log_path(&unit.name)).unwrap();
    assert!(log.contains("ignoring SIGTERM"), "{log}");
}

#[tokio::test]
async fn a_restarted_control_plane_sees_and_stops_units_of_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let first = runtime(dir.path());
    let a = first
        .start(&spec(1, "before-restart-a", &[]))
        .await
        .unwrap();
    let b = first
        .start(&spec(2, "before-restart-b", &[]))
        .await
        .unwrap();
    wait_ready(&a).await;
    drop(first);

    let second = runtime(dir.path());
    let listed = second.list().await.unwrap();
    let names: Vec<_> = listed
        .iter()
        .map(|u| (u.name.as_str(), u.instance_id, u.state.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("wrapper-before-restart-a", 1, UnitState::Running),
            ("wrapper-before-restart-b", 2, UnitState::Running)
        ]
    );
    assert_eq!(listed[0].internal_url, a.internal_url);

    second.stop(&a.name, GRACE).await.unwrap();
    assert!(!alive(pid_of(&a)));
    second.shutdown_all(GRACE).await.unwrap();
    assert!(!alive(pid_of(&b)));
    assert!(second.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_record_whose_pid_was_reused_is_not_treated_as_ours() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(1, "reused", &[])).await.unwrap();
    wait_ready(&unit).await;

    // Make the record point at an unrelated live process, as after pid reuse: the recorded
    // process started one clock tick before the one now holding the pid.
    let mut stranger = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let _cleanup = KillOnDrop(vec![pid_of(&unit)]);
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", stranger.id())).unwrap();
    let stranger_ticks: u64 = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(19)
        .unwrap()
        .parse()
        .unwrap();
    let path = dir.path().join("units").join(format!("{}.json", unit.name));
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    record["pid"] = stranger.id().into();
    record["start_ticks"] = (stranger_ticks - 1).into();
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();

    let seen = rt.get(&unit.name).await.unwrap().unwrap();
    assert!(matches!(seen.state, UnitState::Exited { .. }), "{seen:?}");
    rt.stop(&unit.name, GRACE).await.unwrap();
    assert!(
        alive(stranger.id()),
        "a process that is not ours is never signalled"
    );
    assert!(rt.get(&unit.name).await.unwrap().is_none());

    stranger.kill().unwrap();
    stranger.wait().unwrap();
}

#[tokio::test]
async fn shutdown_all_stops_everything_and_concurrent_starts_get_distinct_ports() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let (s1, s2, s3) = (spec(1, "c1", &[]), spec(2, "c2", &[]), spec(3, "c3", &[]));
    let (u1, u2, u3) = tokio::join!(rt.start(&s1), rt.start(&s2), rt.start(&s3));
    let units = [u1.unwrap(), u2.unwrap(), u3.unwrap()];
    let mut urls: Vec<_> = units.iter().map(|u| u.internal_url.clone()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 3, "distinct ports: {urls:?}");
    for unit in &units {
        wait_ready(unit).await;
    }
    assert_eq!(rt.health().await.unwrap().units_running, 3);

    rt.shutdown_all(GRACE).await.unwrap();
    assert!(units.iter().all(|u| !alive(pid_of(u))));
    assert!(rt.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn logs_are_written_the_environment_is_set_and_secrets_stay_off_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let secret = "s3cr3t-internal-key";
    let env = [
        ("GRAPH_OLAP_INTERNAL_API_KEY", secret),
        ("TEST_UNIT_ECHO", "hello-from-env"),
    ];
    let unit = rt.start(&spec(42, "logged", &env)).await.unwrap();
    wait_ready(&unit).await;

    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid_of(&unit))).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let port = unit.internal_url.rsplit(':').next().unwrap();
    let expected = format!(
        "instance --instance-id 42 --listen 127.0.0.1:{port} --internal-url {}",
        unit.internal_url
    );
    assert!(cmdline.contains(&expected), "{cmdline}");
    assert!(!cmdline.contains(secret));
    // The malloc arena cap is in the environment, so an instance server need not re-execute.
    let environ = std::fs::read(format!("/proc/{}/environ", pid_of(&unit))).unwrap();
    let (name, value) = graph_olap_runtime::MALLOC_ARENA_MAX;
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|entry| entry == format!("{name}={value}").as_bytes()),
        "{}",
        String::from_utf8_lossy(&environ)
    );
    let record = std::fs::read_to_string(dir.path().join("units/wrapper-logged.json")).unwrap();
    assert!(
        !record.contains(secret) && record.contains("GRAPH_OLAP_INTERNAL_API_KEY"),
        "{record}"
    );

    rt.stop(&unit.name, GRACE).await.unwrap();
    let log = std::fs::read_to_string(rt.log_path(&unit.name)).unwrap();
    assert_eq!(
        rt.log_path(&unit.name),
        dir.path().join("logs/wrapper-logged.log")
    );
    for needle in [
        "starting unit wrapper-logged (instance 42)",
        "echo: hello-from-env",
        "pod name: wrapper-logged",
        "SIGTERM: exiting",
    ] {
        assert!(log.contains(needle), "{needle:?} missing from {log}");
    }
}

#[tokio::test]
async fn resize_cpu_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(1, "resized", &[])).await.unwrap();
    rt.resize_cpu(&unit.name, 6).await.unwrap();
    assert_eq!(rt.get(&unit.name).await.unwrap().unwrap().cpu_cores, 6);
    assert_eq!(
        runtime(dir.path())
            .get(&unit.name)
            .await
            .unwrap()
            .unwrap()
            .cpu_cores,
        6,
        "persisted"
    );
    assert!(matches!(
        rt.resize_cpu("wrapper-unknown", 2).await,
        Err(RuntimeError::NotFound { .. })
    ));
    assert!(matches!(
        rt.resize_cpu(&unit.name, 0).await,
        Err(RuntimeError::InvalidSpec { .. })
    ));
    rt.stop(&unit.name, GRACE).await.unwrap();
}

#[tokio::test]
async fn resize_memory_is_recorded_within_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(1, "grown", &[])).await.unwrap();
    rt.resize_memory(&unit.name, 3).await.unwrap();
    let seen = runtime(dir.path()).get(&unit.name).await.unwrap().unwrap();
    assert_eq!(seen.memory_gb, Some(3), "persisted");
    let too_big = u32::try_from(rt.memory_limit_gb().unwrap() + 1).unwrap();
    let e = rt.resize_memory(&unit.name, too_big).await.unwrap_err();
    assert!(matches!(e, RuntimeError::InvalidSpec { .. }), "{e}");
    assert!(e.to_string().contains("more than this machine"), "{e}");
    assert_eq!(
        rt.get(&unit.name).await.unwrap().unwrap().memory_gb,
        Some(3)
    );
    assert!(matches!(
        rt.resize_memory("wrapper-unknown", 2).await,
        Err(RuntimeError::NotFound { .. })
    ));
    rt.stop(&unit.name, GRACE).await.unwrap();
}

#[tokio::test]
async fn capacity_is_the_machine_with_the_running_units_requests() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut a = spec(1, "cap-a", &[]);
    a.cpu_cores = 2;
    a.memory_gb = Some(3);
    let a = rt.start(&a).await.unwrap();
    let b = rt.start(&spec(2, "cap-b", &[])).await.unwrap();
    let _guard = KillOnDrop(vec![pid_of(&a), pid_of(&b)]);
    let c = rt.capacity().await.unwrap();
    assert_eq!(c.kind, "local");
    assert_eq!(
        c.requests_counted,
        graph_olap_runtime::RequestScope::OwnUnits
    );
    assert_eq!(c.units_by_phase.get("Running"), Some(&2), "{c:?}");
    assert_eq!(c.nodes.len(), 1);
    let node = &c.nodes[0];
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(node.name, hostname.trim());
    assert!(node.ready && node.schedulable);
    let cpus = std::thread::available_parallelism().unwrap().get() as u64;
    assert_eq!(node.allocatable.cpu_millicores, cpus * 1000);
    let limit_gb = u64::try_from(rt.memory_limit_gb().unwrap()).unwrap();
    assert_eq!(
        node.allocatable.memory_bytes >> 30,
        limit_gb + 1,
        "MemTotal"
    );
    let b_requests = 1000 * u64::from(b.cpu_cores);
    assert_eq!(node.requested.cpu_millicores, 2000 + b_requests);
    assert_eq!(
        node.requested.memory_bytes,
        (3 + u64::from(b.memory_gb.unwrap_or(0))) << 30
    );
    assert_eq!(node.pods, 2);

    rt.stop(&b.name, GRACE).await.unwrap();
    let c = rt.capacity().await.unwrap();
    assert_eq!(c.units_by_phase.values().sum::<usize>(), 1, "{c:?}");
    assert_eq!(c.nodes[0].requested.cpu_millicores, 2000);
    rt.stop(&a.name, GRACE).await.unwrap();
}

#[tokio::test]
async fn bad_specs_and_programs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    for slug in ["", "../escape", "a/b", "dot.dot"] {
        assert!(
            matches!(
                rt.start(&spec(1, slug, &[])).await,
                Err(RuntimeError::InvalidSpec { .. })
            ),
            "{slug:?}"
        );
    }
    let missing =
        graph_olap_runtime::LocalRuntimeConfig::new(dir.path().join("no-such-program"), dir.path());
    let rt = graph_olap_runtime::LocalProcessRuntime::new(missing).unwrap();
    let err = rt.start(&spec(1, "ok", &[])).await.unwrap_err();
    assert!(matches!(err, RuntimeError::SpawnFailed { .. }), "{err}");
    assert!(err.to_string().contains("no-such-program"), "{err}");
    assert!(
        rt.list().await.unwrap().is_empty(),
        "no record for a unit that never started"
    );
}

#[test]
fn the_memory_limit_is_the_machine_less_one_gib() {
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime(dir.path());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let total_kib: i64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(rt.memory_limit_gb(), Some((total_kib >> 20) - 1));
}

#[tokio::test]
async fn each_unit_keeps_its_files_under_the_work_dir_until_it_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let unit = rt.start(&spec(7, "files", &[])).await.unwrap();
    let _guard = KillOnDrop(vec![pid_of(&unit)]);
    wait_ready(&unit).await;
    let marker = dir.path().join("data").join(&unit.name).join("marker");
    assert!(
        eventually(|| marker.exists()).await,
        "the unit writes into {}",
        marker.display()
    );
    rt.stop(&unit.name, Duration::from_secs(5)).await.unwrap();
    assert!(
        !marker.parent().unwrap().exists(),
        "stop removes the unit's files"
    );
}

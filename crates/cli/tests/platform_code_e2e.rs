//! `graph-olap platform …` end to end against a real `graph-olap up` process: the demo
//! platform's own declaration (examples/platform) imports as converged; a SQL edit plans as a
//! version update with the diff and applies; a setting changed through the API is found by
//! refresh and converged back; malformed input fails with file and line and changes nothing; an
//! apply SIGKILLed by the test hook leaves its lock in `status`, and after `force-unlock` the
//! next apply converges with nothing duplicated.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{OPS, Platform};
use reqwest::Method;
use serde_json::Value;

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

struct Cli<'a> {
    url: &'a str,
    ops_key: String,
    admin_key: String,
    dir: &'a Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_graph-olap"));
        c.arg("platform")
            .args(args)
            .arg("--config")
            .arg(self.dir)
            .args(["--url", self.url])
            .env("GRAPH_OLAP_API_KEY", &self.ops_key)
            .env("GRAPH_OLAP_ADMIN_API_KEY", &self.admin_key);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(&[args, &["--json"]].concat(), &[]);
        assert_eq!(code, Some(0), "{args:?}: {err}{out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel}: {from}");
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}

#[tokio::test]
async fn the_demo_platform_as_code_against_graph_olap_up() {
    let data = tempfile::tempdir().unwrap();
    let platform = Platform::start(data.path()).await;
    let keys: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(data.path().join("persona-keys.json")).unwrap(),
    )
    .unwrap();
    let decl = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform"),
        decl.path(),
    );
    let cli = Cli {
        url: &platform.url,
        ops_key: keys[OPS].clone(),
        admin_key: keys["admin_carol@e2e.local"].clone(),
        dir: decl.path(),
    };

    // validate (offline and online), import, plan: the demo platform is what it declares.
    assert_eq!(cli.json(&["validate", "--online"])["valid"], true);
    assert_eq!(cli.json(&["import", "--as", "dave"])["imported"], 2 + 4 + 4);
    let plan = cli.json(&["plan"]);
    assert_eq!(plan["converged"], true, "{plan:#}");

    // Edit SQL → update with the diff → apply → version 2 live.
    edit(
        decl.path(),
        "mappings/sql/bank_customer.sql",
        "FROM demo.bank.customers",
        "FROM demo.bank.customers WHERE customer_id > 0",
    );
    let plan = cli.json(&["plan"]);
    assert_eq!(plan["changes"][0]["action"], "update");
    assert_eq!(
        plan["changes"][0]["detail"]["diff"]["changes"]["nodes"][0]["fields_changed"],
        serde_json::json!(["sql"])
    );
    let (code, out, err) = cli.run(&["apply", "--as", "dave"], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("[applied]") && out.contains("converged: true"),
        "{out}"
    );
    let id = platform.mapping_id("bank-graph").await;
    let (_, m) = platform
        .call(Method::GET, &format!("/api/mappings/{id}"), OPS, None)
        .await;
    assert_eq!(m["data"]["current_version"], 2);

    // Drift through the API → refresh → plan converges it back.
    let (st, _) = platform
        .call(
            Method::PUT,
            "/api/config/export",
            OPS,
            Some(serde_json::json!({"max_duration_seconds": 120})),
        )
        .await;
    assert!(st.is_success());
    assert_eq!(
        cli.json(&["refresh", "--as", "dave"])["drifted"],
        serde_json::json!(["setting/export"])
    );
    let status = cli.json(&["status"]);
    let rec = status["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_key"] == "setting/export")
        .unwrap()
        .clone();
    assert_eq!(rec["status"], "drifted");
    assert_eq!(
        cli.json(&["plan"])["changes"][0]["resource"],
        "setting/export"
    );

    // A malformed declaration: file and line, exit non-zero, nothing changed.
    let good = std::fs::read_to_string(decl.path().join("platform.yaml")).unwrap();
    std::fs::write(
        decl.path().join("platform.yaml"),
        good.replace("version: 1", "version: 1\nbogus: true"),
    )
    .unwrap();
    let (code, _, err) = cli.run(&["apply"], &[]);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("platform.yaml:3") && err.contains("unknown field `bogus`"),
        "{err}"
    );
    std::fs::write(decl.path().join("platform.yaml"), good).unwrap();

    // kill -9 in the middle (after the request of the first change): lock shown, force-unlock,
    // next apply converges, the setting set exactly once.
    edit(
        decl.path(),
        "platform.yaml",
        "per_analyst: 10",
        "per_analyst: 6",
    );
    let (code, _, _) = cli.run(
        &["apply", "--as", "dave"],
        &[("GRAPH_OLAP_CRASH_AT", "platform.apply.after_request")],
    );
    assert_eq!(code, None, "killed by a signal");
    let status = cli.json(&["status"]);
    let lock_id = status["lock"]["lock_id"]
        .as_str()
        .expect("lock held")
        .to_string();
    assert_eq!(status["pending_intents"].as_array().unwrap().len(), 1);
    let (code, _, err) = cli.run(&["apply"], &[]);
    assert_ne!(code, Some(0));
    assert!(err.contains(&lock_id), "{err}");
    let (code, _, err) = cli.run(&["force-unlock", &lock_id, "--as", "dave"], &[]);
    assert_eq!(code, Some(0), "{err}");
    let report = cli.json(&["apply", "--as", "dave"]);
    assert_eq!(report["converged"], true, "{report:#}");
    assert_eq!(report["recovered"][0]["result"], "completed");
    assert_eq!(cli.json(&["plan"])["converged"], true);
    let (_, conc) = platform
        .call(Method::GET, "/api/config/concurrency", OPS, None)
        .await;
    assert_eq!(conc["data"]["per_analyst"], 6);
}

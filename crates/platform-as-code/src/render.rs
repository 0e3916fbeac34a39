//! Human-readable text of plans, apply reports and the ledger status (the CLI prints these;
//! `--json` prints the serialised values instead).

use serde_json::Value;

use crate::apply::ApplyReport;
use crate::plan::{Change, Plan};

fn change_line(c: &Change, result: &str) -> String {
    let mut s = format!(
        "{:>3}. {:<7} {:<40} [{}]\n     {}",
        c.step,
        c.action.as_str(),
        c.resource,
        result,
        c.summary
    );
    if let Some(diff) = c.detail.get("diff") {
        for k in ["nodes", "edges"] {
            for ch in diff["changes"][k].as_array().into_iter().flatten() {
                let name = ch
                    .get("label")
                    .or_else(|| ch.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                s.push_str(&format!(
                    "\n       {k} {name}: {}",
                    ch["change_type"].as_str().unwrap_or("?")
                ));
                if let Some(f) = ch["fields_changed"].as_array() {
                    s.push_str(&format!(
                        " ({})",
                        f.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    s
}

/// The plan as text.
pub fn plan(p: &Plan) -> String {
    let mut out = format!("plan for platform '{}'\n", p.platform);
    for c in &p.changes {
        out.push_str(&change_line(c, &c.disposition));
        out.push('\n');
    }
    for n in &p.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!("converged: {}\n", p.converged));
    out
}

/// An apply report as text.
pub fn report(r: &ApplyReport) -> String {
    let mut out = String::new();
    for x in &r.recovered {
        out.push_str(&format!(
            "recovered intent {} ({} {}): {}\n",
            x.intent_id, x.action, x.resource, x.result
        ));
    }
    for s in &r.steps {
        out.push_str(&change_line(&s.change, &s.result));
        out.push('\n');
    }
    out.push_str(&format!(
        "applied by {}; converged: {}\n",
        r.actor, r.converged
    ));
    out
}

/// The ledger as text.
pub fn status(ledger: &Value) -> String {
    let mut out = String::new();
    match ledger["lock"].as_object() {
        Some(l) => out.push_str(&format!(
            "lock: HELD id {} by {} (actor {}) since {}\n",
            l["lock_id"].as_str().unwrap_or("?"),
            l["holder"].as_str().unwrap_or("?"),
            l["actor"].as_str().unwrap_or("?"),
            l["acquired_at"].as_str().unwrap_or("?")
        )),
        None => out.push_str("lock: free\n"),
    }
    out.push_str("resources:\n");
    for r in ledger["resources"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {:<44} {:<8} live_id={:<24} applied {} by {}\n",
            r["resource_key"].as_str().unwrap_or("?"),
            r["status"].as_str().unwrap_or("?"),
            r["live_id"].as_str().unwrap_or("-"),
            r["applied_at"].as_str().unwrap_or("?"),
            r["applied_by"].as_str().unwrap_or("?")
        ));
    }
    let pending = ledger["pending_intents"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    out.push_str(&format!(
        "pending intents: {pending}{}\n",
        if pending > 0 {
            " (run `graph-olap platform apply` to complete or retire them)"
        } else {
            ""
        }
    ));
    for a in ledger["approvals"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "approval {} {} {} by {} at {}{}\n",
            a["id"].as_str().unwrap_or("?"),
            a["action"].as_str().unwrap_or("?"),
            a["resource_key"].as_str().unwrap_or("?"),
            a["approved_by"].as_str().unwrap_or("?"),
            a["approved_at"].as_str().unwrap_or("?"),
            a["consumed_at"]
                .as_str()
                .map(|c| format!(", consumed {c}"))
                .unwrap_or_default()
        ));
    }
    out
}

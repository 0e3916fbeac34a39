//! The fake scheduler's filter: which node a pod fits on, or why none does, in the words of
//! kube-scheduler's `FitError` (`0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient
//! memory. preemption: …`).
//!
//! A node takes a pod when it is `Ready`, not cordoned, and its allocatable CPU and memory minus
//! the requests of the non-terminated pods already bound to it cover the pod's requests — the
//! `NodeResourcesFit` filter. Requests are counted as the scheduler counts them
//! ([`graph_olap_runtime::kubernetes::quantity::pod_requests`]: containers summed, the largest
//! init container, the pod overhead). Taints, affinity, node selectors and the pod-count limit
//! are not modelled.

use std::collections::BTreeMap;

use graph_olap_runtime::Resources;
use graph_olap_runtime::kubernetes::quantity;
use k8s_openapi::api::core::v1::{Node, Pod};

use crate::State;

/// Why a node was filtered out, and whether evicting lower-priority pods could help.
struct Misfit {
    reason: &'static str,
    preemption_helps: bool,
}

/// The node `pod` goes to — the first by name that takes it — or the scheduler's message
/// saying why no node does.
pub fn place(state: &State, pod: &Pod) -> Result<String, String> {
    let want = quantity::pod_requests(pod);
    let mut misfits = Vec::new();
    for (name, node) in &state.nodes {
        let reasons = filter(state, node, name, want);
        if reasons.is_empty() {
            return Ok(name.clone());
        }
        misfits.push(reasons);
    }
    Err(fit_error(&misfits))
}

/// The reasons `node` cannot take a pod requesting `want`; empty when it can.
fn filter(state: &State, node: &Node, name: &str, want: Resources) -> Vec<Misfit> {
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if !ready {
        // The node lifecycle controller taints a node that is not ready; the pod has no
        // toleration for it.
        return vec![Misfit {
            reason: "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
            preemption_helps: false,
        }];
    }
    if node
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false)
    {
        return vec![Misfit {
            reason: "node(s) were unschedulable",
            preemption_helps: false,
        }];
    }
    let quantities = status.and_then(|s| s.allocatable.as_ref());
    let allocatable = Resources {
        cpu_millicores: quantities
            .and_then(|a| a.get("cpu"))
            .and_then(quantity::millicores)
            .unwrap_or(0),
        memory_bytes: quantities
            .and_then(|a| a.get("memory"))
            .and_then(quantity::bytes)
            .unwrap_or(0),
    };
    let free = allocatable.minus(requested_on(state, name));
    let mut reasons = Vec::new();
    if want.cpu_millicores > free.cpu_millicores {
        reasons.push(Misfit {
            reason: "Insufficient cpu",
            preemption_helps: true,
        });
    }
    if want.memory_bytes > free.memory_bytes {
        reasons.push(Misfit {
            reason: "Insufficient memory",
            preemption_helps: true,
        });
    }
    reasons
}

/// The requests of the pods bound to node `name` that have not terminated.
fn requested_on(state: &State, name: &str) -> Resources {
    state
        .pods
        .values()
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name))
        .filter(|p| {
            !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            )
        })
        .map(quantity::pod_requests)
        .fold(Resources::default(), Resources::plus)
}

/// kube-scheduler's message: every reason with the number of nodes that gave it, sorted as
/// the scheduler sorts them (as `"{count} {reason}"` strings), then what preemption found.
fn fit_error(misfits: &[Vec<Misfit>]) -> String {
    let n = misfits.len();
    if n == 0 {
        return "no nodes available to schedule pods".to_owned();
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    let mut preemption: BTreeMap<&str, usize> = BTreeMap::new();
    for node in misfits {
        for m in node {
            *reasons.entry(m.reason).or_default() += 1;
        }
        let helps = node.iter().all(|m| m.preemption_helps);
        let verdict = if helps {
            "No preemption victims found for incoming pod"
        } else {
            "Preemption is not helpful for scheduling"
        };
        *preemption.entry(verdict).or_default() += 1;
    }
    format!(
        "0/{n} nodes are available: {}. preemption: 0/{n} nodes are available: {}.",
        histogram(&reasons),
        histogram(&preemption)
    )
}

fn histogram(counts: &BTreeMap<&str, usize>) -> String {
    let mut parts: Vec<String> = counts.iter().map(|(r, c)| format!("{c} {r}")).collect();
    parts.sort();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_counts_and_sorts_reasons_as_kube_scheduler_does() {
        let resources = || {
            vec![
                Misfit {
                    reason: "Insufficient cpu",
                    preemption_helps: true,
                },
                Misfit {
                    reason: "Insufficient memory",
                    preemption_helps: true,
                },
            ]
        };
        let cordoned = vec![Misfit {
            reason: "node(s) were unschedulable",
            preemption_helps: false,
        }];
        let memory = vec![Misfit {
            reason: "Insufficient memory",
            preemption_helps: true,
        }];
        assert_eq!(
            fit_error(&[resources(), cordoned, memory]),
            "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable, \
             2 Insufficient memory. preemption: 0/3 nodes are available: \
             1 Preemption is not helpful for scheduling, \
             2 No preemption victims found for incoming pod."
        );
        assert_eq!(fit_error(&[]), "no nodes available to schedule pods");
    }
}

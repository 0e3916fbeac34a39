//! The pod watch: list, then watch from the list's resource version; every event, and every
//! re-list after a dropped or expired watch, moves a counter the control plane waits on. Owns
//! only noticing changes; what they mean is read by `list`/`get` like any other time.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};

use super::manifest::SELECTOR;

/// Pause before re-listing after an error, so a failing API server is not hammered.
const BACKOFF: Duration = Duration::from_millis(500);
/// Server-side timeout of one watch request; the watch resumes from where it stopped.
const WATCH_TIMEOUT_S: u32 = 290;

/// Starts the watch task; the receiver's value counts the changes seen so far.
pub(super) fn spawn(
    pods: Api<Pod>,
) -> (
    tokio::sync::watch::Receiver<u64>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::watch::channel(0u64);
    let task = tokio::spawn(async move {
        loop {
            if tx.is_closed() {
                return;
            }
            if let Err(e) = watch_once(&pods, &tx).await {
                tracing::debug!(error = %e, "pod watch interrupted; re-listing");
                tokio::time::sleep(BACKOFF).await;
            }
        }
    });
    (rx, task)
}

/// One list + watch cycle; returns when the watch ends (normally or not).
async fn watch_once(
    pods: &Api<Pod>,
    tx: &tokio::sync::watch::Sender<u64>,
) -> Result<(), kube::Error> {
    let list = pods.list(&ListParams::default().labels(SELECTOR)).await?;
    // A re-list may have missed events while no watch was open: report it as a change.
    tx.send_modify(|n| *n += 1);
    let mut version = list.metadata.resource_version.unwrap_or_else(|| "0".into());
    loop {
        let params = WatchParams::default()
            .labels(SELECTOR)
            .timeout(WATCH_TIMEOUT_S);
        let mut events = pods.watch(&params, &version).await?.boxed();
        while let Some(event) = events.next().await {
            match event? {
                WatchEvent::Added(p) | WatchEvent::Modified(p) | WatchEvent::Deleted(p) => {
                    if let Some(v) = p.metadata.resource_version {
                        version = v;
                    }
                    tx.send_modify(|n| *n += 1);
                }
                WatchEvent::Bookmark(b) => version = b.metadata.resource_version,
                // 410 Gone and friends: start again from a fresh list.
                WatchEvent::Error(e) => return Err(kube::Error::Api(e)),
            }
        }
    }
}

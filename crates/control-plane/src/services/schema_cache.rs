//! The warehouse metadata cache behind the schema browser (API.md §6.3): loaded from the database
//! at start, refreshed from the warehouse at start when empty and on demand, replaced atomically.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use graph_olap_store::schema_cache::{self, CachedSchema};
use graph_olap_warehouse::WarehouseMetadata;

use crate::state::AppState;

/// In-memory copy of the persisted cache.
#[derive(Debug, Default)]
pub struct SchemaCache {
    inner: RwLock<Snapshot>,
    refreshing: AtomicBool,
}

/// One consistent view: metadata plus the outcome of the refresh that produced it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Catalogs → schemas → tables → columns.
    pub metadata: WarehouseMetadata,
    /// When it was refreshed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// `success`, `partial`, `failed` or `never`.
    pub status: String,
    /// Duration of the last refresh.
    pub duration_ms: Option<i64>,
    /// Error of the last refresh.
    pub error: Option<String>,
}

impl SchemaCache {
    /// The current view.
    pub fn snapshot(&self) -> Snapshot {
        let s = self.inner.read().unwrap_or_else(|p| p.into_inner()).clone();
        if s.status.is_empty() {
            Snapshot {
                status: "never".into(),
                ..s
            }
        } else {
            s
        }
    }

    /// Whether a refresh is running now.
    pub fn is_refreshing(&self) -> bool {
        self.refreshing.load(Ordering::SeqCst)
    }

    /// Loads the persisted cache; returns whether one existed.
    pub async fn load(&self, state: &AppState) -> Result<bool, graph_olap_store::StoreError> {
        let stored = schema_cache::load(&mut *state.store.read().await?).await?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        let metadata: WarehouseMetadata =
            serde_json::from_value(stored.payload).unwrap_or_default();
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = Snapshot {
            metadata,
            refreshed_at: stored.refreshed_at,
            status: stored.status,
            duration_ms: stored.duration_ms,
            error: stored.error,
        };
        Ok(true)
    }

    /// Refreshes from the warehouse and persists; `false` if a refresh was already running.
    /// On failure the previous contents are kept and the status records the error.
    pub async fn refresh(&self, state: &AppState) -> Result<bool, graph_olap_store::StoreError> {
        if self.refreshing.swap(true, Ordering::SeqCst) {
            return Ok(false);
        }
        let started = Instant::now();
        let result = async {
            state.warehouse.refresh().await?;
            state.warehouse.metadata().await
        }
        .await;
        let now = state.now();
        let duration_ms = started.elapsed().as_millis() as i64;
        let mut next = self.snapshot();
        match result {
            Ok(mut metadata) => {
                if let Some(allowed) = &state.settings.schema_catalogs {
                    metadata
                        .catalogs
                        .retain(|c| allowed.iter().any(|a| a.eq_ignore_ascii_case(&c.name)));
                }
                metadata.sort();
                next = Snapshot {
                    metadata,
                    refreshed_at: Some(now),
                    status: "success".into(),
                    duration_ms: Some(duration_ms),
                    error: None,
                };
            }
            Err(e) => {
                tracing::warn!(error = %e, "schema cache refresh failed; keeping previous contents");
                next.status = "failed".into();
                next.refreshed_at = Some(now);
                next.duration_ms = Some(duration_ms);
                next.error = Some(e.to_string());
            }
        }
        let persisted = async {
            let mut tx = state.store.write().await?;
            schema_cache::store(
                &mut tx,
                &CachedSchema {
                    payload: serde_json::to_value(&next.metadata).unwrap_or_default(),
                    refreshed_at: next.refreshed_at,
                    status: next.status.clone(),
                    duration_ms: next.duration_ms,
                    error: next.error.clone(),
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), graph_olap_store::StoreError>(())
        }
        .await;
        *self.inner.write().unwrap_or_else(|p| p.into_inner()) = next;
        self.refreshing.store(false, Ordering::SeqCst);
        persisted.map(|_| true)
    }
}

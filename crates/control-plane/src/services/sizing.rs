//! Instance memory sizing: the estimate of what a snapshot needs once loaded, the default
//! `memory_gb` (API.md §6.1), and the refusal of instances that would be killed for memory.
//!
//! Owns only arithmetic on snapshot figures (Parquet bytes, node and edge rows) and the limits
//! it is given; it does not read the database or the runtime. The estimate is the instance's
//! measured peak with some headroom: the engine keeps decompressed columns plus a primary-key
//! hash index per node table and adjacency lists in both directions per edge table, and
//! algorithms add their projection, an in-memory CSR (see `graph-olap-algorithms`) and one
//! value per node.
//!
//! The estimate follows the instance's engine (`wrapper_type`): Ryugraph's figures are the
//! above; FalkorDB holds the whole graph in its server's memory with no disk to overflow to and
//! runs as a second process, so it is sized at twice as much — seed 004's resources for the two
//! engines (6/12 GiB against 4/8 GiB) gave 1.5 times Ryugraph's earlier, larger fit, and twice
//! the refitted one keeps FalkorDB's estimate where it was (it has not been measured at scale).
//! The functions without an engine argument size a Ryugraph instance.

/// Bytes in a GiB.
const GIB: u64 = 1 << 30;
/// The smallest and largest `memory_gb` an instance may have (API.md §6.1).
pub const MEMORY_GB_RANGE: (i64, i64) = (2, 32);

/// What a snapshot holds, as recorded at finalisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotFigures {
    /// Total Parquet bytes.
    pub parquet_bytes: u64,
    /// Nodes over all labels.
    pub nodes: u64,
    /// Edges over all types.
    pub edges: u64,
}

/// Estimated peak resident memory of an instance serving this snapshot and running algorithms
/// on it, in bytes: a fixed base for the server and the engine, decompressed data (≈ 2×
/// Parquet), 288 bytes per node and 120 bytes per edge (the engine's key index and adjacency in
/// both directions, the algorithms' projection and CSR, written-back values and what the engine
/// holds while loading and writing). Fitted to the scale benchmark (`cargo bench --bench scale`,
/// bank-graph at 1 M, 10 M and 70 M relationships, 2026-12-07, after the relationship-id column
/// went and the write-back was sliced: peaks 0.33, 2.11 and 13.67 GB, 0.84, 0.88 and 0.87 of
/// this estimate; the previous `160 MiB + 3 × Parquet + 384 B/node + 160 B/edge` had become
/// 0.71, 0.66 and 0.64).
pub fn estimate_bytes(s: SnapshotFigures) -> u64 {
    const BASE: u64 = 160 << 20;
    BASE.saturating_add(s.parquet_bytes.saturating_mul(2))
        .saturating_add(s.nodes.saturating_mul(288))
        .saturating_add(s.edges.saturating_mul(120))
}

/// [`estimate_bytes`] for an instance of `wrapper_type` (`ryugraph` | `falkordb`).
pub fn estimate_bytes_for(wrapper_type: &str, s: SnapshotFigures) -> u64 {
    let bytes = estimate_bytes(s);
    if wrapper_type.eq_ignore_ascii_case("falkordb") {
        bytes.saturating_mul(2)
    } else {
        bytes
    }
}

/// Whole GiB needed for the estimate of an instance of `wrapper_type`.
pub fn estimate_gb(wrapper_type: &str, s: SnapshotFigures) -> i64 {
    i64::try_from(estimate_bytes_for(wrapper_type, s).div_ceil(GIB)).unwrap_or(i64::MAX)
}

/// Why an instance cannot be given enough memory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizingError {
    /// The requested `memory_gb` is below the estimate.
    #[error(
        "the snapshot needs an estimated {needed_gb} GiB of memory but the instance asks for {requested_gb} GiB; request at least memory_gb={needed_gb}"
    )]
    BelowEstimate {
        /// Estimate in GiB.
        needed_gb: i64,
        /// What was requested.
        requested_gb: i64,
    },
    /// The estimate exceeds what an instance may have here.
    #[error(
        "the snapshot needs an estimated {needed_gb} GiB of memory, more than the {limit_gb} GiB an instance can have here; narrow the mapping (fewer rows or properties)"
    )]
    OverLimit {
        /// Estimate in GiB.
        needed_gb: i64,
        /// The effective limit in GiB.
        limit_gb: i64,
    },
}

/// The `memory_gb` to run an instance of `wrapper_type` with: the requested value if it covers
/// that engine's estimate ([`estimate_gb`]), else the larger of the §6.1 default
/// `ceil(2 + 3 × size_GiB)` and the estimate — never above `limit_gb` (the API maximum, lowered
/// by what the runtime can offer).
pub fn memory_gb(
    wrapper_type: &str,
    requested: Option<i64>,
    s: SnapshotFigures,
    limit_gb: i64,
) -> Result<i64, SizingError> {
    let needed_gb = estimate_gb(wrapper_type, s).max(MEMORY_GB_RANGE.0);
    let limit_gb = limit_gb.min(MEMORY_GB_RANGE.1);
    if needed_gb > limit_gb {
        return Err(SizingError::OverLimit {
            needed_gb,
            limit_gb,
        });
    }
    if let Some(requested_gb) = requested {
        return if requested_gb < needed_gb {
            Err(SizingError::BelowEstimate {
                needed_gb,
                requested_gb,
            })
        } else {
            Ok(requested_gb)
        };
    }
    let size_gib = s.parquet_bytes as f64 / GIB as f64;
    let spec_default =
        ((2.0 + 3.0 * size_gib).ceil() as i64).clamp(MEMORY_GB_RANGE.0, MEMORY_GB_RANGE.1);
    Ok(spec_default.max(needed_gb).min(limit_gb))
}

/// The figures of a ready snapshot (zero where unknown, e.g. pre-staged snapshots).
pub fn figures_of(snapshot: &graph_olap_store::snapshots::Snapshot) -> SnapshotFigures {
    let sum = |m: &Option<std::collections::BTreeMap<String, i64>>| {
        m.as_ref().map_or(0, |m| {
            m.values().map(|v| u64::try_from(*v).unwrap_or(0)).sum()
        })
    };
    SnapshotFigures {
        parquet_bytes: snapshot
            .size_bytes
            .map_or(0, |b| u64::try_from(b).unwrap_or(0)),
        nodes: sum(&snapshot.node_counts),
        edges: sum(&snapshot.edge_counts),
    }
}

/// The effective per-instance memory limit: the API maximum, lowered by the runtime's.
pub fn limit_gb(state: &crate::state::AppState) -> i64 {
    state
        .runtime
        .as_ref()
        .and_then(|r| r.memory_limit_gb())
        .map_or(MEMORY_GB_RANGE.1, |l| l.min(MEMORY_GB_RANGE.1))
}

/// [`memory_gb`] for a new instance of `wrapper_type` on a ready snapshot, as a
/// `400 VALIDATION_FAILED` on `memory_gb` when it cannot be satisfied (nothing is created).
pub fn size_for_create(
    state: &crate::state::AppState,
    wrapper_type: &str,
    requested: Option<i64>,
    snapshot: &graph_olap_store::snapshots::Snapshot,
) -> graph_olap_server_kit::error::ApiResult<i64> {
    let figures = figures_of(snapshot);
    memory_gb(wrapper_type, requested, figures, limit_gb(state)).map_err(|e| {
        let reason = match e {
            SizingError::BelowEstimate { .. } => "below_memory_estimate",
            SizingError::OverLimit { .. } => "exceeds_memory_limit",
        };
        let mut message = e.to_string();
        if let Some(first) = message.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        graph_olap_server_kit::error::ApiError::invalid("memory_gb", reason, message)
            .detail("estimated_memory_gb", estimate_gb(wrapper_type, figures))
            .detail("memory_limit_gb", limit_gb(state))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(parquet_mib: u64, nodes: u64, edges: u64) -> SnapshotFigures {
        SnapshotFigures {
            parquet_bytes: parquet_mib << 20,
            nodes,
            edges,
        }
    }

    #[test]
    fn small_snapshots_get_the_spec_default() {
        assert_eq!(
            memory_gb("ryugraph", None, figures(1, 1_000, 10_000), 32),
            Ok(3),
            "ceil(2 + 3 × 1 MiB in GiB)"
        );
        assert_eq!(
            memory_gb("ryugraph", None, SnapshotFigures::default(), 32),
            Ok(2),
            "an empty snapshot gets the minimum"
        );
        assert_eq!(estimate_gb("ryugraph", SnapshotFigures::default()), 1);
    }

    #[test]
    fn the_default_covers_the_estimate() {
        // 1 GiB of Parquet, 1 M nodes, 25 M edges: 0.16 + 2 + 0.27 + 2.79 GiB ≈ 5.2 → 6 (the
        // spec's own default would be 5).
        let s = figures(1024, 1_000_000, 25_000_000);
        assert_eq!(estimate_gb("ryugraph", s), 6);
        assert_eq!(memory_gb("ryugraph", None, s, 32), Ok(6));
        assert_eq!(memory_gb("ryugraph", Some(16), s, 32), Ok(16));
    }

    #[test]
    fn too_little_memory_is_refused_naming_both_numbers() {
        let s = figures(1024, 1_000_000, 25_000_000);
        let err = memory_gb("ryugraph", Some(4), s, 32).unwrap_err();
        assert_eq!(
            err,
            SizingError::BelowEstimate {
                needed_gb: 6,
                requested_gb: 4
            }
        );
        assert!(err.to_string().contains("6 GiB") && err.to_string().contains("4 GiB"));
    }

    #[test]
    fn falkordb_is_sized_twice_as_large() {
        let s = figures(1024, 1_000_000, 25_000_000);
        assert_eq!(estimate_bytes_for("ryugraph", s), estimate_bytes(s));
        assert_eq!(estimate_bytes_for("falkordb", s), estimate_bytes(s) * 2);
        // ≈ 5.2 GiB on Ryugraph (6), ≈ 10.4 GiB on FalkorDB (11).
        assert_eq!(estimate_gb("falkordb", s), 11);
        assert_eq!(memory_gb("falkordb", None, s, 32), Ok(11));
        assert_eq!(memory_gb("ryugraph", None, s, 32), Ok(6));
        // What is enough for Ryugraph is refused for FalkorDB, naming FalkorDB's estimate.
        assert_eq!(memory_gb("ryugraph", Some(10), s, 32), Ok(10));
        assert_eq!(
            memory_gb("falkordb", Some(10), s, 32),
            Err(SizingError::BelowEstimate {
                needed_gb: 11,
                requested_gb: 10
            })
        );
        assert_eq!(
            memory_gb("falkordb", None, s, 10),
            Err(SizingError::OverLimit {
                needed_gb: 11,
                limit_gb: 10
            })
        );
        // Small snapshots still get at least the spec default on either engine.
        assert_eq!(
            memory_gb("falkordb", None, figures(1, 1_000, 10_000), 32),
            Ok(3)
        );
    }

    #[test]
    fn estimates_over_the_limit_are_refused() {
        let huge = figures(20 * 1024, 100_000_000, 1_000_000_000);
        assert!(matches!(
            memory_gb("ryugraph", None, huge, 32),
            Err(SizingError::OverLimit { limit_gb: 32, .. })
        ));
        // A runtime with less memory than the API maximum lowers the limit.
        let s = figures(1024, 1_000_000, 25_000_000);
        assert_eq!(
            memory_gb("ryugraph", None, s, 5),
            Err(SizingError::OverLimit {
                needed_gb: 6,
                limit_gb: 5
            })
        );
        assert!(
            matches!(
                memory_gb("ryugraph", None, figures(40 * 1024, 10, 10), 64),
                Err(SizingError::OverLimit { limit_gb: 32, .. })
            ),
            "the API maximum still caps the limit"
        );
    }
}

//! Lifecycle statuses of instances and snapshots (API.md §4.2, §4.3) as types.
//!
//! Owns: the one list of each resource's statuses, their wire names, which of them count as
//! active, and parsing a wire name back. Status filters, the ops views, the metrics, the store's
//! queries and the lifecycle rules all read these lists, so a new status is added in one place.
//! Does not own the transitions themselves (the control plane's services).

/// Declares a fieldless enum whose variants travel as the given strings, with `ALL` (in
/// declaration order, which is the order views list them in), `as_str`, `Display` and `FromStr`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, schemars::JsonSchema)]
        pub enum $name { $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+ }

        impl $name {
            /// Every value, in the order views list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name, e.g. `running`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)+ }
            }

            /// Every wire name, in the order of [`Self::ALL`] (for filters and error messages).
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|s| s.as_str()).collect()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::status::UnknownStatus;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::status::UnknownStatus { kind: stringify!($name), value: s.to_string() }),
                }
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
pub(crate) use wire_enum;

/// A wire name that is not one of the type's values (e.g. a corrupted database row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {kind}")]
pub struct UnknownStatus {
    /// The type's name.
    pub kind: &'static str,
    /// What was found.
    pub value: String,
}

wire_enum! {
    /// Lifecycle status of an instance (§4.3).
    pub enum InstanceStatus {
        /// Created; its snapshot is still being exported.
        WaitingForSnapshot => "waiting_for_snapshot",
        /// Snapshot ready; the runtime is starting (or has started) its server.
        Starting => "starting",
        /// Loaded and serving queries.
        Running => "running",
        /// Termination requested; the server is shutting down.
        Stopping => "stopping",
        /// Failed to start or died; terminal.
        Failed => "failed",
        /// Stopped; terminal.
        Terminated => "terminated",
    }
}

impl InstanceStatus {
    /// The statuses that hold a place in the concurrency limits and keep a snapshot or mapping
    /// in use.
    pub const ACTIVE: [InstanceStatus; 3] = [
        InstanceStatus::WaitingForSnapshot,
        InstanceStatus::Starting,
        InstanceStatus::Running,
    ];

    /// Whether this status counts against the limits (see [`Self::ACTIVE`]).
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// Whether no further transition is possible.
    pub fn is_terminal(self) -> bool {
        matches!(self, InstanceStatus::Failed | InstanceStatus::Terminated)
    }
}

wire_enum! {
    /// Status of a snapshot (§4.2).
    pub enum SnapshotStatus {
        /// Export jobs created, none claimed yet.
        Pending => "pending",
        /// At least one export job claimed.
        Creating => "creating",
        /// Every file written and verified.
        Ready => "ready",
        /// An export job failed for good.
        Failed => "failed",
        /// Cancelled (its last waiting instance went away, or by an admin).
        Cancelled => "cancelled",
    }
}

wire_enum! {
    /// Why an instance failed (`Instance.error_code`, API.md §1.13 resource error codes): what
    /// an instance server may report with `failed`, and what the control plane sets itself.
    pub enum InstanceErrorCode {
        /// Its snapshot's export failed.
        SnapshotFailed => "SNAPSHOT_FAILED",
        /// The server could not start (bad bootstrap, engine would not open, …).
        StartupFailed => "STARTUP_FAILED",
        /// Not running within the startup timeout.
        StartupTimeout => "STARTUP_TIMEOUT",
        /// The mapping could not be fetched from the control plane.
        MappingFetchError => "MAPPING_FETCH_ERROR",
        /// The graph schema could not be created.
        SchemaCreateError => "SCHEMA_CREATE_ERROR",
        /// The snapshot's data could not be loaded (missing, corrupt, counts differ).
        DataLoadError => "DATA_LOAD_ERROR",
        /// The graph engine stopped serving (e.g. its server process died).
        DatabaseError => "DATABASE_ERROR",
        /// Killed for exceeding its memory limit.
        OomKilled => "OOM_KILLED",
        /// The process ended without being asked to.
        UnexpectedTermination => "UNEXPECTED_TERMINATION",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_through_serde_and_from_str() {
        for status in InstanceStatus::ALL {
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(status.as_str().parse::<InstanceStatus>().unwrap(), *status);
        }
        for status in SnapshotStatus::ALL {
            let back: SnapshotStatus =
                serde_json::from_str(&format!("\"{}\"", status.as_str())).unwrap();
            assert_eq!(back, *status);
        }
    }

    #[test]
    fn instance_error_codes_travel_in_capitals() {
        let json = serde_json::to_string(&InstanceErrorCode::DatabaseError).unwrap();
        assert_eq!(json, "\"DATABASE_ERROR\"");
        assert_eq!(
            "MAPPING_FETCH_ERROR".parse::<InstanceErrorCode>().unwrap(),
            InstanceErrorCode::MappingFetchError
        );
        assert!("SCHEMA_ERROR".parse::<InstanceErrorCode>().is_err());
    }

    #[test]
    fn unknown_names_are_refused_with_the_type_named() {
        let err = "runnin".parse::<InstanceStatus>().unwrap_err();
        assert_eq!(err.to_string(), "'runnin' is not a valid InstanceStatus");
    }

    #[test]
    fn active_statuses_are_the_non_terminal_ones_before_stopping() {
        let active: Vec<_> = InstanceStatus::ALL
            .iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active.len(), 3);
        assert!(
            InstanceStatus::ALL
                .iter()
                .all(|s| !(s.is_active() && s.is_terminal()))
        );
        assert!(!InstanceStatus::Stopping.is_active());
    }
}

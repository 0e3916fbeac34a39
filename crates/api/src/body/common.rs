//! Small bodies shared by several resources.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `{"id", "deleted": true}`: the answer to deleting a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Deleted {
    /// Id of the deleted resource.
    pub id: i64,
    /// Always `true`.
    pub deleted: bool,
}

/// A body with no fields (`{}`), sent where an operation takes an optional body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Empty {}

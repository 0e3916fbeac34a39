//! Success envelopes (API.md §1.4): `{"data": …, "meta": {"request_id", …}}`.

use serde::{Deserialize, Serialize};

/// `meta` of every enveloped body. Pagination fields are present only on collections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Meta {
    /// Same value as the `X-Request-ID` response header.
    pub request_id: String,
    /// Items matching the filters (collections only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total: Option<i64>,
    /// Requested offset (paginated collections only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<i64>,
    /// Requested limit (paginated collections only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit: Option<i64>,
}

/// A success body: the payload under `data`, request metadata under `meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Envelope<T> {
    /// The payload.
    pub data: T,
    /// Request id and, for collections, pagination.
    pub meta: Meta,
}

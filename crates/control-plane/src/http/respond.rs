//! Success envelopes (API.md §1.4) built from handler data.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use graph_olap_api::{Envelope, Meta};
use serde::Serialize;

use graph_olap_server_kit::request_id;

fn meta() -> Meta {
    Meta {
        request_id: request_id::current(),
        ..Meta::default()
    }
}

/// `200` with `{"data": …, "meta": {"request_id"}}`.
pub fn ok<T: Serialize>(data: T) -> Response {
    Json(Envelope { data, meta: meta() }).into_response()
}

/// `201` with a `Location` header.
pub fn created<T: Serialize>(data: T, location: String) -> Response {
    let mut response = (StatusCode::CREATED, Json(Envelope { data, meta: meta() })).into_response();
    if let Ok(v) = location.parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `202` for work queued asynchronously.
pub fn accepted<T: Serialize>(data: T) -> Response {
    (StatusCode::ACCEPTED, Json(Envelope { data, meta: meta() })).into_response()
}

/// A paginated collection: `meta` carries `total`, `offset`, `limit`.
pub fn page<T: Serialize>(items: Vec<T>, total: i64, offset: i64, limit: i64) -> Response {
    let meta = Meta {
        total: Some(total),
        offset: Some(offset),
        limit: Some(limit),
        ..meta()
    };
    Json(Envelope { data: items, meta }).into_response()
}

/// An unpaginated collection: `meta` carries `total` only.
pub fn list<T: Serialize>(items: Vec<T>) -> Response {
    let meta = Meta {
        total: Some(items.len() as i64),
        ..meta()
    };
    Json(Envelope { data: items, meta }).into_response()
}

/// A paginated collection nested under `data.<key>` (e.g. `{"data": {"jobs": […]}}`, kept for
/// clients that read the list there); `meta` carries `total`, `offset`, `limit`.
pub fn page_under<T: Serialize>(
    key: &str,
    items: Vec<T>,
    total: i64,
    offset: i64,
    limit: i64,
) -> Response {
    let mut data = serde_json::Map::new();
    data.insert(
        key.to_string(),
        serde_json::to_value(items).unwrap_or_default(),
    );
    let meta = Meta {
        total: Some(total),
        offset: Some(offset),
        limit: Some(limit),
        ..meta()
    };
    Json(Envelope { data, meta }).into_response()
}

//! The route table: every endpoint with its method, path, required access and summary — the one
//! source from which the router, the OpenAPI document and the permission-matrix test are built.

pub mod favorites;
pub mod health;
pub mod mappings;
pub mod schema;
pub mod users;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use graph_olap_api::{ErrorCode, FieldError};
use serde_json::{Value, json};

use crate::auth::Access;
use crate::error::ApiError;
use crate::input::QueryParams;
use crate::state::AppState;

/// One endpoint of the public or internal API.
#[derive(Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path template in axum syntax (`/api/mappings/{mapping_id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// One-line description (OpenAPI summary).
    pub summary: &'static str,
    /// Grouping tag (OpenAPI).
    pub tag: &'static str,
    handler: MethodRouter<AppState>,
}

fn ep(method: Method, path: &'static str, access: Access, tag: &'static str, summary: &'static str, handler: MethodRouter<AppState>) -> Endpoint {
    Endpoint { method, path, access, summary, tag, handler }
}

/// Every endpoint the control plane serves, in documentation order.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    let any = Access::Any;
    vec![
        ep(M::GET, "/health", Access::Public, "health", "Liveness and version", get(health::health)),
        ep(M::GET, "/ready", Access::Public, "health", "Readiness: database reachable and migrated", get(health::ready)),
        ep(M::GET, "/api/openapi.json", Access::Public, "health", "This OpenAPI document", get(openapi_json)),
        ep(M::GET, "/api/mappings", any, "mappings", "List mappings", get(mappings::list)),
        ep(M::POST, "/api/mappings", any, "mappings", "Create a mapping (version 1)", post(mappings::create)),
        ep(M::GET, "/api/mappings/{mapping_id}", any, "mappings", "Get a mapping with its current version", get(mappings::get)),
        ep(M::PUT, "/api/mappings/{mapping_id}", any, "mappings", "Update a mapping (new version when definitions change)", put(mappings::update)),
        ep(M::DELETE, "/api/mappings/{mapping_id}", any, "mappings", "Delete a mapping and its snapshots", delete(mappings::delete)),
        ep(M::POST, "/api/mappings/{mapping_id}/copy", any, "mappings", "Copy a mapping version into a new mapping", post(mappings::copy)),
        ep(M::PUT, "/api/mappings/{mapping_id}/lifecycle", any, "mappings", "Set the mapping's TTL and inactivity timeout", put(mappings::set_lifecycle)),
        ep(M::GET, "/api/mappings/{mapping_id}/versions", any, "mappings", "List versions", get(mappings::versions)),
        ep(M::GET, "/api/mappings/{mapping_id}/versions/{version}", any, "mappings", "Get one version", get(mappings::version)),
        ep(M::GET, "/api/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}", any, "mappings", "Diff two versions", get(mappings::diff)),
        ep(M::GET, "/api/mappings/{mapping_id}/tree", any, "mappings", "Versions, snapshots and instances of a mapping", get(mappings::tree)),
        ep(M::GET, "/api/favorites", any, "favorites", "List the caller's favorites", get(favorites::list)),
        ep(M::POST, "/api/favorites", any, "favorites", "Add a favorite", post(favorites::add)),
        ep(M::DELETE, "/api/favorites/{resource_type}/{resource_id}", any, "favorites", "Remove a favorite", delete(favorites::remove)),
        ep(M::GET, "/api/schema/catalogs", any, "schema", "Warehouse catalogs", get(schema::catalogs)),
        ep(M::GET, "/api/schema/catalogs/{catalog}/schemas", any, "schema", "Schemas of a catalog", get(schema::schemas)),
        ep(M::GET, "/api/schema/catalogs/{catalog}/schemas/{schema}/tables", any, "schema", "Tables of a schema", get(schema::tables)),
        ep(M::GET, "/api/schema/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns", any, "schema", "Columns of a table", get(schema::columns)),
        ep(M::GET, "/api/schema/search/tables", any, "schema", "Prefix search of table names", get(schema::search_tables)),
        ep(M::GET, "/api/schema/search/columns", any, "schema", "Prefix search of column names", get(schema::search_columns)),
        ep(M::POST, "/api/schema/admin/refresh", Access::ADMIN_OPS, "schema", "Refresh the metadata cache from the warehouse", post(schema::refresh)),
        ep(M::GET, "/api/schema/stats", Access::ADMIN_OPS, "schema", "Metadata cache statistics", get(schema::stats)),
        ep(M::GET, "/api/users", Access::ADMIN_OPS, "users", "List users", get(users::list)),
        ep(M::POST, "/api/users", Access::ADMIN, "users", "Create a user", post(users::create)),
        ep(M::GET, "/api/users/me", any, "users", "The caller", get(users::me)),
        ep(M::POST, "/api/users/bootstrap", Access::Public, "users", "Create the first administrator", post(users::bootstrap)),
        ep(M::GET, "/api/users/{username}", any, "users", "Get a user (self, admin or ops)", get(users::get)),
        ep(M::PUT, "/api/users/{username}", any, "users", "Update a user (self: display_name and email)", put(users::update)),
        ep(M::DELETE, "/api/users/{username}", Access::ADMIN, "users", "Deactivate a user", delete(users::deactivate)),
        ep(M::PUT, "/api/users/{username}/role", Access::ADMIN, "users", "Change a user's role", put(users::set_role)),
        ep(M::GET, "/api/users/{username}/api-keys", any, "users", "List a user's API keys", get(users::list_keys)),
        ep(M::POST, "/api/users/{username}/api-keys", any, "users", "Create an API key", post(users::create_key)),
        ep(M::DELETE, "/api/users/{username}/api-keys/{key_id}", any, "users", "Revoke an API key", delete(users::revoke_key)),
    ]
}

/// Builds the router from [`endpoints`], with enveloped 404/405 fallbacks.
pub fn router(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for e in endpoints() {
        let guarded = e.handler.route_layer(middleware::from_fn_with_state((state.clone(), e.access), crate::auth::enforce));
        router = router.route(e.path, guarded);
    }
    router.fallback(fallback).method_not_allowed_fallback(fallback).with_state(state)
}

/// Matches a concrete path against a template with `{param}` segments.
pub fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| (a.starts_with('{') && a.ends_with('}') && !b.is_empty()) || a == b)
}

/// 404 for unknown paths; 405 with `Allow` for known paths with another method.
async fn fallback(request: Request) -> Response {
    let path = request.uri().path().to_string();
    let allowed: Vec<String> = endpoints().iter().filter(|e| template_matches(e.path, &path)).map(|e| e.method.to_string()).collect();
    if allowed.is_empty() {
        return ApiError::new(ErrorCode::NotFound, format!("No route for {path}")).detail("resource_type", "route").detail("resource_id", path).into_response();
    }
    let message = if path.trim_end_matches('/') == "/api/snapshots" && request.method() == Method::POST {
        "Snapshots are created implicitly; use POST /api/instances/from-mapping".to_string()
    } else {
        format!("{} is not supported on {path}; allowed: {}", request.method(), allowed.join(", "))
    };
    ApiError::new(ErrorCode::MethodNotAllowed, message)
        .detail("allowed_methods", json!(allowed))
        .header(header::ALLOW, allowed.join(", "))
        .into_response()
}

/// Snapshot statuses (for filters).
pub const SNAPSHOT_STATUSES: &[&str] = &["pending", "creating", "ready", "failed", "cancelled"];

/// Parses a comma-separated status filter, every value checked against `allowed`.
pub fn status_filter(q: &QueryParams, key: &str, allowed: &[&str], errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    let raw = q.text(key)?;
    let values: Vec<String> = raw.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect();
    if values.is_empty() || values.iter().any(|v| !allowed.contains(&v.as_str())) {
        errors.push(FieldError::new(format!("query.{key}"), "enum", format!("{key} must be a comma-separated list of: {}", allowed.join(", "))));
        return None;
    }
    Some(values)
}

/// The OpenAPI 3.1 document generated from [`endpoints`].
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for e in endpoints() {
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter(|s| s.starts_with('{'))
            .map(|s| json!({"name": s.trim_matches(|c| c == '{' || c == '}'), "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let security = match e.access {
            Access::Public => json!([]),
            Access::Internal => json!([{"internalKey": []}]),
            _ => json!([{"apiKey": []}, {"devIdentity": []}]),
        };
        let roles = match e.access {
            Access::Roles(r) => json!(r.iter().map(|x| x.as_str()).collect::<Vec<_>>()),
            Access::Any => json!(["analyst", "admin", "ops"]),
            _ => json!([]),
        };
        let op = json!({
            "summary": e.summary, "tags": [e.tag], "operationId": format!("{}_{}", e.method.as_str().to_lowercase(), e.path.replace(['/', '{', '}', '.', '-'], "_").trim_matches('_')),
            "parameters": params, "security": security, "x-roles": roles,
            "responses": {"default": {"description": "Success envelope {data, meta} or error envelope {error, meta} (see API.md)"}},
        });
        paths.entry(e.path.to_string()).or_insert_with(|| json!({})).as_object_mut().map(|m| m.insert(e.method.as_str().to_lowercase(), op));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "graph-olap control plane", "version": health::VERSION},
        "paths": paths,
        "components": {"securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer"},
            "devIdentity": {"type": "apiKey", "in": "header", "name": "X-Username"},
            "internalKey": {"type": "apiKey", "in": "header", "name": "X-Internal-Api-Key"}}},
    })
}

async fn openapi_json() -> Response {
    axum::Json(openapi()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        assert!(template_matches("/api/mappings/{mapping_id}", "/api/mappings/3"));
        assert!(!template_matches("/api/mappings/{mapping_id}", "/api/mappings"));
        assert!(template_matches("/api/mappings", "/api/mappings/"));
    }

    #[test]
    fn openapi_lists_every_endpoint() {
        let doc = openapi();
        for e in endpoints() {
            assert!(doc["paths"][e.path][e.method.as_str().to_lowercase()].is_object(), "{} {}", e.method, e.path);
        }
    }
}

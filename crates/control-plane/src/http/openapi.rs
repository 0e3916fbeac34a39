//! The OpenAPI 3.1 document of the control plane, generated from the route table
//! ([`crate::http::routes::endpoints`]) by the shared generator
//! ([`graph_olap_server_kit::openapi`]).
//!
//! Owns: what the control plane adds to the generator — the types of its query parameters
//! ([`query_schema`]), the security and roles each [`Access`] means, its security schemes, and
//! the document itself. The document is checked in as `docs/openapi.json`; the test
//! `openapi_document_is_checked_in` fails when the two drift. Does not own: framing, the error
//! envelope or the document's layout (the generator), nor the shapes themselves
//! (`graph_olap_api`, the store rows).

use graph_olap_server_kit::openapi::{CreateLinks, DocumentInfo, Operation, add_links};
pub use graph_olap_server_kit::openapi::{Framing, Reply, RequestBody, SchemaFn, schema_of};
use serde_json::{Value, json};

use crate::auth::Access;
use crate::http::routes::{Endpoint, endpoints, health};

/// The schema of a query parameter, by name: the one rule for every endpoint that reads it
/// (API.md §1.5–§1.7). Filters with a fixed vocabulary (`status`, `sort_by` …) are strings
/// here; the handler answers `VALIDATION_FAILED` listing the accepted values.
pub fn query_schema(name: &str) -> Value {
    match name {
        "offset" => json!({"type": "integer", "minimum": 0}),
        "limit" => json!({"type": "integer", "minimum": 1}),
        "snapshot_id" | "mapping_id" | "mapping_version" => {
            json!({"type": "integer", "minimum": 1})
        }
        "include_terminated" | "include_instances" | "is_active" => json!({"type": "boolean"}),
        "created_after" | "created_before" => json!({"type": "string", "format": "date-time"}),
        "sort_order" => json!({"type": "string", "enum": ["asc", "desc"]}),
        _ => json!({"type": "string"}),
    }
}

/// Path parameters that are 64-bit integer ids and version numbers (their handlers answer
/// `VALIDATION_FAILED` for anything else); the others (names, key, lock and intent ids) stay
/// strings.
const INTEGER_PATH_PARAMETERS: [&str; 8] = [
    "mapping_id",
    "snapshot_id",
    "instance_id",
    "job_id",
    "resource_id",
    "version",
    "from_version",
    "to_version",
];

fn parameters(e: &Endpoint) -> Vec<Value> {
    let integer_ids = e
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .filter(|name| INTEGER_PATH_PARAMETERS.contains(name))
        .map(|name| {
            json!({"name": name, "in": "path", "required": true,
                "schema": {"type": "integer", "minimum": 1}})
        });
    integer_ids
        .chain(e.query.iter()
        .map(|name| {
            json!({"name": name, "in": "query", "required": false, "schema": query_schema(name)})
        }))
        .chain(e.idempotent.then(|| {
            json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255}})
        }))
        .collect()
}

fn security(access: Access) -> (Value, Value) {
    let security = match access {
        Access::Public => json!([]),
        Access::Internal => json!([{"internalKey": []}]),
        Access::Scraper => json!([{"apiKey": []}, {"devIdentity": []}, {"internalKey": []}]),
        _ => json!([{"apiKey": []}, {"devIdentity": []}]),
    };
    let roles = match access {
        Access::Roles(r) => json!(r.iter().map(|x| x.as_str()).collect::<Vec<_>>()),
        Access::Any => json!(["analyst", "admin", "ops"]),
        Access::Scraper => json!(["ops"]),
        _ => json!([]),
    };
    (security, roles)
}

fn operation(e: &Endpoint) -> Operation {
    let (security, roles) = security(e.access);
    Operation {
        method: e.method.clone(),
        path: e.path.to_string(),
        summary: e.summary,
        tag: e.tag,
        parameters: parameters(e),
        security,
        extensions: vec![("x-roles", roles)],
        request: e.request,
        replies: e.replies.clone(),
    }
}

/// The OpenAPI 3.1 document: every endpoint with its parameters, security, roles, request body
/// and responses; `components.schemas` holds every type they reference.
pub fn document() -> Value {
    let info = DocumentInfo {
        title: "graph-olap control plane",
        version: health::VERSION,
        servers: None,
        security_schemes: json!({
            "apiKey": {"type": "http", "scheme": "bearer"},
            "devIdentity": {"type": "apiKey", "in": "header", "name": "X-Username"},
            "internalKey": {"type": "apiKey", "in": "header", "name": "X-Internal-Api-Key"}}),
    };
    let mut doc =
        graph_olap_server_kit::openapi::document(&info, endpoints().iter().map(operation));
    add_links(&mut doc, CREATE_LINKS);
    doc
}

/// The control plane's creates and the operations on what each makes (schemathesis' stateful
/// phase follows them: create → get → update → delete).
const CREATE_LINKS: &[CreateLinks] = &[
    CreateLinks {
        status: 201,
        create: "/api/mappings",
        resources: &["/api/mappings/{mapping_id}"],
        from: MAPPING_FIELDS,
    },
    CreateLinks {
        status: 201,
        create: "/api/mappings/{mapping_id}/copy",
        resources: &["/api/mappings/{mapping_id}"],
        from: MAPPING_FIELDS,
    },
    CreateLinks {
        status: 201,
        create: "/api/instances",
        resources: &["/api/instances/{instance_id}"],
        from: &[("instance_id", "$response.body#/data/id")],
    },
    CreateLinks {
        status: 201,
        create: "/api/instances/from-mapping",
        resources: &["/api/instances/{instance_id}"],
        from: &[("instance_id", "$response.body#/data/id")],
    },
    CreateLinks {
        status: 201,
        create: "/api/favorites",
        resources: &["/api/favorites/{resource_type}/{resource_id}"],
        from: &[
            ("resource_type", "$response.body#/data/resource_type"),
            ("resource_id", "$response.body#/data/resource_id"),
        ],
    },
    CreateLinks {
        status: 201,
        create: "/api/users",
        resources: &["/api/users/{username}"],
        // The answer nests the user when a key was issued with it; the request names it always.
        from: &[("username", "$request.body#/username")],
    },
    CreateLinks {
        status: 201,
        create: "/api/users/{username}/api-keys",
        resources: &["/api/users/{username}/api-keys/{key_id}"],
        from: &[("key_id", "$response.body#/data/id")],
    },
    CreateLinks {
        status: 201,
        create: "/api/platform/lock",
        resources: &["/api/platform/lock/{lock_id}"],
        from: &[("lock_id", "$response.body#/data/lock_id")],
    },
    CreateLinks {
        status: 201,
        create: "/api/platform/intents",
        resources: &["/api/platform/intents/{intent_id}"],
        from: &[("intent_id", "$response.body#/data/id")],
    },
];

/// A mapping's id, and its current version for the version and diff operations.
const MAPPING_FIELDS: &[(&str, &str)] = &[
    ("mapping_id", "$response.body#/data/id"),
    ("version", "$response.body#/data/current_version"),
    ("from_version", "$response.body#/data/current_version"),
    ("to_version", "$response.body#/data/current_version"),
];

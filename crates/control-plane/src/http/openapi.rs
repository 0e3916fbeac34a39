//! The OpenAPI 3.1 document of the control plane, generated from the route table
//! ([`crate::http::routes::endpoints`]) and the JSON Schemas the wire types derive (`schemars`,
//! JSON Schema 2020-12, the dialect of OpenAPI 3.1).
//!
//! Owns: how an endpoint's request and success bodies are declared ([`Reply`], [`SchemaFn`]), how
//! they are wrapped in the envelopes of API.md §1.4 and §1.12, and the document itself. The
//! document is checked in as `docs/openapi.json`; the test `openapi_document_is_checked_in`
//! fails when the two drift. Does not own the shapes themselves (`graph_olap_api`, the store rows).
//!
//! One generator serves requests and responses, with schemars' default (deserialize) contract: a
//! field that may be omitted on input is optional in the schema, so response schemas mark only
//! the fields that are never left out as required.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::auth::Access;
use crate::http::routes::{Endpoint, endpoints, health};

/// Produces (a reference to) the schema of one type, registering its definitions.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The [`SchemaFn`] of `T`.
pub fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// How a success body is framed.
#[derive(Clone, Copy)]
pub enum Framing {
    /// `{"data": T, "meta": Meta}` (API.md §1.4).
    Enveloped,
    /// `{"data": [T…], "meta": Meta}` with `total` (and `offset`, `limit` when paginated).
    Collection,
    /// `T` itself, not enveloped (`/health`, `/ready`, this document).
    Bare,
    /// Plain text in the given media type (`/metrics`).
    Text(&'static str),
}

/// The JSON body an operation takes.
#[derive(Clone, Copy)]
pub struct RequestBody {
    /// Its schema.
    pub schema: SchemaFn,
    /// `false` when the body may be left out (it then reads as `{}`).
    pub required: bool,
}

/// One success response of an operation.
#[derive(Clone, Copy)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// How the body is framed.
    pub framing: Framing,
    /// The body's (or `data`'s, or one item's) schema; unused for [`Framing::Text`].
    pub schema: SchemaFn,
}

/// Component name of the error envelope every error response references.
const ERROR_ENVELOPE: &str = "ErrorEnvelope";

fn component(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    settings.into_generator()
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        _ => "Success",
    }
}

fn reply_body(reply: &Reply, generator: &mut SchemaGenerator) -> Value {
    let framed = |data: Value| {
        json!({"type": "object", "required": ["data", "meta"],
            "properties": {"data": data, "meta": component("Meta")}})
    };
    match reply.framing {
        Framing::Text(media) => {
            let mut content = Map::new();
            content.insert(media.into(), json!({"schema": {"type": "string"}}));
            Value::Object(content)
        }
        Framing::Bare => {
            let schema = (reply.schema)(generator).to_value();
            json!({"application/json": {"schema": schema}})
        }
        Framing::Enveloped => {
            let data = (reply.schema)(generator).to_value();
            json!({"application/json": {"schema": framed(data)}})
        }
        Framing::Collection => {
            let item = (reply.schema)(generator).to_value();
            json!({"application/json": {"schema": framed(json!({"type": "array", "items": item}))}})
        }
    }
}

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

fn parameters(e: &Endpoint) -> Vec<Value> {
    e.path
        .split('/')
        .filter(|s| s.starts_with('{'))
        .map(|s| {
            json!({"name": s.trim_matches(|c| c == '{' || c == '}'), "in": "path",
                "required": true, "schema": {"type": "string"}})
        })
        .chain(e.query.iter().map(|name| {
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

fn operation(e: &Endpoint, generator: &mut SchemaGenerator) -> Value {
    let mut responses = Map::new();
    for reply in &e.replies {
        responses.insert(
            reply.status.to_string(),
            json!({"description": status_text(reply.status), "content": reply_body(reply, generator)}),
        );
    }
    responses.insert(
        "default".into(),
        json!({"description": "Error envelope (API.md §1.12); `error.code` fixes the status (§1.13)",
            "content": {"application/json": {"schema": component(ERROR_ENVELOPE)}}}),
    );
    let (security, roles) = security(e.access);
    let id = e
        .path
        .replace(['/', '{', '}', '.', '-'], "_")
        .trim_matches('_')
        .to_string();
    let mut op = json!({
        "summary": e.summary, "tags": [e.tag],
        "operationId": format!("{}_{id}", e.method.as_str().to_lowercase()),
        "parameters": parameters(e), "security": security, "x-roles": roles,
    });
    if let Some(request) = e.request {
        let schema = (request.schema)(generator).to_value();
        op["requestBody"] = json!({"required": request.required,
            "content": {"application/json": {"schema": schema}}});
    }
    op["responses"] = Value::Object(responses);
    op
}

/// The OpenAPI 3.1 document: every endpoint with its parameters, security, roles, request body
/// and responses; `components.schemas` holds every type they reference.
pub fn document() -> Value {
    let mut generator = generator();
    generator.subschema_for::<graph_olap_api::ErrorEnvelope>();
    generator.subschema_for::<graph_olap_api::Meta>();
    let mut paths = Map::new();
    for e in endpoints() {
        let op = operation(&e, &mut generator);
        if let Some(item) = paths
            .entry(e.path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            item.insert(e.method.as_str().to_lowercase(), op);
        }
    }
    let schemas: Map<String, Value> = {
        let mut defs: Vec<(String, Value)> = generator.take_definitions(true).into_iter().collect();
        defs.sort_by(|a, b| a.0.cmp(&b.0));
        defs.into_iter().collect()
    };
    json!({
        "openapi": "3.1.0",
        "info": {"title": "graph-olap control plane", "version": health::VERSION},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer"},
                "devIdentity": {"type": "apiKey", "in": "header", "name": "X-Username"},
                "internalKey": {"type": "apiKey", "in": "header", "name": "X-Internal-Api-Key"}}},
    })
}

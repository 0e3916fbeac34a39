//! The OpenAPI 3.1 generator shared by the servers that publish a document (the control plane's
//! `docs/openapi.json`, the instance server's `docs/openapi-instance.json`): the schemas come
//! from the types' `schemars::JsonSchema` derives (JSON Schema 2020-12, the dialect of OpenAPI
//! 3.1), the operations from each server's route table.
//!
//! Owns: how an operation's request and success bodies are declared ([`RequestBody`], [`Reply`],
//! [`SchemaFn`]), how they are framed (bare, or in the success envelope of API.md §1.4), that
//! every error answer is the error envelope of §1.12, the operation ids, and the document's
//! layout. Does not own: any server's routes, access rules, query parameter vocabulary or
//! security schemes (each server turns its route table into [`Operation`]s and names its
//! [`DocumentInfo`]), nor the shapes themselves (`graph_olap_api`).
//!
//! One generator serves requests and responses, with schemars' default (deserialize) contract: a
//! field that may be omitted on input is optional in the schema, so response schemas mark only
//! the fields that are never left out as required.

use axum::http::Method;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

/// Produces (a reference to) the schema of one type, registering its definitions.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The [`SchemaFn`] of `T`.
pub fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// How a success body is framed.
#[derive(Clone, Copy, Debug)]
pub enum Framing {
    /// `{"data": T, "meta": Meta}` (API.md §1.4).
    Enveloped,
    /// `{"data": [T…], "meta": Meta}` with `total` (and `offset`, `limit` when paginated).
    Collection,
    /// `T` itself, not enveloped (`/health`, `/ready`, the instance API, the documents).
    Bare,
    /// Plain text in the given media type (`/metrics`).
    Text(&'static str),
    /// `T` as JSON, or the same result in another (binary) media type the client may ask for
    /// with `Accept` (the instance's `/query` in Arrow IPC).
    JsonOr(&'static str),
}

/// The JSON body an operation takes.
#[derive(Clone, Copy, Debug)]
pub struct RequestBody {
    /// Its schema.
    pub schema: SchemaFn,
    /// `false` when the body may be left out (it then reads as `{}`).
    pub required: bool,
}

/// One success response of an operation.
#[derive(Clone, Copy, Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// How the body is framed.
    pub framing: Framing,
    /// The body's (or `data`'s, or one item's) schema; unused for [`Framing::Text`].
    pub schema: SchemaFn,
}

/// One operation as a server's route table describes it, ready to be documented.
#[derive(Clone, Debug)]
pub struct Operation {
    /// HTTP method.
    pub method: Method,
    /// Path template (`/api/mappings/{mapping_id}`).
    pub path: String,
    /// One-line description.
    pub summary: &'static str,
    /// Grouping tag.
    pub tag: &'static str,
    /// Query and header parameters. Path parameters are derived from the template as strings;
    /// a path parameter given here (same name, `"in": "path"`) replaces the derived one, in its
    /// place, to give it a narrower schema (an integer id).
    pub parameters: Vec<Value>,
    /// The OpenAPI `security` requirement list.
    pub security: Value,
    /// Vendor extensions (`x-roles` …), in this order after `security`.
    pub extensions: Vec<(&'static str, Value)>,
    /// The JSON body it takes, if any.
    pub request: Option<RequestBody>,
    /// Its success responses; errors are always the error envelope.
    pub replies: Vec<Reply>,
}

/// What a document says about its server as a whole.
#[derive(Clone, Debug)]
pub struct DocumentInfo {
    /// `info.title`.
    pub title: &'static str,
    /// `info.version` (the server's version).
    pub version: &'static str,
    /// `servers`, when the paths are served under a prefix a client must know.
    pub servers: Option<Value>,
    /// `components.securitySchemes`.
    pub security_schemes: Value,
}

/// Component name of the error envelope every error response references.
pub const ERROR_ENVELOPE: &str = "ErrorEnvelope";

/// A `$ref` to a component schema.
pub fn component(name: &str) -> Value {
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
        Framing::JsonOr(media) => {
            let schema = (reply.schema)(generator).to_value();
            let mut content = Map::new();
            content.insert("application/json".into(), json!({"schema": schema}));
            content.insert(
                media.into(),
                json!({"schema": {"type": "string", "contentMediaType": media}}),
            );
            Value::Object(content)
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

/// The path parameters of a template, each a required string.
pub fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter(|s| s.starts_with('{'))
        .map(|s| {
            json!({"name": s.trim_matches(|c| c == '{' || c == '}'), "in": "path",
                "required": true, "schema": {"type": "string"}})
        })
        .collect()
}

/// Where a create's answer leads: the operations on the resource it made, with the path
/// parameters they take from the exchange. [`add_links`] writes them as OpenAPI `links`, which
/// clients and schemathesis' stateful phase follow (create → get → update → delete).
#[derive(Clone, Copy, Debug)]
pub struct CreateLinks {
    /// The path of the `POST` that creates.
    pub create: &'static str,
    /// The status of its answer that carries the links (`201`, or `202` for a started job).
    pub status: u16,
    /// The resource's own paths: every operation at or under one of them is a link target.
    pub resources: &'static [&'static str],
    /// Path parameter ← the runtime expression giving its value (`$response.body#/…`,
    /// `$request.body#/…`). A parameter of the create's own path is passed on by itself.
    pub from: &'static [(&'static str, &'static str)],
}

/// Adds each rule's links to its create's answer. A target whose every path parameter is known
/// gets a link named by its `operationId`; a target that needs anything else is left out.
///
/// # Panics
/// When a rule names a create that the document does not have with that status: the tables are
/// static, and the servers' document tests build the document.
pub fn add_links(doc: &mut Value, rules: &[CreateLinks]) {
    let mut targets: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for op in item.as_object().into_iter().flatten().map(|(_, op)| op) {
            if let Some(id) = op["operationId"].as_str() {
                targets.push((path.clone(), id.to_string()));
            }
        }
    }
    for rule in rules {
        let mut links = Map::new();
        for (path, operation_id) in &targets {
            let under = rule.resources.iter().any(|resource| {
                path.strip_prefix(resource)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            });
            if !under {
                continue;
            }
            let parameters: Option<Map<String, Value>> = parameter_names(path)
                .map(|name| {
                    let source = match rule.from.iter().find(|(p, _)| *p == name) {
                        Some((_, expression)) => expression.to_string(),
                        None if parameter_names(rule.create).any(|p| p == name) => {
                            format!("$request.path.{name}")
                        }
                        None => return None,
                    };
                    Some((name.to_string(), Value::String(source)))
                })
                .collect();
            if let Some(parameters) = parameters {
                links.insert(
                    operation_id.clone(),
                    json!({"operationId": operation_id, "parameters": parameters}),
                );
            }
        }
        let answer = &mut doc["paths"][rule.create]["post"]["responses"][rule.status.to_string()];
        assert!(
            answer.is_object(),
            "a link rule names POST {} answering {}, which the document does not have",
            rule.create,
            rule.status
        );
        answer["links"] = Value::Object(links);
    }
}

/// The names of a template's path parameters, in order.
fn parameter_names(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
}

/// `operationId`: the lower-case method and the template with every separator (`/`, braces,
/// `.`, `-`) as `_`, trimmed (`get_api_mappings__mapping_id`).
pub fn operation_id(method: &Method, path: &str) -> String {
    let id = path
        .replace(['/', '{', '}', '.', '-'], "_")
        .trim_matches('_')
        .to_string();
    format!("{}_{id}", method.as_str().to_lowercase())
}

fn operation(o: &Operation, generator: &mut SchemaGenerator) -> Value {
    let mut responses = Map::new();
    for reply in &o.replies {
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
    let given_in_path = |name: &Value| {
        o.parameters
            .iter()
            .find(|p| p["in"] == "path" && &p["name"] == name)
            .cloned()
    };
    let mut parameters: Vec<Value> = path_parameters(&o.path)
        .into_iter()
        .map(|derived| given_in_path(&derived["name"]).unwrap_or(derived))
        .collect();
    parameters.extend(o.parameters.iter().filter(|p| p["in"] != "path").cloned());
    let mut op = Map::new();
    op.insert("summary".into(), json!(o.summary));
    op.insert("tags".into(), json!([o.tag]));
    op.insert(
        "operationId".into(),
        json!(operation_id(&o.method, &o.path)),
    );
    op.insert("parameters".into(), Value::Array(parameters));
    op.insert("security".into(), o.security.clone());
    for (name, value) in &o.extensions {
        op.insert((*name).into(), value.clone());
    }
    if let Some(request) = o.request {
        let schema = (request.schema)(generator).to_value();
        op.insert(
            "requestBody".into(),
            json!({"required": request.required,
                "content": {"application/json": {"schema": schema}}}),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The OpenAPI 3.1 document of `operations`: every one with its parameters, security, request
/// body and responses; `components.schemas` holds every type they reference (sorted by name),
/// always including the error envelope and the success envelope's `Meta`.
pub fn document(info: &DocumentInfo, operations: impl IntoIterator<Item = Operation>) -> Value {
    let mut generator = generator();
    generator.subschema_for::<graph_olap_api::ErrorEnvelope>();
    generator.subschema_for::<graph_olap_api::Meta>();
    let mut paths = Map::new();
    for o in operations {
        let op = operation(&o, &mut generator);
        if let Some(item) = paths
            .entry(o.path.clone())
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            item.insert(o.method.as_str().to_lowercase(), op);
        }
    }
    let schemas: Map<String, Value> = {
        let mut defs: Vec<(String, Value)> = generator.take_definitions(true).into_iter().collect();
        defs.sort_by(|a, b| a.0.cmp(&b.0));
        defs.into_iter().collect()
    };
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.1.0"));
    doc.insert(
        "info".into(),
        json!({"title": info.title, "version": info.version}),
    );
    if let Some(servers) = &info.servers {
        doc.insert("servers".into(), servers.clone());
    }
    doc.insert(
        "jsonSchemaDialect".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    doc.insert("paths".into(), Value::Object(paths));
    doc.insert(
        "components".into(),
        json!({"schemas": schemas, "securitySchemes": info.security_schemes}),
    );
    Value::Object(doc)
}

/// Whether a concrete path is served by a template with `{param}` segments (a trailing `/`
/// ignored).
pub fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}') && !b.is_empty()) || a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Thing {
        id: i64,
    }

    fn op(path: &str, framing: Framing) -> Operation {
        Operation {
            method: Method::GET,
            path: path.into(),
            summary: "A thing",
            tag: "things",
            parameters: vec![json!({"name": "limit", "in": "query"})],
            security: json!([]),
            extensions: vec![("x-roles", json!(["analyst"]))],
            request: None,
            replies: vec![Reply {
                status: 200,
                framing,
                schema: schema_of::<Thing>,
            }],
        }
    }

    #[test]
    fn creates_link_to_every_operation_under_what_they_made() {
        let info = DocumentInfo {
            title: "t",
            version: "1",
            servers: None,
            security_schemes: json!({}),
        };
        let create = |path: &str| Operation {
            method: Method::POST,
            replies: vec![Reply {
                status: 201,
                framing: Framing::Enveloped,
                schema: schema_of::<Thing>,
            }],
            ..op(path, Framing::Enveloped)
        };
        let mut doc = document(
            &info,
            [
                create("/shelves/{shelf_id}/things"),
                op("/shelves/{shelf_id}/things/{thing_id}", Framing::Bare),
                op("/shelves/{shelf_id}/things/{thing_id}/parts", Framing::Bare),
                op(
                    "/shelves/{shelf_id}/things/{thing_id}/parts/{part}",
                    Framing::Bare,
                ),
                op("/shelves/{shelf_id}/thingsx/{thing_id}", Framing::Bare),
            ],
        );
        add_links(
            &mut doc,
            &[CreateLinks {
                create: "/shelves/{shelf_id}/things",
                status: 201,
                resources: &["/shelves/{shelf_id}/things/{thing_id}"],
                from: &[("thing_id", "$response.body#/data/id")],
            }],
        );
        let links =
            &doc["paths"]["/shelves/{shelf_id}/things"]["post"]["responses"]["201"]["links"];
        // The thing and what is under it; not a look-alike path, not one needing `part`.
        assert_eq!(
            links,
            &json!({
                "get_shelves__shelf_id__things__thing_id": {
                    "operationId": "get_shelves__shelf_id__things__thing_id",
                    "parameters": {"shelf_id": "$request.path.shelf_id",
                                   "thing_id": "$response.body#/data/id"}},
                "get_shelves__shelf_id__things__thing_id__parts": {
                    "operationId": "get_shelves__shelf_id__things__thing_id__parts",
                    "parameters": {"shelf_id": "$request.path.shelf_id",
                                   "thing_id": "$response.body#/data/id"}}
            })
        );
    }

    #[test]
    fn operations_carry_path_parameters_the_error_envelope_and_their_schemas() {
        let info = DocumentInfo {
            title: "t",
            version: "1",
            servers: Some(json!([{"url": "/prefix"}])),
            security_schemes: json!({}),
        };
        let doc = document(
            &info,
            [
                op("/things/{thing_id}", Framing::Bare),
                op("/things", Framing::Collection),
            ],
        );
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "openapi",
                "info",
                "servers",
                "jsonSchemaDialect",
                "paths",
                "components"
            ]
        );
        let one = &doc["paths"]["/things/{thing_id}"]["get"];
        assert_eq!(one["operationId"], "get_things__thing_id");
        assert_eq!(one["parameters"][0]["name"], "thing_id");
        assert_eq!(one["parameters"][1]["name"], "limit");
        assert_eq!(one["x-roles"], json!(["analyst"]));
        assert_eq!(
            one["responses"]["200"]["content"]["application/json"]["schema"],
            component("Thing")
        );
        assert_eq!(
            one["responses"]["default"]["content"]["application/json"]["schema"],
            component(ERROR_ENVELOPE)
        );
        let list = &doc["paths"]["/things"]["get"]["responses"]["200"]["content"];
        assert_eq!(
            list["application/json"]["schema"]["properties"]["data"]["items"],
            component("Thing")
        );
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(schemas.contains_key("Thing") && schemas.contains_key(ERROR_ENVELOPE));
    }

    #[test]
    fn templates_match_concrete_paths() {
        assert!(template_matches("/a/{id}", "/a/3"));
        assert!(template_matches("/a/{id}", "/a/3/"));
        assert!(!template_matches("/a/{id}", "/a"));
        assert!(!template_matches("/a/{id}", "/a/"));
        assert!(!template_matches("/a/b", "/a/c"));
    }
}

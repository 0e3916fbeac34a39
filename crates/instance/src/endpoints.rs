//! The instance API's route table: every endpoint with its method, path, whether it is public,
//! its query parameters, request and success bodies — the one source from which the router
//! ([`crate::routes::router`]) and the OpenAPI document ([`document`], checked in as
//! `docs/openapi-instance.json`, served at `GET /openapi.json`) are built.
//!
//! Owns: [`Endpoint`], the table's assembly, the instance's security schemes and the document's
//! `servers` entry. Does not own: the generator (`graph_olap_server_kit::openapi`), the handlers
//! (`routes`, `algo`), nor the shapes (`graph_olap_api::instance`, `graph_olap_api::algorithm`).
//!
//! Paths are the ones the instance serves (`/query`), not the control plane's proxy paths
//! (`/wrapper/{url_slug}/query`): the proxy adds a prefix and nothing else, so the document's
//! `servers` entry names that prefix and a client (the SDK, schemathesis) uses the proxied
//! `instance_url` as its base URL, exactly as it does for the instance itself.

use std::sync::Arc;

use axum::http::Method;
use axum::routing::MethodRouter;
use graph_olap_server_kit::openapi::{
    CreateLinks, DocumentInfo, Framing, Operation, Reply, RequestBody, add_links, schema_of,
};
use schemars::JsonSchema;
use serde_json::{Value, json};

use crate::state::AppState;

/// Media type of `/query` results in Arrow IPC (chosen with `Accept`).
pub const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// One endpoint of the instance API.
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Path template in axum syntax (`/algo/status/{execution_id}`).
    pub path: String,
    /// `/health`, `/ready` and this document: no authentication (§10.2 rule 4).
    pub public: bool,
    /// One-line description (OpenAPI summary).
    pub summary: &'static str,
    /// Grouping tag (OpenAPI).
    pub tag: &'static str,
    /// Query parameters it reads, with their schemas.
    pub query: Vec<(&'static str, Value)>,
    /// The JSON body it takes, if any.
    pub request: Option<RequestBody>,
    /// Its success responses (errors are always the error envelope).
    pub replies: Vec<Reply>,
    /// The handler.
    pub(crate) handler: MethodRouter<Arc<AppState>>,
}

impl Endpoint {
    /// An endpoint that answers `200` with a bare `T` (§10.3: success bodies are flat).
    pub(crate) fn new<T: JsonSchema>(
        method: Method,
        path: impl Into<String>,
        tag: &'static str,
        summary: &'static str,
        handler: MethodRouter<Arc<AppState>>,
    ) -> Self {
        Self {
            method,
            path: path.into(),
            public: false,
            summary,
            tag,
            query: Vec::new(),
            request: None,
            replies: Vec::new(),
            handler,
        }
        .replies::<T>(200, Framing::Bare)
    }

    /// Replaces the success responses with one of `status` and `framing`.
    pub(crate) fn replies<T: JsonSchema>(mut self, status: u16, framing: Framing) -> Self {
        self.replies = vec![Reply {
            status,
            framing,
            schema: schema_of::<T>,
        }];
        self
    }

    /// Makes the endpoint public.
    pub(crate) fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Declares the JSON body it takes (`required: false` when an empty body means defaults).
    pub(crate) fn takes<T: JsonSchema>(mut self, required: bool) -> Self {
        self.request = Some(RequestBody {
            schema: schema_of::<T>,
            required,
        });
        self
    }

    /// Declares a query parameter with its schema.
    pub(crate) fn query(mut self, name: &'static str, schema: Value) -> Self {
        self.query.push((name, schema));
        self
    }

    fn operation(&self) -> Operation {
        let security = if self.public {
            json!([])
        } else {
            json!([{"internalKey": []}, {"apiKey": []}, {"devIdentity": []}])
        };
        let roles = if self.public {
            json!([])
        } else {
            json!(["owner", "admin", "ops"])
        };
        Operation {
            method: self.method.clone(),
            path: self.path.clone(),
            summary: self.summary,
            tag: self.tag,
            parameters: self
                .query
                .iter()
                .map(|(name, schema)| {
                    json!({"name": name, "in": "query", "required": false, "schema": schema})
                })
                .collect(),
            security,
            extensions: vec![("x-roles", roles)],
            request: self.request,
            replies: self.replies.clone(),
        }
    }
}

/// Every endpoint of the instance API, in documentation order (§10's table).
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = crate::routes::endpoints();
    all.extend(crate::algo::endpoints());
    all
}

/// The OpenAPI 3.1 document of the instance API.
pub fn document() -> Value {
    let info = DocumentInfo {
        title: "graph-olap instance server",
        version: env!("CARGO_PKG_VERSION"),
        servers: Some(json!([
            {"url": "/wrapper/{url_slug}",
             "description": "Through the control plane's proxy (API.md §8): `instance_url`",
             "variables": {"url_slug": {"default": "instance",
                "description": "The instance's `url_slug`"}}},
            {"url": "/", "description": "The instance server itself (port 8000)"}])),
        security_schemes: json!({
            "internalKey": {"type": "apiKey", "in": "header", "name": "X-Internal-Api-Key",
                "description": "The proxy or a service; the user in X-Username, X-User-Role"},
            "apiKey": {"type": "http", "scheme": "bearer"},
            "devIdentity": {"type": "apiKey", "in": "header", "name": "X-Username"}}),
    };
    let mut doc = graph_olap_server_kit::openapi::document(
        &info,
        endpoints().iter().map(Endpoint::operation),
    );
    add_links(&mut doc, EXECUTION_LINKS);
    doc
}

/// A started execution (`202`) leads to its status and to its cancellation.
const EXECUTION_LINKS: &[CreateLinks] = &[
    CreateLinks {
        create: "/algo/{name}",
        status: 202,
        resources: &[
            "/algo/status/{execution_id}",
            "/algo/executions/{execution_id}",
        ],
        from: &[("execution_id", "$response.body#/execution_id")],
    },
    CreateLinks {
        create: "/networkx/{name}",
        status: 202,
        resources: &[
            "/networkx/status/{execution_id}",
            "/networkx/executions/{execution_id}",
        ],
        from: &[("execution_id", "$response.body#/execution_id")],
    },
];

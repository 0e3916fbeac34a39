//! The route table: every endpoint with its method, path, required access and summary — the one
//! source from which the router, the OpenAPI document and the permission-matrix test are built.

pub mod admin;
pub mod config;
pub mod favorites;
pub mod health;
pub mod instances;
pub mod internal;
pub mod mappings;
pub mod ops;
pub mod platform_ledger;
pub mod schema;
pub mod snapshots;
pub mod users;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any as any_method, delete, get, patch, post, put};
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_server_kit::error::ApiError;
use serde_json::json;

use crate::auth::Access;
use crate::http::input::QueryParams;
use crate::http::openapi::{Framing, Reply, RequestBody, SchemaFn, schema_of};
use crate::state::AppState;
use graph_olap_api as api;
use graph_olap_api::body as b;
use graph_olap_store as st;
use schemars::JsonSchema;

/// Matches a concrete path against a template with `{param}` segments (the shared rule).
pub use graph_olap_server_kit::openapi::template_matches;

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
    /// Honours `Idempotency-Key` (API.md §1.11; see `crate::http::idempotency`).
    pub idempotent: bool,
    /// The JSON body it takes, if it takes one (OpenAPI `requestBody`).
    pub request: Option<RequestBody>,
    /// Its success responses (OpenAPI `responses`; errors are always the error envelope).
    pub replies: Vec<Reply>,
    /// The query parameters it reads (their types: `crate::http::openapi::query_schema`).
    pub query: Vec<&'static str>,
    handler: MethodRouter<AppState>,
}

fn ep(
    method: Method,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        summary,
        tag,
        idempotent: false,
        request: None,
        replies: Vec::new(),
        query: Vec::new(),
        handler,
    }
}

impl Endpoint {
    /// Makes the endpoint honour `Idempotency-Key` (wrapped in `crate::http::idempotency::layer`).
    fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Declares the JSON body the endpoint takes.
    fn takes<T: JsonSchema>(mut self) -> Self {
        self.request = Some(RequestBody {
            schema: schema_of::<T>,
            required: true,
        });
        self
    }

    /// Declares a JSON body the endpoint takes but may go without (an empty body reads as `{}`).
    fn takes_optional<T: JsonSchema>(mut self) -> Self {
        self.request = Some(RequestBody {
            schema: schema_of::<T>,
            required: false,
        });
        self
    }

    /// Declares query parameters the endpoint reads (added after those declared before, so a
    /// list can be the shared filters plus its own).
    fn query(mut self, names: &[&'static str]) -> Self {
        self.query.extend_from_slice(names);
        self
    }

    fn reply(mut self, status: u16, framing: Framing, schema: SchemaFn) -> Self {
        self.replies.push(Reply {
            status,
            framing,
            schema,
        });
        self
    }

    /// `200` with `{"data": T, "meta"}`.
    fn ok<T: JsonSchema>(self) -> Self {
        self.reply(200, Framing::Enveloped, schema_of::<T>)
    }

    /// `201` with `{"data": T, "meta"}`.
    fn created<T: JsonSchema>(self) -> Self {
        self.reply(201, Framing::Enveloped, schema_of::<T>)
    }

    /// `202` with `{"data": T, "meta"}`.
    fn accepted<T: JsonSchema>(self) -> Self {
        self.reply(202, Framing::Enveloped, schema_of::<T>)
    }

    /// `200` with `{"data": [T…], "meta"}` (a collection, paginated or not).
    fn list<T: JsonSchema>(self) -> Self {
        self.reply(200, Framing::Collection, schema_of::<T>)
    }

    /// `status` with a bare (not enveloped) `T`.
    fn bare<T: JsonSchema>(self, status: u16) -> Self {
        self.reply(status, Framing::Bare, schema_of::<T>)
    }

    /// `200` with plain text of the given media type.
    fn text(self, media: &'static str) -> Self {
        self.reply(200, Framing::Text(media), schema_of::<String>)
    }
}

/// Pagination of collections (API.md §1.5).
const PAGE: &[&str] = &["offset", "limit"];
/// Pagination, sorting, owner, search and creation-time filters of the resource lists (§1.6).
const LIST: &[&str] = &[
    "offset",
    "limit",
    "sort_by",
    "sort_order",
    "owner",
    "search",
    "created_after",
    "created_before",
];
/// The snapshot lists' own filters, after [`LIST`].
const SNAPSHOT_FILTERS: &[&str] = &["status", "mapping_version"];
/// The instance lists' own filters, after [`LIST`].
const INSTANCE_FILTERS: &[&str] = &["status", "snapshot_id", "include_terminated"];

/// Every endpoint the control plane serves, in documentation order.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    let any = Access::Any;
    let mut all = vec![
        ep(
            M::GET,
            "/health",
            Access::Public,
            "health",
            "Liveness and version",
            get(health::health),
        )
        .bare::<b::health::Health>(200),
        ep(
            M::GET,
            "/ready",
            Access::Public,
            "health",
            "Readiness: database reachable and migrated",
            get(health::ready),
        )
        .bare::<b::health::Ready>(200),
        ep(
            M::GET,
            "/api/openapi.json",
            Access::Public,
            "health",
            "This OpenAPI document",
            get(openapi_json),
        )
        .bare::<serde_json::Value>(200),
        ep(
            M::GET,
            "/metrics",
            Access::Scraper,
            "health",
            "Prometheus metrics (ops role or internal key)",
            get(ops::metrics),
        )
        .text("text/plain"),
        ep(
            M::GET,
            "/api/mappings",
            any,
            "mappings",
            "List mappings",
            get(mappings::list),
        )
        .query(LIST)
        .list::<st::mappings::MappingSummary>(),
        ep(
            M::POST,
            "/api/mappings",
            any,
            "mappings",
            "Create a mapping (version 1)",
            post(mappings::create),
        )
        .takes::<b::mappings::CreateMapping>()
        .created::<st::mappings::Mapping>()
        .idempotent(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}",
            any,
            "mappings",
            "Get a mapping with its current version",
            get(mappings::get),
        )
        .ok::<st::mappings::Mapping>(),
        ep(
            M::PUT,
            "/api/mappings/{mapping_id}",
            any,
            "mappings",
            "Update a mapping (new version when definitions change)",
            put(mappings::update),
        )
        .takes::<b::mappings::UpdateMapping>()
        .ok::<st::mappings::Mapping>(),
        ep(
            M::DELETE,
            "/api/mappings/{mapping_id}",
            any,
            "mappings",
            "Delete a mapping and its snapshots",
            delete(mappings::delete),
        )
        .ok::<b::mappings::MappingDeleted>(),
        ep(
            M::POST,
            "/api/mappings/{mapping_id}/copy",
            any,
            "mappings",
            "Copy a mapping version into a new mapping",
            post(mappings::copy),
        )
        .takes_optional::<b::mappings::CopyMapping>()
        .created::<st::mappings::Mapping>()
        .idempotent(),
        ep(
            M::PUT,
            "/api/mappings/{mapping_id}/lifecycle",
            any,
            "mappings",
            "Set the mapping's TTL and inactivity timeout",
            put(mappings::set_lifecycle),
        )
        .takes::<b::mappings::SetLifecycle>()
        .ok::<st::mappings::Mapping>(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}/versions",
            any,
            "mappings",
            "List versions",
            get(mappings::versions),
        )
        .query(PAGE)
        .list::<st::mappings::MappingVersionSummary>(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}/versions/{version}",
            any,
            "mappings",
            "Get one version",
            get(mappings::version),
        )
        .ok::<st::mappings::MappingVersion>(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}",
            any,
            "mappings",
            "Diff two versions",
            get(mappings::diff),
        )
        .ok::<b::mappings::MappingDiff>(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}/tree",
            any,
            "mappings",
            "Versions, snapshots and instances of a mapping",
            get(mappings::tree),
        )
        .query(&["include_instances", "status"])
        .ok::<mappings::MappingTree>(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}/snapshots",
            any,
            "mappings",
            "Snapshots of a mapping",
            get(snapshots::list_for_mapping),
        )
        .query(LIST)
        .query(SNAPSHOT_FILTERS)
        .list::<st::snapshots::Snapshot>(),
        ep(
            M::GET,
            "/api/mappings/{mapping_id}/instances",
            any,
            "mappings",
            "Instances created from a mapping's snapshots",
            get(instances::list_for_mapping),
        )
        .query(LIST)
        .query(INSTANCE_FILTERS)
        .list::<b::instances::Instance>(),
        ep(
            M::GET,
            "/api/snapshots",
            any,
            "snapshots",
            "List snapshots",
            get(snapshots::list),
        )
        .query(LIST)
        .query(SNAPSHOT_FILTERS)
        .query(&["mapping_id"])
        .list::<st::snapshots::Snapshot>(),
        ep(
            M::GET,
            "/api/snapshots/{snapshot_id}",
            any,
            "snapshots",
            "Get a snapshot",
            get(snapshots::get),
        )
        .ok::<st::snapshots::Snapshot>(),
        ep(
            M::GET,
            "/api/snapshots/{snapshot_id}/progress",
            any,
            "snapshots",
            "Export progress of a snapshot",
            get(snapshots::progress),
        )
        .ok::<b::snapshots::SnapshotProgress>(),
        ep(
            M::POST,
            "/api/snapshots/{snapshot_id}/retry",
            any,
            "snapshots",
            "Retry a failed or cancelled export",
            post(snapshots::retry),
        )
        .accepted::<st::snapshots::Snapshot>(),
        ep(
            M::DELETE,
            "/api/snapshots/{snapshot_id}",
            any,
            "snapshots",
            "Delete a snapshot and its files",
            delete(snapshots::delete),
        )
        .ok::<b::common::Deleted>(),
        ep(
            M::GET,
            "/api/instances",
            any,
            "instances",
            "List instances",
            get(instances::list),
        )
        .query(LIST)
        .query(INSTANCE_FILTERS)
        .query(&["mapping_id"])
        .list::<b::instances::Instance>(),
        ep(
            M::POST,
            "/api/instances",
            any,
            "instances",
            "Create an instance from a ready snapshot or from a mapping",
            post(instances::create),
        )
        .takes::<b::instances::NewInstance>()
        .created::<b::instances::Instance>()
        .idempotent(),
        ep(
            M::POST,
            "/api/instances/from-mapping",
            any,
            "instances",
            "Create a snapshot and an instance in one call",
            post(instances::create_from_mapping),
        )
        .takes::<b::instances::CreateInstanceFromMapping>()
        .created::<b::instances::Instance>()
        .idempotent(),
        ep(
            M::GET,
            "/api/instances/quota",
            any,
            "instances",
            "The caller's instance quota",
            get(instances::quota),
        )
        .ok::<b::instances::Quota>(),
        ep(
            M::GET,
            "/api/instances/{instance_id}",
            any,
            "instances",
            "Get an instance",
            get(instances::get),
        )
        .ok::<b::instances::Instance>(),
        ep(
            M::PUT,
            "/api/instances/{instance_id}",
            any,
            "instances",
            "Rename or describe an instance",
            put(instances::update),
        )
        .takes::<b::instances::UpdateInstance>()
        .ok::<b::instances::Instance>(),
        ep(
            M::DELETE,
            "/api/instances/{instance_id}",
            any,
            "instances",
            "Terminate an instance",
            delete(instances::terminate),
        )
        .takes_optional::<b::instances::TerminateInstance>()
        .ok::<b::instances::Instance>(),
        ep(
            M::POST,
            "/api/instances/{instance_id}/terminate",
            any,
            "instances",
            "Terminate an instance",
            post(instances::terminate),
        )
        .takes_optional::<b::instances::TerminateInstance>()
        .ok::<b::instances::Instance>(),
        ep(
            M::PUT,
            "/api/instances/{instance_id}/lifecycle",
            any,
            "instances",
            "Set an instance's TTL and inactivity timeout",
            put(instances::set_lifecycle),
        )
        .takes::<b::mappings::SetLifecycle>()
        .ok::<b::instances::Instance>(),
        ep(
            M::POST,
            "/api/instances/{instance_id}/extend",
            any,
            "instances",
            "Extend an instance's TTL",
            post(instances::extend),
        )
        .takes_optional::<b::instances::ExtendInstance>()
        .ok::<b::instances::Instance>(),
        ep(
            M::PUT,
            "/api/instances/{instance_id}/cpu",
            any,
            "instances",
            "Change an instance's CPU cores",
            put(instances::set_cpu),
        )
        .takes::<b::instances::SetCpu>()
        .ok::<b::instances::Instance>(),
        ep(
            M::PUT,
            "/api/instances/{instance_id}/memory",
            any,
            "instances",
            "Grow an instance's memory",
            put(instances::set_memory),
        )
        .takes::<b::instances::SetMemory>()
        .ok::<b::instances::Instance>(),
        ep(
            M::GET,
            "/api/instances/{instance_id}/progress",
            any,
            "instances",
            "Startup progress of an instance",
            get(instances::progress),
        )
        .ok::<b::instances::InstanceProgress>(),
        ep(
            M::GET,
            "/api/instances/{instance_id}/events",
            any,
            "instances",
            "Event history of an instance",
            get(instances::events),
        )
        .query(&["offset", "limit", "event_type"])
        .list::<b::instances::InstanceEvent>(),
        ep(
            M::POST,
            "/api/internal/export-jobs/claim",
            Access::Internal,
            "internal",
            "Claim export jobs with a lease",
            post(internal::claim),
        )
        .takes::<api::export::ClaimRequest>()
        .ok::<api::export::ClaimResponse>(),
        ep(
            M::GET,
            "/api/internal/export-jobs/{job_id}",
            Access::Internal,
            "internal",
            "Get an export job",
            get(internal::get_job),
        )
        .ok::<api::export::ExportJob>(),
        ep(
            M::POST,
            "/api/internal/export-jobs/{job_id}/heartbeat",
            Access::Internal,
            "internal",
            "Extend a lease and report progress",
            post(internal::heartbeat),
        )
        .takes::<api::export::HeartbeatRequest>()
        .ok::<api::export::HeartbeatAck>(),
        ep(
            M::POST,
            "/api/internal/export-jobs/{job_id}/complete",
            Access::Internal,
            "internal",
            "Complete an export job",
            post(internal::complete),
        )
        .takes::<api::export::CompleteRequest>()
        .ok::<api::export::ExportJob>(),
        ep(
            M::POST,
            "/api/internal/export-jobs/{job_id}/fail",
            Access::Internal,
            "internal",
            "Report an export job failure",
            post(internal::fail),
        )
        .takes::<api::export::FailRequest>()
        .ok::<api::export::ExportJob>(),
        ep(
            M::GET,
            "/api/internal/instances/{instance_id}/mapping",
            Access::Internal,
            "internal",
            "Bootstrap configuration of an instance server",
            get(internal::bootstrap),
        )
        .ok::<api::instance::InstanceBootstrap>(),
        ep(
            M::PATCH,
            "/api/internal/instances/{instance_id}/status",
            Access::Internal,
            "internal",
            "Instance server status report",
            patch(internal::report_status),
        )
        .takes::<api::instance::StatusReport>()
        .ok::<api::instance::StatusReportAck>(),
        ep(
            M::PUT,
            "/api/internal/instances/{instance_id}/progress",
            Access::Internal,
            "internal",
            "Instance server startup progress",
            put(internal::report_progress),
        )
        .takes::<api::instance::ProgressReport>()
        .ok::<api::instance::ProgressAck>(),
        ep(
            M::PUT,
            "/api/internal/instances/{instance_id}/metrics",
            Access::Internal,
            "internal",
            "Instance server metrics",
            put(internal::report_metrics),
        )
        .takes::<api::instance::MetricsReport>()
        .ok::<api::instance::MetricsAck>(),
        ep(
            M::POST,
            "/api/internal/instances/{instance_id}/activity",
            Access::Internal,
            "internal",
            "Instance data-plane activity",
            post(internal::report_activity),
        )
        .takes::<api::instance::ActivityReport>()
        .ok::<api::instance::ActivityAck>(),
        ep(
            M::POST,
            "/api/internal/auth/introspect",
            Access::Internal,
            "internal",
            "Resolve an API key for an instance server",
            post(internal::introspect),
        )
        .takes::<api::instance::IntrospectRequest>()
        .ok::<api::instance::IntrospectResponse>(),
        ep(
            M::GET,
            "/api/favorites",
            any,
            "favorites",
            "List the caller's favorites",
            get(favorites::list),
        )
        .query(&["resource_type"])
        .list::<b::favorites::Favorite>(),
        ep(
            M::POST,
            "/api/favorites",
            any,
            "favorites",
            "Add a favorite",
            post(favorites::add),
        )
        .takes::<b::favorites::AddFavorite>()
        .created::<b::favorites::Favorite>(),
        ep(
            M::DELETE,
            "/api/favorites/{resource_type}/{resource_id}",
            any,
            "favorites",
            "Remove a favorite",
            delete(favorites::remove),
        )
        .ok::<b::favorites::FavoriteRemoved>(),
        ep(
            M::GET,
            "/api/schema/catalogs",
            any,
            "schema",
            "Warehouse catalogs",
            get(schema::catalogs),
        )
        .list::<b::schema::CatalogInfo>(),
        ep(
            M::GET,
            "/api/schema/catalogs/{catalog}/schemas",
            any,
            "schema",
            "Schemas of a catalog",
            get(schema::schemas),
        )
        .list::<b::schema::SchemaInfo>(),
        ep(
            M::GET,
            "/api/schema/catalogs/{catalog}/schemas/{schema}/tables",
            any,
            "schema",
            "Tables of a schema",
            get(schema::tables),
        )
        .list::<b::schema::TableInfo>(),
        ep(
            M::GET,
            "/api/schema/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns",
            any,
            "schema",
            "Columns of a table",
            get(schema::columns),
        )
        .list::<b::schema::ColumnInfo>(),
        ep(
            M::GET,
            "/api/schema/search/tables",
            any,
            "schema",
            "Prefix search of table names",
            get(schema::search_tables),
        )
        .query(&["q", "limit", "catalog", "schema"])
        .list::<b::schema::TableInfo>(),
        ep(
            M::GET,
            "/api/schema/search/columns",
            any,
            "schema",
            "Prefix search of column names",
            get(schema::search_columns),
        )
        .query(&["q", "limit", "catalog", "schema"])
        .list::<b::schema::ColumnInfo>(),
        ep(
            M::POST,
            "/api/schema/admin/refresh",
            Access::ADMIN_OPS,
            "schema",
            "Refresh the metadata cache from the warehouse",
            post(schema::refresh),
        )
        .accepted::<b::schema::RefreshTriggered>(),
        ep(
            M::GET,
            "/api/schema/stats",
            Access::ADMIN_OPS,
            "schema",
            "Metadata cache statistics",
            get(schema::stats),
        )
        .ok::<b::schema::CacheStats>(),
        ep(
            M::GET,
            "/api/config/lifecycle",
            Access::OPS,
            "config",
            "Lifecycle defaults and maximum TTLs",
            get(config::get_lifecycle),
        )
        .ok::<b::config::LifecycleSettings>(),
        ep(
            M::PUT,
            "/api/config/lifecycle",
            Access::OPS,
            "config",
            "Change lifecycle defaults and maximum TTLs",
            put(config::put_lifecycle),
        )
        .takes::<b::config::LifecycleUpdate>()
        .ok::<b::config::LifecycleSettings>(),
        ep(
            M::GET,
            "/api/config/concurrency",
            Access::OPS,
            "config",
            "Instance concurrency limits",
            get(config::get_concurrency),
        )
        .ok::<b::config::ConcurrencySettings>(),
        ep(
            M::PUT,
            "/api/config/concurrency",
            Access::OPS,
            "config",
            "Change instance concurrency limits",
            put(config::put_concurrency),
        )
        .takes::<b::config::ConcurrencyUpdate>()
        .ok::<b::config::ConcurrencySettings>(),
        ep(
            M::GET,
            "/api/config/maintenance",
            Access::OPS,
            "config",
            "Maintenance mode",
            get(config::get_maintenance),
        )
        .ok::<b::config::MaintenanceSettings>(),
        ep(
            M::PUT,
            "/api/config/maintenance",
            Access::OPS,
            "config",
            "Switch maintenance mode",
            put(config::put_maintenance),
        )
        .takes::<b::config::MaintenanceUpdate>()
        .ok::<b::config::MaintenanceSettings>(),
        ep(
            M::GET,
            "/api/config/export",
            Access::OPS,
            "config",
            "Export limits",
            get(config::get_export),
        )
        .ok::<b::config::ExportSettings>(),
        ep(
            M::PUT,
            "/api/config/export",
            Access::OPS,
            "config",
            "Change the maximum export duration",
            put(config::put_export),
        )
        .takes::<b::config::ExportUpdate>()
        .ok::<b::config::ExportSettings>(),
        ep(
            M::GET,
            "/api/cluster/health",
            Access::OPS,
            "ops",
            "Health of every platform component (probed, cached up to 10 s)",
            get(ops::cluster_health),
        )
        .ok::<api::ops::ClusterHealth>(),
        ep(
            M::GET,
            "/api/cluster/instances",
            Access::OPS,
            "ops",
            "Cluster-wide instance counts and capacity",
            get(ops::cluster_instances),
        )
        .ok::<b::ops::ClusterInstances>(),
        ep(
            M::GET,
            "/api/cluster/capacity",
            Access::OPS,
            "ops",
            "Nodes' allocatable and requested CPU and memory, and the runtime's units by phase",
            get(ops::cluster_capacity),
        )
        .ok::<b::ops::ClusterCapacity>(),
        ep(
            M::POST,
            "/api/ops/jobs/trigger",
            Access::OPS,
            "ops",
            "Run a background job as soon as possible (one trigger per job per minute)",
            post(ops::trigger_job),
        )
        .takes::<b::ops::TriggerJob>()
        .accepted::<api::ops::JobTrigger>(),
        ep(
            M::GET,
            "/api/ops/jobs/status",
            Access::OPS,
            "ops",
            "Status of every background job",
            get(ops::job_status),
        )
        .ok::<b::ops::JobStatuses>(),
        ep(
            M::GET,
            "/api/ops/state",
            Access::OPS,
            "ops",
            "Instances, snapshots and export jobs by status; maintenance",
            get(ops::system_state),
        )
        .ok::<b::ops::SystemState>(),
        ep(
            M::GET,
            "/api/ops/export-jobs",
            Access::OPS,
            "ops",
            "Export jobs, newest first",
            get(ops::export_jobs),
        )
        .query(&["offset", "limit", "status", "snapshot_id"])
        .ok::<b::ops::ExportJobPage>(),
        ep(
            M::DELETE,
            "/api/admin/resources/bulk",
            Access::ADMIN_OPS,
            "admin",
            "Delete (instances: terminate) up to 100 resources matching filters",
            delete(admin::bulk_delete),
        )
        .takes::<b::admin::BulkDelete>()
        .ok::<api::ops::BulkDeleteResult>(),
        ep(
            M::POST,
            "/api/admin/resources/bulk-delete",
            Access::ADMIN_OPS,
            "admin",
            "Bulk delete (alias for clients that cannot send a DELETE body)",
            post(admin::bulk_delete),
        )
        .takes::<b::admin::BulkDelete>()
        .ok::<api::ops::BulkDeleteResult>(),
        ep(
            M::GET,
            "/api/audit-log",
            Access::ADMIN_OPS,
            "admin",
            "Query the audit log, newest first",
            get(admin::audit_log),
        )
        .query(&[
            "offset",
            "limit",
            "username",
            "resource_type",
            "resource_id",
            "action",
            "created_after",
            "created_before",
        ])
        .list::<b::admin::AuditLogEntry>(),
        ep(
            M::GET,
            "/api/users",
            Access::ADMIN_OPS,
            "users",
            "List users",
            get(users::list),
        )
        .query(&["offset", "limit", "role", "is_active", "search"])
        .list::<st::users::User>(),
        ep(
            M::POST,
            "/api/users",
            Access::ADMIN,
            "users",
            "Create a user",
            post(users::create),
        )
        .takes::<b::users::CreateUser>()
        .created::<users::CreatedUser>(),
        ep(
            M::GET,
            "/api/users/me",
            any,
            "users",
            "The caller",
            get(users::me),
        )
        .ok::<b::users::CurrentUser>(),
        ep(
            M::POST,
            "/api/users/bootstrap",
            Access::Public,
            "users",
            "Create the first administrator",
            post(users::bootstrap),
        )
        .takes::<b::users::CreateUser>()
        .created::<users::UserWithKey>(),
        ep(
            M::GET,
            "/api/users/{username}",
            any,
            "users",
            "Get a user (self, admin or ops)",
            get(users::get),
        )
        .ok::<st::users::User>(),
        ep(
            M::PUT,
            "/api/users/{username}",
            any,
            "users",
            "Update a user (self: display_name and email)",
            put(users::update),
        )
        .takes::<b::users::UpdateUser>()
        .ok::<st::users::User>(),
        ep(
            M::DELETE,
            "/api/users/{username}",
            Access::ADMIN,
            "users",
            "Deactivate a user",
            delete(users::deactivate),
        )
        .ok::<st::users::User>(),
        ep(
            M::PUT,
            "/api/users/{username}/role",
            Access::ADMIN,
            "users",
            "Change a user's role",
            put(users::set_role),
        )
        .takes::<b::users::SetRole>()
        .ok::<st::users::User>(),
        ep(
            M::GET,
            "/api/users/{username}/api-keys",
            any,
            "users",
            "List a user's API keys",
            get(users::list_keys),
        )
        .list::<st::users::ApiKey>(),
        ep(
            M::POST,
            "/api/users/{username}/api-keys",
            any,
            "users",
            "Create an API key",
            post(users::create_key),
        )
        .takes::<b::users::CreateApiKey>()
        .created::<crate::services::users::IssuedKey>(),
        ep(
            M::DELETE,
            "/api/users/{username}/api-keys/{key_id}",
            any,
            "users",
            "Revoke an API key",
            delete(users::revoke_key),
        )
        .ok::<st::users::ApiKey>(),
    ];
    all.extend(platform_ledger::endpoints());
    all
}

/// Builds the router from [`endpoints`], with enveloped 404/405 fallbacks.
pub fn router(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for e in endpoints() {
        let handler = if e.idempotent {
            e.handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                crate::http::idempotency::layer,
            ))
        } else {
            e.handler
        };
        let guarded = handler.route_layer(middleware::from_fn_with_state(
            (state.clone(), e.access),
            crate::auth::enforce,
        ));
        router = router.route(e.path, guarded);
    }
    router = router.route(
        "/wrapper/{url_slug}/{*path}",
        any_method(crate::http::proxy::forward),
    );
    router
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .with_state(state)
}

/// 404 for unknown paths; 405 with `Allow` for known paths with another method.
async fn fallback(request: Request) -> Response {
    let path = request.uri().path().to_string();
    let allowed: Vec<String> = endpoints()
        .iter()
        .filter(|e| template_matches(e.path, &path))
        .map(|e| e.method.to_string())
        .collect();
    if allowed.is_empty() {
        return ApiError::new(ErrorCode::NotFound, format!("No route for {path}"))
            .detail("resource_type", "route")
            .detail("resource_id", path)
            .into_response();
    }
    let message =
        if path.trim_end_matches('/') == "/api/snapshots" && request.method() == Method::POST {
            "Snapshots are created implicitly; use POST /api/instances/from-mapping".to_string()
        } else {
            format!(
                "{} is not supported on {path}; allowed: {}",
                request.method(),
                allowed.join(", ")
            )
        };
    ApiError::new(ErrorCode::MethodNotAllowed, message)
        .detail("allowed_methods", json!(allowed))
        .header(header::ALLOW, allowed.join(", "))
        .into_response()
}

/// Parses the comma-separated status filter `key` into values of `S` (one of the typed status
/// enums of `graph_olap_api`), or records an `enum` field error listing `allowed`.
pub fn status_filter<S>(
    q: &QueryParams,
    key: &str,
    allowed: &[S],
    errors: &mut Vec<FieldError>,
) -> Option<Vec<S>>
where
    S: std::str::FromStr + std::fmt::Display,
{
    let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    parse_list(q, key, &names, |s| s.parse().ok(), errors)
}

/// Parses the comma-separated filter `key` whose values come from a fixed vocabulary of names
/// (e.g. instance event types), or records an `enum` field error listing `allowed`.
pub fn name_filter(
    q: &QueryParams,
    key: &str,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    parse_list(
        q,
        key,
        &names,
        |s| allowed.contains(&s).then(|| s.to_string()),
        errors,
    )
}

fn parse_list<T>(
    q: &QueryParams,
    key: &str,
    allowed: &[String],
    parse: impl Fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<T>> {
    let raw = q.text(key)?;
    let values: Option<Vec<T>> = raw
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .map(|s| parse(&s))
        .collect();
    match values {
        Some(values) if !values.is_empty() => Some(values),
        _ => {
            errors.push(FieldError::new(
                format!("query.{key}"),
                "enum",
                format!(
                    "{key} must be a comma-separated list of: {}",
                    allowed.join(", ")
                ),
            ));
            None
        }
    }
}

async fn openapi_json() -> Response {
    axum::Json(crate::http::openapi::document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        assert!(template_matches(
            "/api/mappings/{mapping_id}",
            "/api/mappings/3"
        ));
        assert!(!template_matches(
            "/api/mappings/{mapping_id}",
            "/api/mappings"
        ));
        assert!(template_matches("/api/mappings", "/api/mappings/"));
    }

    #[test]
    fn openapi_lists_every_endpoint() {
        let doc = crate::http::openapi::document();
        for e in endpoints() {
            assert!(
                doc["paths"][e.path][e.method.as_str().to_lowercase()].is_object(),
                "{} {}",
                e.method,
                e.path
            );
        }
    }
}

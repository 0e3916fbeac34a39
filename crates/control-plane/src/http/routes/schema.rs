//! `/api/schema/…` (API.md §6.3): the warehouse's catalogs, schemas, tables and columns, served
//! from the metadata cache, with prefix search and admin refresh.

use axum::extract::{Path, State};
use axum::response::Response;
use graph_olap_api::body::schema::{
    CacheStats, CatalogInfo, ColumnInfo, RefreshTriggered, SchemaInfo, TableInfo,
};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_warehouse::{CatalogMeta, SchemaMeta, TableMeta};

use crate::auth::Caller;
use crate::http::input::{QueryParams, finish};
use crate::http::respond;
use crate::state::AppState;

fn ts(s: &crate::services::schema_cache::Snapshot) -> Option<String> {
    s.refreshed_at.as_ref().map(graph_olap_api::time::format_ts)
}

fn find<'a, T>(items: &'a [T], name: &str, get: impl Fn(&T) -> &str) -> Option<&'a T> {
    items
        .iter()
        .find(|i| get(i) == name)
        .or_else(|| items.iter().find(|i| get(i).eq_ignore_ascii_case(name)))
}

fn catalog<'a>(
    s: &'a crate::services::schema_cache::Snapshot,
    name: &str,
) -> ApiResult<&'a CatalogMeta> {
    find(&s.metadata.catalogs, name, |c| &c.name)
        .ok_or_else(|| ApiError::not_found("catalog", name.to_string()))
}

fn schema<'a>(c: &'a CatalogMeta, name: &str) -> ApiResult<&'a SchemaMeta> {
    find(&c.schemas, name, |s| &s.name)
        .ok_or_else(|| ApiError::not_found("schema", format!("{}.{name}", c.name)))
}

fn table_json(c: &str, s: &str, t: &TableMeta, cached: &Option<String>) -> TableInfo {
    TableInfo {
        catalog_name: c.into(),
        schema_name: s.into(),
        table_name: t.name.clone(),
        table_type: t.table_type.clone(),
        column_count: t.columns.len(),
        comment: t.comment.clone(),
        cached_at: cached.clone(),
    }
}

fn columns_json(c: &str, s: &str, t: &TableMeta, cached: &Option<String>) -> Vec<ColumnInfo> {
    t.columns
        .iter()
        .map(|col| ColumnInfo {
            catalog_name: c.into(),
            schema_name: s.into(),
            table_name: t.name.clone(),
            column_name: col.name.clone(),
            data_type: col.data_type.clone(),
            is_nullable: col.is_nullable,
            ordinal_position: col.ordinal_position,
            column_default: col.column_default.clone(),
            comment: col.comment.clone(),
            cached_at: cached.clone(),
        })
        .collect()
}

/// `GET /api/schema/catalogs`
pub async fn catalogs(State(state): State<AppState>) -> ApiResult<Response> {
    let s = state.schema.snapshot();
    let cached = ts(&s);
    Ok(respond::list(
        s.metadata
            .catalogs
            .iter()
            .map(|c| CatalogInfo {
                catalog_name: c.name.clone(),
                schema_count: c.schemas.len(),
                cached_at: cached.clone(),
            })
            .collect(),
    ))
}

/// `GET /api/schema/catalogs/{catalog}/schemas`
pub async fn schemas(
    State(state): State<AppState>,
    Path(cat): Path<String>,
) -> ApiResult<Response> {
    let s = state.schema.snapshot();
    let cached = ts(&s);
    let c = catalog(&s, &cat)?;
    Ok(respond::list(
        c.schemas
            .iter()
            .map(|sc| SchemaInfo {
                catalog_name: c.name.clone(),
                schema_name: sc.name.clone(),
                table_count: sc.tables.len(),
                cached_at: cached.clone(),
            })
            .collect(),
    ))
}

/// `GET /api/schema/catalogs/{catalog}/schemas/{schema}/tables`
pub async fn tables(
    State(state): State<AppState>,
    Path((cat, sch)): Path<(String, String)>,
) -> ApiResult<Response> {
    let s = state.schema.snapshot();
    let cached = ts(&s);
    let c = catalog(&s, &cat)?;
    let sc = schema(c, &sch)?;
    Ok(respond::list(
        sc.tables
            .iter()
            .map(|t| table_json(&c.name, &sc.name, t, &cached))
            .collect(),
    ))
}

/// `GET /api/schema/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns`
pub async fn columns(
    State(state): State<AppState>,
    Path((cat, sch, tab)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let s = state.schema.snapshot();
    let cached = ts(&s);
    let c = catalog(&s, &cat)?;
    let sc = schema(c, &sch)?;
    let t = find(&sc.tables, &tab, |t| &t.name)
        .ok_or_else(|| ApiError::not_found("table", format!("{}.{}.{tab}", c.name, sc.name)))?;
    Ok(respond::list(columns_json(&c.name, &sc.name, t, &cached)))
}

struct Search {
    q: String,
    limit: usize,
    catalog: Option<String>,
    schema: Option<String>,
}

fn search_params(q: &QueryParams) -> ApiResult<Search> {
    let mut errors = Vec::new();
    let text = match q.text("q") {
        Some(t) if (1..=255).contains(&t.chars().count()) => Some(t.to_lowercase()),
        Some(_) => {
            errors.push(graph_olap_api::FieldError::new(
                "query.q",
                "too_long",
                "q must have 1 to 255 characters",
            ));
            None
        }
        None => {
            errors.push(graph_olap_api::FieldError::new(
                "query.q",
                "required",
                "q is required",
            ));
            None
        }
    };
    let limit = q.int("limit", &mut errors, 1, 1000).unwrap_or(100) as usize;
    finish(errors)?;
    Ok(Search {
        q: text.unwrap_or_default(),
        limit,
        catalog: q.text("catalog").map(str::to_string),
        schema: q.text("schema").map(str::to_string),
    })
}

fn in_scope(p: &Search, c: &str, s: &str) -> bool {
    p.catalog
        .as_deref()
        .is_none_or(|x| x.eq_ignore_ascii_case(c))
        && p.schema
            .as_deref()
            .is_none_or(|x| x.eq_ignore_ascii_case(s))
}

/// `GET /api/schema/search/tables`
pub async fn search_tables(State(state): State<AppState>, q: QueryParams) -> ApiResult<Response> {
    let p = search_params(&q)?;
    let s = state.schema.snapshot();
    let cached = ts(&s);
    let mut out = Vec::new();
    for c in &s.metadata.catalogs {
        for sc in &c.schemas {
            if !in_scope(&p, &c.name, &sc.name) {
                continue;
            }
            out.extend(
                sc.tables
                    .iter()
                    .filter(|t| t.name.to_lowercase().starts_with(&p.q))
                    .map(|t| table_json(&c.name, &sc.name, t, &cached)),
            );
        }
    }
    out.truncate(p.limit);
    Ok(respond::list(out))
}

/// `GET /api/schema/search/columns`
pub async fn search_columns(State(state): State<AppState>, q: QueryParams) -> ApiResult<Response> {
    let p = search_params(&q)?;
    let s = state.schema.snapshot();
    let cached = ts(&s);
    let mut out = Vec::new();
    for c in &s.metadata.catalogs {
        for sc in &c.schemas {
            if !in_scope(&p, &c.name, &sc.name) {
                continue;
            }
            for t in &sc.tables {
                out.extend(
                    columns_json(&c.name, &sc.name, t, &cached)
                        .into_iter()
                        .filter(|col| col.column_name.to_lowercase().starts_with(&p.q)),
                );
            }
        }
    }
    out.truncate(p.limit);
    Ok(respond::list(out))
}

/// `POST /api/schema/admin/refresh`
pub async fn refresh(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let now = state.now();
    let status = if state.schema.is_refreshing() {
        "already_running"
    } else {
        "queued"
    };
    if status == "queued" {
        let st = state.clone();
        tokio::spawn(async move {
            if let Err(e) = st.schema.refresh(&st).await {
                tracing::warn!(error = %e, "schema refresh could not be persisted");
            }
        });
    }
    Ok(respond::accepted(RefreshTriggered {
        status: status.to_string(),
        triggered_at: graph_olap_api::time::format_ts(&now),
        triggered_by: caller.username,
    }))
}

/// `GET /api/schema/stats`
pub async fn stats(State(state): State<AppState>) -> ApiResult<Response> {
    let s = state.schema.snapshot();
    let m = &s.metadata;
    let schemas: usize = m.catalogs.iter().map(|c| c.schemas.len()).sum();
    let tables = m.table_count();
    let columns: usize = m
        .catalogs
        .iter()
        .flat_map(|c| &c.schemas)
        .flat_map(|s| &s.tables)
        .map(|t| t.columns.len())
        .sum();
    let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(0);
    Ok(respond::ok(CacheStats {
        total_catalogs: m.catalogs.len(),
        total_schemas: schemas,
        total_tables: tables,
        total_columns: columns,
        last_refresh: ts(&s),
        last_refresh_status: s.status.clone(),
        last_refresh_duration_ms: s.duration_ms,
        last_refresh_error: s.error.clone(),
        refresh_in_progress: state.schema.is_refreshing(),
        index_size_bytes: size,
    }))
}

//! `/api/favorites` (API.md §6.2): per-user bookmarks of mappings, snapshots and instances.

use axum::extract::{Path, State};
use axum::response::Response;
use graph_olap_api::body::favorites::{Favorite, FavoriteRemoved};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::{favorites, mappings};
use sqlx_compat::lookup;

use crate::auth::Caller;
use crate::http::input::{Fields, JsonBody, Need, QueryParams, finish, path_id};
use crate::http::respond;
use crate::state::AppState;

const TYPES: &[&str] = &["mapping", "snapshot", "instance"];

mod sqlx_compat {
    use super::*;

    /// Name, owner and status of a resource, or `None` when it does not exist.
    pub async fn lookup(
        state: &AppState,
        resource_type: &str,
        id: i64,
    ) -> ApiResult<Option<(String, Option<String>, Option<String>)>> {
        let mut conn = state.store.read().await?;
        Ok(match resource_type {
            "mapping" => mappings::get(&mut conn, id)
                .await?
                .map(|m| (m.summary.name, Some(m.summary.owner_username), None)),
            other => graph_olap_store::resources::name_owner_status(&mut conn, other, id).await?,
        })
    }
}

/// `GET /api/favorites`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Response> {
    let resource_type = q.text("resource_type");
    if let Some(t) = resource_type
        && !TYPES.contains(&t)
    {
        return Err(ApiError::invalid(
            "query.resource_type",
            "enum",
            "resource_type must be one of: mapping, snapshot, instance",
        ));
    }
    let rows = favorites::list(
        &mut *state.store.read().await?,
        &caller.username,
        resource_type,
    )
    .await?;
    let mut out = Vec::new();
    for row in rows {
        if let Some((name, owner, status)) =
            lookup(&state, &row.resource_type, row.resource_id).await?
        {
            out.push(Favorite {
                resource_type: row.resource_type,
                resource_id: row.resource_id,
                resource_name: name,
                resource_owner: owner,
                resource_status: status,
                resource_exists: true,
                created_at: graph_olap_api::time::format_ts(&row.created_at),
            });
        }
    }
    Ok(respond::list(out))
}

/// `POST /api/favorites`
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let resource_type = f.choice("resource_type", Need::Required, TYPES);
    let resource_id = f.int("resource_id", Need::Required, 1, i64::MAX);
    finish(errors)?;
    let (Some(resource_type), Some(resource_id)) = (resource_type, resource_id) else {
        return Err(ApiError::internal("validated input missing"));
    };
    let (name, owner, status) = lookup(&state, &resource_type, resource_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&resource_type, resource_id))?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    match favorites::insert(&mut tx, &caller.username, &resource_type, resource_id, now).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ApiError::new(
                graph_olap_api::ErrorCode::AlreadyExists,
                format!("{resource_type} {resource_id} is already a favorite"),
            )
            .detail("resource_type", "favorite")
            .detail("key", format!("{resource_type}:{resource_id}")));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    let body = Favorite {
        resource_type: resource_type.clone(),
        resource_id,
        resource_name: name,
        resource_owner: owner,
        resource_status: status,
        resource_exists: true,
        created_at: graph_olap_api::time::format_ts(&now),
    };
    Ok(respond::created(
        body,
        format!("/api/favorites/{resource_type}/{resource_id}"),
    ))
}

/// `DELETE /api/favorites/{resource_type}/{resource_id}`
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((resource_type, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    if !TYPES.contains(&resource_type.as_str()) {
        return Err(ApiError::invalid(
            "path.resource_type",
            "enum",
            "resource_type must be one of: mapping, snapshot, instance",
        ));
    }
    let id = path_id("resource_id", &id)?;
    let mut tx = state.store.write().await?;
    if !favorites::remove(&mut tx, &caller.username, &resource_type, id).await? {
        return Err(ApiError::not_found(
            "favorite",
            format!("{resource_type}:{id}"),
        ));
    }
    tx.commit().await?;
    Ok(respond::ok(FavoriteRemoved {
        resource_type,
        resource_id: id,
        deleted: true,
    }))
}
